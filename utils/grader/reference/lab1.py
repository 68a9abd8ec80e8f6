"""Reference answers for lab1, written independently of the notebooks."""
import numpy as np


def neurons(X, W, B):
    """Pre-activations of a layer: ``X (L, M)``, ``W (N, M)``, ``B (1, N)`` or ``(N,)``."""
    return np.einsum("lm,nm->ln", np.asarray(X, float), np.asarray(W, float)) \
        + np.reshape(B, (1, -1))


def relu(Z):
    """max(0, z) entry by entry."""
    return np.where(np.asarray(Z) > 0, Z, 0.0)


def sigmoid(Z):
    """The logistic function, computed without overflow for any magnitude."""
    Z = np.asarray(Z, dtype=float)
    e = np.exp(-np.abs(Z))          # never overflows: the exponent is <= 0
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def neuron_forward(x, weights, bias, activation):
    """One neuron of seed 001: ``activation(x . weights + bias)``."""
    a = np.tensordot(np.asarray(x, float), np.asarray(weights, float), axes=1) + bias
    return {"sigmoid": sigmoid, "relu": relu}[activation](a)


# -- 02_layer ... 05_batching -------------------------------------------------
# The layer, the 4-2-2-1 network, the two-class data set, the batch loader and
# the batched prediction, written independently of the notebooks' solutions.

def layer_forward(X, W, B, activation):
    """A layer of neurons with samples as rows: ``activation(X W^T + B)``, ``(L, N)``."""
    return activation(neurons(X, W, B))


def layer_forward_columns(Xc, W, b, activation):
    """The same layer with samples as columns: ``Xc (M, L)``, ``b (N, 1)`` -> ``(N, L)``."""
    Xc, W = np.asarray(Xc, float), np.asarray(W, float)
    Z = np.einsum("nm,ml->nl", W, Xc) + np.reshape(b, (-1, 1))
    return activation(Z)


#: Parameter names of the lab's 4-2-2-1 network, in the order they are drawn.
NETWORK_SHAPES = (("W1", (2, 4)), ("B1", (1, 2)), ("W2", (2, 2)), ("B2", (1, 2)),
                  ("W3", (1, 2)), ("B3", (1,)))


def network_params(seed):
    """The parameters the lab's network draws after ``np.random.seed(seed)``."""
    draw = np.random.RandomState(seed)
    return {name: draw.standard_normal(shape) for name, shape in NETWORK_SHAPES}


def network_forward(X, params):
    """Forward pass of the 4-2-2-1 network (ReLU, ReLU, sigmoid).

    Returns a dict with ``X, Z1, A1, Z2, A2, Z3, output``; ``output`` is ``(L, 1)``.
    """
    values = {"X": np.asarray(X, float)}
    A = values["X"]
    for k, act in ((1, relu), (2, relu), (3, sigmoid)):
        Z = neurons(A, params[f"W{k}"], params[f"B{k}"])
        A = act(Z)
        values[f"Z{k}"], values[f"A{k}"] = Z, A
    values["output"] = values.pop("A3")
    return values


class RefNetwork:
    """The lab's 4-2-2-1 network with the contract's attribute names.

    ``params`` maps ``W1 ... B3`` to arrays; without it they are drawn as the
    lab draws them, from ``np.random.seed(seed)``.
    """

    def __init__(self, params=None, seed=4):
        params = network_params(seed) if params is None else params
        for name, _ in NETWORK_SHAPES:
            setattr(self, name, np.array(params[name], dtype=float))

    def params(self):
        return {name: getattr(self, name) for name, _ in NETWORK_SHAPES}

    def relu(self, z):
        return relu(z)

    def sigmoid(self, z):
        return sigmoid(z)

    def forward(self, X):
        for name, value in network_forward(X, self.params()).items():
            setattr(self, name, value)
        return self.output


def tolerant_subclass(cls, **methods):
    """A subclass of a student's class, for grading one of its methods on its own.

    Runs in the kernel (through ``in_kernel``); a test lends the subclass under
    the class's name for that test only, so the student's class itself never
    changes.  Its ``__init__`` runs the student's but never stops on an error
    (the test sets every attribute it needs), and each of ``methods``
    (``relu=ref.relu``: a plain function) replaces the method of that name, so
    that a mistake in it is not charged again in the method under test.
    """
    original = cls.__init__

    def __init__(self, *args, **kwargs):
        try:
            original(self, *args, **kwargs)
        except Exception:
            pass

    def as_method(function):
        def method(self, *args, **kwargs):
            return function(*args, **kwargs)
        method.__name__ = function.__name__
        return method

    body = {"__init__": __init__}
    for name, function in methods.items():
        body[name] = as_method(function)
    return type(cls.__name__, (cls,), body)


#: Scaffolding, not an answer: it runs in the kernel (``in_kernel``); the
#: reference functions given as ``methods`` reach it as stand-ins.
tolerant_subclass.__nnkit_ships__ = True


class RefTwoClassDataset:
    """Class 0 ~ N(1.0, 0.1), class 1 ~ N(0.5, 0.1), four features, class 0 first.

    Indexing with one integer gives ``(features (4,), label)``; with an array of
    indices, ``(features (k, 4), labels (k,))``.
    """

    def __init__(self, n_per_class=128, seed=None):
        draw = np.random.default_rng(seed)
        n = int(n_per_class)
        self.data = np.concatenate([1.0 + 0.1 * draw.standard_normal((n, 4)),
                                    0.5 + 0.1 * draw.standard_normal((n, 4))])
        self.labels = np.repeat(np.array([0, 1]), n)

    def __len__(self):
        return self.labels.shape[0]

    def __getitem__(self, index):
        return self.data[index], self.labels[index]


class RefLoader:
    """Mini-batches ``(data (b, 4), labels (b,))`` of a data set, every sample once
    per pass, the last batch possibly short; a new order on every pass."""

    def __init__(self, dataset, batch_size=32, shuffle=True, seed=None):
        self.dataset, self.batch_size, self.shuffle = dataset, int(batch_size), shuffle
        self._draw = np.random.default_rng(seed)

    def __len__(self):
        return (len(self.dataset) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.dataset)
        order = np.arange(n)
        if self.shuffle:
            self._draw.shuffle(order)
        for k in range(len(self)):
            chunk = order[k * self.batch_size:(k + 1) * self.batch_size]
            samples = [self.dataset[int(i)] for i in chunk]
            yield (np.stack([np.asarray(x, float) for x, _ in samples]),
                   np.array([int(y) for _, y in samples]))


def predict_batches(model, loader):
    """``model.forward`` on every batch of one pass: ``(outputs (N, 1), labels (N,))``."""
    outputs, labels = [], []
    for X, y in loader:
        outputs.append(np.reshape(model.forward(X), (-1, 1)))
        labels.append(np.ravel(y))
    return np.vstack(outputs), np.concatenate(labels)
