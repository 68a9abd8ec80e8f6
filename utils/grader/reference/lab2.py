"""Reference answers for lab2, written independently of the notebooks.

Row-major as in the lab: ``X`` is ``(N, 2)``, targets ``t`` are ``(N,)``.
The single neuron has ``w (2,)`` and a float ``b``; the tiny network has
``W_h (2, H)``, ``b_h (H,)``, ``w_o (H,)`` and a float ``b_o``, with
``a_h = X @ W_h + b_h``.
"""
import numpy as np


def sigmoid(a):
    """The logistic function, without overflow for any magnitude."""
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))          # the exponent is never positive
    out = np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out if out.ndim else float(out)


def sigmoid_prime(a):
    """d sigmoid / d a, written as e / (1 + e)^2 with e = exp(-|a|) (sigmoid' is even)."""
    e = np.exp(-np.abs(np.asarray(a, dtype=float)))
    out = e / (1.0 + e) ** 2
    return out if out.ndim else float(out)


def neuron_forward(X, w, b):
    """sigmoid(X w + b) for every row of X: shape (N,)."""
    return sigmoid(np.einsum("nd,d->n", np.asarray(X, float), np.asarray(w, float)) + b)


def mse(y, t):
    """sum((y - t)^2) / (2N)."""
    d = np.ravel(np.asarray(y, float) - np.asarray(t, float))
    return float(d @ d / (2 * d.size))


def neuron_gradient(X, t, w, b):
    """(dJ/dw of shape (2,), dJ/db as a float) of J = mse(neuron_forward(X, w, b), t)."""
    X = np.asarray(X, float)
    a = np.einsum("nd,d->n", X, np.asarray(w, float)) + b
    delta = (sigmoid(a) - np.asarray(t, float)) * sigmoid_prime(a) / len(X)
    return np.einsum("n,nd->d", delta, X), float(np.sum(delta))


def gd_step(params, grads, learning_rate):
    """One gradient-descent step on matching sequences; new values, inputs untouched."""
    return tuple(np.subtract(p, np.multiply(learning_rate, g)) if np.ndim(p)
                 else float(p - learning_rate * g) for p, g in zip(params, grads))


def network_forward(X, W_h, b_h, w_o, b_o):
    """(y (N,), h (N, H)) of the 2-H-1 sigmoid network."""
    X = np.asarray(X, float)
    h = sigmoid(np.einsum("nd,dk->nk", X, np.asarray(W_h, float)) + np.reshape(b_h, (1, -1)))
    y = sigmoid(np.einsum("nk,k->n", h, np.asarray(w_o, float)) + b_o)
    return y, h


def network_gradient(X, t, W_h, b_h, w_o, b_o):
    """Gradients of mse(network_forward(...)[0], t), one per parameter, in a dict."""
    X = np.asarray(X, float)
    W_h, w_o = np.asarray(W_h, float), np.asarray(w_o, float)
    a_h = np.einsum("nd,dk->nk", X, W_h) + np.reshape(b_h, (1, -1))
    h = sigmoid(a_h)
    a_o = np.einsum("nk,k->n", h, w_o) + b_o
    delta_o = (sigmoid(a_o) - np.asarray(t, float)) * sigmoid_prime(a_o) / len(X)
    delta_h = np.einsum("n,k->nk", delta_o, w_o) * sigmoid_prime(a_h)
    return {
        "dW_h": np.einsum("nd,nk->dk", X, delta_h),
        "db_h": delta_h.sum(axis=0),
        "dw_o": np.einsum("nk,n->k", h, delta_o),
        "db_o": float(delta_o.sum()),
    }


def neuron_loss(X, t, w, b):
    """J(w, b) for the numerical gradient checks."""
    return mse(neuron_forward(X, w, b), t)


def network_loss(X, t, W_h, b_h, w_o, b_o):
    """J of the network for the numerical gradient checks."""
    return mse(network_forward(X, W_h, b_h, w_o, b_o)[0], t)
