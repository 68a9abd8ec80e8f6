"""Numerical gradients and the relative error used to judge them.

As in CS231n's ``gradient_check.py``: a central difference
``(f(x + h) - f(x - h)) / (2 h)`` for every entry of ``x``, compared with the
analytic gradient by the relative error
``max |a - n| / max(|a| + |n|, tiny)``.  With ``h = 1e-5`` in float64 a correct
gradient of a smooth function gives about 1e-8 or less; a wrong one gives
1e-2 or more.  ``GRAD_TOLERANCE`` sits safely between the two.
"""
import numpy as np

#: A correct gradient stays below this relative error; a wrong one does not.
GRAD_TOLERANCE = 1e-5


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of the scalar function ``f`` at array ``x``.

    ``x`` is changed in place while probing and restored afterwards, so ``f``
    may read it through a closure (a network's weight matrix, say).
    """
    x = np.asarray(x)
    grad = np.zeros(x.shape, dtype=float)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        plus = f()
        x[index] = saved - h
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(analytic, numeric):
    """Largest relative difference between two gradients of the same shape."""
    analytic = np.asarray(analytic, dtype=float)
    numeric = np.asarray(numeric, dtype=float)
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(np.max(np.abs(analytic - numeric) / scale))
