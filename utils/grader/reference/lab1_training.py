"""Reference answers for lab1's backpropagation and training notebooks.

Written independently of the notebooks, for the hidden tests only.  The
network is the lab's 4-2-2-1 network in the row-major layout: ``X`` is
``(L, 4)``, ``W1 (2, 4)``, ``B1 (1, 2)``, ``W2 (2, 2)``, ``B2 (1, 2)``,
``W3 (1, 2)``, ``B3 (1,)``; ReLU, ReLU, sigmoid.  The gradients are those of
``0.5 * sum((output - y) ** 2)`` over the batch (no division by ``L``).
"""
import numpy as np

from .gradcheck import numerical_gradient as _numerical_gradient
from .lab1 import relu, sigmoid

#: The parameters of the network, in the order of the layers.
PARAMETERS = ("W1", "B1", "W2", "B2", "W3", "B3")
#: The cache that the forward pass keeps on the network.
CACHE = ("X", "Z1", "A1", "Z2", "A2", "Z3", "output")
#: The key of each parameter's gradient in ``network.grads``.
GRAD_KEYS = {name: "d" + name for name in PARAMETERS}


# -- activations and their derivatives ---------------------------------------
def relu_derivative(Z):
    """1 where z > 0, else 0 (also at exactly 0)."""
    return np.where(np.asarray(Z, dtype=float) > 0, 1.0, 0.0)


def sigmoid_derivative(Z):
    """sigma(z) (1 - sigma(z)), written as e^-|z| / (1 + e^-|z|)^2."""
    e = np.exp(-np.abs(np.asarray(Z, dtype=float)))
    return e / (1.0 + e) ** 2


def tanh(Z):
    """The hyperbolic tangent."""
    return np.tanh(np.asarray(Z, dtype=float))


def tanh_derivative(Z):
    """1 - tanh(z)^2, written through the sigmoid: 4 sigma(2z) (1 - sigma(2z))."""
    return 4.0 * sigmoid_derivative(2.0 * np.asarray(Z, dtype=float))


# -- one dense layer ----------------------------------------------------------
def dense_backward(dZ, A_prev, W):
    """One layer ``Z = A_prev W^T + B`` backwards, given ``dZ = dE/dZ`` ``(L, N)``.

    Returns ``(dW (N, M), dB (1, N), dA_prev (L, M))``: sums over the batch,
    written index by index with einsum.
    """
    dZ = np.asarray(dZ, dtype=float)
    dW = np.einsum("ln,lm->nm", dZ, np.asarray(A_prev, dtype=float))
    dB = np.einsum("ln->n", dZ)[np.newaxis, :]
    dA_prev = np.einsum("ln,nm->lm", dZ, np.asarray(W, dtype=float))
    return dW, dB, dA_prev


def dense_loss(A_prev, W, B, T):
    """``0.5 * sum((A_prev W^T + B - T) ** 2)``; its ``dE/dZ`` is ``Z - T``."""
    Z = np.einsum("lm,nm->ln", A_prev, W) + np.reshape(B, (1, -1))
    return 0.5 * float(np.sum((Z - T) ** 2))


# -- the network --------------------------------------------------------------
def shapes(n_outputs=1):
    """The shape of every parameter of a 4-2-2-n_outputs network."""
    return {"W1": (2, 4), "B1": (1, 2), "W2": (2, 2), "B2": (1, 2),
            "W3": (n_outputs, 2), "B3": (n_outputs,)}


def random_parameters(rng, n_outputs=1, scale=1.0):
    """Standard-normal parameters (times ``scale``) drawn from ``rng``."""
    return {name: scale * rng.standard_normal(shape)
            for name, shape in shapes(n_outputs).items()}


def forward(params, X):
    """The forward pass; returns the cache ``{X, Z1, A1, Z2, A2, Z3, output}``."""
    X = np.asarray(X, dtype=float)
    Z1 = np.einsum("lm,nm->ln", X, params["W1"]) + np.reshape(params["B1"], (1, -1))
    A1 = relu(Z1)
    Z2 = np.einsum("lm,nm->ln", A1, params["W2"]) + np.reshape(params["B2"], (1, -1))
    A2 = relu(Z2)
    Z3 = np.einsum("lm,nm->ln", A2, params["W3"]) + np.reshape(params["B3"], (1, -1))
    return {"X": X, "Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "Z3": Z3,
            "output": sigmoid(Z3)}


def loss(params, X, y):
    """Half the sum of squared errors over the batch: what backward differentiates."""
    return 0.5 * float(np.sum((forward(params, X)["output"] - y) ** 2))


