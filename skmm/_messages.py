"""Helpers that make error messages teach."""

from __future__ import annotations

import difflib


def did_you_mean(name, options) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_head_names(names, heads, what):
    """Raise a ``ValueError`` naming each of ``names`` that is not a head of y."""
    unknown = [k for k in names if k not in heads]
    if unknown:
        raise ValueError(
            f"{what} names heads {unknown} that y does not have"
            f"{did_you_mean(unknown[0], heads)}; heads are {list(heads)}."
        )
