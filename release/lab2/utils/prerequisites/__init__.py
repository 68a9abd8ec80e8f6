"""The small fixed examples that :func:`utils.checks.uses` tries earlier exercises on.

One module per assignment (``hw1.py``, ...) holds ``CHECKS``: for each
exercise that a later test calls, a function that takes your version
(a function or a class), runs it on the inputs of its own visible test, and
returns ``None`` when the results are the ones that test expects, or a few
words on what is wrong ("returns a wrong A2").  The words never repeat what
your code gave, so the same line can be shown in your notebook and on a
feedback page.  Only NumPy is used here.
"""
import numpy as np

__all__ = ["as_array", "differs", "wrong"]


def as_array(value):
    """``value`` as an array of floats, or ``None`` when it is not numbers."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def differs(value, expected, rtol=1e-6, atol=1e-9):
    """Whether ``value`` is not ``expected``: another shape, not numbers, not finite,
    or another number somewhere (same tolerance as the visible checks)."""
    expected = np.asarray(expected, dtype=float)
    got = as_array(value)
    if got is None or got.shape != expected.shape or not np.all(np.isfinite(got)):
        return True
    return not np.allclose(got, expected, rtol=rtol, atol=atol)


def wrong(value, expected, what="values", rtol=1e-6, atol=1e-9):
    """``None`` when ``value`` is ``expected`` (as :func:`differs` compares), else
    the words for what is wrong: ``"gives values of A2 of the wrong shape"`` or
    ``"gives wrong values of A2"`` for ``what="values of A2"``."""
    got = as_array(value)
    if got is not None and got.shape != np.shape(expected):
        return f"gives {what} of the wrong shape"
    if differs(value, expected, rtol, atol):
        return f"gives wrong {what}"
    return None
