"""skmm: Keras Functional models with several inputs and outputs as scikit-learn estimators."""

from . import architectures
from .estimators import FunctionalClassifier, FunctionalEstimator, FunctionalRegressor
from .export import export
from .history import EpochLog
from .meta import ModelMeta
from .persistence import InvalidFileError, UntrustedTypesError, load, save
from .routing import InputRouter, InputSpec
from .scoring import head_scorers
from .targets import HeadSpec, TargetSplitter
from .text import TextSequencer

__all__ = [
    "EpochLog",
    "FunctionalClassifier",
    "FunctionalEstimator",
    "FunctionalRegressor",
    "HeadSpec",
    "InputRouter",
    "InvalidFileError",
    "InputSpec",
    "ModelMeta",
    "TargetSplitter",
    "TextSequencer",
    "UntrustedTypesError",
    "architectures",
    "export",
    "head_scorers",
    "load",
    "save",
]
__version__ = "0.1.0"
