"""Data sets for the notebooks: generated on the spot or bundled with scikit-learn.

Nothing here downloads anything.  Every generator takes a ``seed`` (an int
or a ``numpy.random.Generator``) so that a notebook's outputs are the same
on every run.
"""
import numpy as np

__all__ = ["two_class_2d", "digits_binary", "digits_split"]


def two_class_2d(n_per_class=100, linearly_separable=True, seed=None):
    """Two classes of 2-D points, as in the figure of lab 2.

    With ``linearly_separable=True`` each class is one Gaussian cloud and a
    straight line separates them.  Otherwise the classes sit on the two
    diagonals of an XOR pattern (class 1 where exactly one coordinate is
    positive), which no straight line separates.

    Returns ``X`` of shape ``(2 * n_per_class, 2)`` and labels ``t`` of shape
    ``(2 * n_per_class,)`` with values 0 and 1, in shuffled order.
    """
    rng = np.random.default_rng(seed)
    n = int(n_per_class)
    if linearly_separable:
        centres = [np.array([[-1.0, -1.0]]), np.array([[1.0, 1.0]])]
        parts = [c + 0.45 * rng.standard_normal((n, 2)) for c in centres]
    else:
        halves = [n // 2, n - n // 2]
        corners = {0: [(-1.0, -1.0), (1.0, 1.0)], 1: [(-1.0, 1.0), (1.0, -1.0)]}
        parts = [np.vstack([np.array([c]) + 0.3 * rng.standard_normal((k, 2))
                            for c, k in zip(corners[label], halves)])
                 for label in (0, 1)]
    X = np.vstack(parts)
    t = np.repeat([0, 1], n)
    order = rng.permutation(len(t))
    return X[order], t[order]


def _digits():
    from sklearn.datasets import load_digits
    digits = load_digits()
    return digits.data.astype(float), digits.target.astype(int)


def digits_binary(classes=(0, 1), test_size=0.25, seed=0):
    """scikit-learn's 8x8 digits of two classes, scaled to [0, 1], column-major.

    Returns ``X_train (64, m_train), Y_train (1, m_train), X_test, Y_test``:
    one sample per column, as homework 1 lays out its data; ``Y`` is 1 for
    ``classes[1]`` and 0 for ``classes[0]``.
    """
    from sklearn.model_selection import train_test_split
    data, target = _digits()
    keep = np.isin(target, classes)
    X = data[keep] / 16.0
    y = (target[keep] == classes[1]).astype(int)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y)
    return X_train.T, y_train.reshape(1, -1), X_test.T, y_test.reshape(1, -1)


def digits_split():
    """All ten digit classes, split exactly as homework 2's tutorial splits them.

    First 33 % is held out for testing (``random_state=111``), then 40 % of the
    rest for validation (``random_state=123``).  Rows are samples with 64 raw
    pixel values from 0 to 16.  Returns
    ``X_train, X_valid, X_test, y_train, y_valid, y_test``.
    """
    from sklearn.model_selection import train_test_split
    data, target = _digits()
    X, X_test, y, y_test = train_test_split(data, target, test_size=0.33, random_state=111)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.40,
                                                          random_state=123)
    return X_train, X_valid, X_test, y_train, y_valid, y_test