def gradients(params, cache, y):
    """``{dW1, dB1, ..., dB3}``: the gradients of :func:`loss`, sums over the batch."""
    y = np.reshape(np.asarray(y, dtype=float), cache["output"].shape)
    delta3 = (cache["output"] - y) * sigmoid_derivative(cache["Z3"])
    delta2 = np.einsum("lk,kn->ln", delta3, params["W3"]) * relu_derivative(cache["Z2"])
    delta1 = np.einsum("lk,kn->ln", delta2, params["W2"]) * relu_derivative(cache["Z1"])
    grads = {}
    for layer, delta, inputs in ((3, delta3, cache["A2"]), (2, delta2, cache["A1"]),
                                 (1, delta1, cache["X"])):
        grads[f"dW{layer}"] = np.einsum("ln,lm->nm", delta, inputs)
        bias = delta.sum(axis=0)
        grads[f"dB{layer}"] = bias if layer == 3 else bias[np.newaxis, :]
    return grads


def numerical_gradients(params, X, y, h=1e-5):
    """Central-difference gradients of :func:`loss` for every parameter."""
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    return {GRAD_KEYS[name]: _numerical_gradient(lambda: loss(params, X, y), params[name], h)
            for name in PARAMETERS}


def random_state(rng, L, n_outputs=1, scale=1.0):
    """A network state right after a forward pass on fresh random data.

    Returns ``(params, cache, y)``: parameters, the forward cache on ``X (L, 4)``
    and targets ``y (L, n_outputs)`` in {0, 1}.  Pre-activations are kept away
    from the ReLU kink at 0 so that numerical gradients are reliable.
    """
    while True:
        params = random_parameters(rng, n_outputs, scale)
        X = rng.normal(0.75, 0.5, size=(L, 4))
        cache = forward(params, X)
        if min(np.min(np.abs(cache["Z1"])), np.min(np.abs(cache["Z2"]))) > 1e-3:
            break
    y = rng.integers(0, 2, size=(L, n_outputs)).astype(float)
    return params, cache, y


class Network:
    """The 4-2-2-1 network with forward and backward, for the hidden tests."""

    def __init__(self, params=None, seed=None, n_outputs=1):
        if params is None:
            params = random_parameters(np.random.default_rng(seed), n_outputs, 0.5)
        for name in PARAMETERS:
            setattr(self, name, np.array(params[name], dtype=float))

    def parameters(self):
        return {name: getattr(self, name).copy() for name in PARAMETERS}

    def forward(self, X):
        cache = forward(self.parameters(), X)
        for name in CACHE:
            setattr(self, name, cache[name])
        return self.output

    def backward(self, y_true, learning_rate=0.01):
        if np.shape(y_true) != np.shape(self.output):
            raise ValueError(f"y_true should have the shape of the output, "
                             f"{np.shape(self.output)}, but it has shape {np.shape(y_true)}")
        cache = {name: getattr(self, name) for name in CACHE}
        self.grads = gradients(self.parameters(), cache, y_true)
        for name in PARAMETERS:
            setattr(self, name, getattr(self, name) - learning_rate * self.grads[GRAD_KEYS[name]])


# -- data and training --------------------------------------------------------
def two_clouds(n_per_class, seed):
    """Class 0 ~ N(1.0, 0.1), class 1 ~ N(0.5, 0.1), four features each."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(1.0, 0.1, (n_per_class, 4)),
                   rng.normal(0.5, 0.1, (n_per_class, 4))])
    return X, np.repeat([0, 1], n_per_class)


class Loader:
    """Batches ``(X (B, M), labels (B,))`` of two arrays; reshuffled every pass."""

    def __init__(self, X, labels, batch_size=32, shuffle=True, seed=None):
        self.X, self.labels = np.asarray(X, dtype=float), np.asarray(labels)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        order = (self.rng.permutation(len(self.labels)) if self.shuffle
                 else np.arange(len(self.labels)))
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            yield self.X[rows], self.labels[rows]


def train(model, loader, epochs, learning_rate):
    """Mean over each epoch's batches of the batch MSE (taken before the update)."""
    history = []
    for _ in range(epochs):
        batch_losses = []
        for X, labels in loader:
            y = np.asarray(labels, dtype=float).reshape(-1, 1)
            out = model.forward(X)
            batch_losses.append(float(np.mean((out - y) ** 2)))
            model.backward(y, learning_rate)
        history.append(float(np.mean(batch_losses)))
    return history


def train_sample_weighted(model, loader, epochs, learning_rate):
    """As :func:`train`, but each epoch's loss is the MSE over all its samples."""
    history = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for X, labels in loader:
            y = np.asarray(labels, dtype=float).reshape(-1, 1)
            out = model.forward(X)
            total += float(np.sum((out - y) ** 2))
            count += len(y)
            model.backward(y, learning_rate)
        history.append(total / count)
    return history


def accuracy(outputs, labels, threshold=0.5):
    """Fraction of samples whose thresholded output equals the label."""
    predicted = np.ravel(outputs) >= threshold
    return float(np.mean(predicted.astype(int) == np.ravel(labels).astype(int)))
