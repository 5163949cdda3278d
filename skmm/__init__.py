"""skmm: Keras Functional models with several inputs and outputs as scikit-learn estimators."""

from .routing import InputRouter, InputSpec
from .targets import HeadSpec, TargetSplitter
from .text import TextSequencer

__all__ = ["HeadSpec", "InputRouter", "InputSpec", "TargetSplitter", "TextSequencer"]
__version__ = "0.1.0"
