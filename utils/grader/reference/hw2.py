"""Reference answers for hw2 (layers as objects, softmax, L2), written
independently of the notebook.

Column-major throughout: a state ``A`` is ``(n_in, N)``, one sample per column;
``W`` is ``(n_in, n_out)``, ``b`` is ``(n_out, 1)`` and ``Y = W.T @ A + b``.
The loss is the mean cross entropy over the ``N`` samples of a batch, so every
gradient below already carries the factor ``1/N`` (it enters once, in
:meth:`SoftmaxClassifier.backward`).
"""
import numpy as np


def sigmoid(Z):
    """The logistic function without overflow for any magnitude."""
    Z = np.asarray(Z, dtype=float)
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(A):
    """Column-wise softmax through the log-sum-exp of each column."""
    A = np.asarray(A, dtype=float)
    top = A.max(axis=0, keepdims=True)
    log_norm = top + np.log(np.exp(A - top).sum(axis=0, keepdims=True))
    return np.exp(A - log_norm)


def one_hot(T, K):
    """``(K, N)`` matrix with a 1 in row ``T[i]`` of column ``i``."""
    T = np.asarray(T).astype(int).ravel()
    out = np.zeros((K, T.size))
    out[T, np.arange(T.size)] = 1.0
    return out


class LinearUpdate:
    """``Y = W.T @ A + b``; Glorot-uniform weights, zero biases."""

    def __init__(self, n_in, n_out, W=None, b=None, seed=None):
        rng = np.random.default_rng(seed)
        limit = np.sqrt(6.0) / np.sqrt(n_in + n_out)
        self.n_in, self.n_out = n_in, n_out
        self.W = (rng.uniform(-limit, limit, (n_in, n_out)) if W is None
                  else np.array(W, dtype=float))
        self.b = (np.zeros((n_out, 1)) if b is None
                  else np.array(b, dtype=float).reshape(n_out, 1))

    def forward(self, A):
        return np.einsum("io,in->on", self.W, A) + self.b

    def backward(self, A, gY):
        gA = np.einsum("io,on->in", self.W, gY)
        gW = np.einsum("in,on->io", A, gY)
        gb = gY.sum(axis=1).reshape(-1, 1)
        return gA, gW, gb


class LogisticUpdate:
    """Sigmoid activation; backward from the output ``Y = sigmoid(Z)``."""

    def forward(self, Z):
        return sigmoid(Z)

    def backward(self, Y, grad_out):
        return grad_out * Y - grad_out * Y * Y


class SoftmaxClassifier:
    """Softmax over each column, mean cross entropy, gradient w.r.t. the scores."""

    def forward(self, A):
        return softmax(A)

    def backward(self, P, T):
        K, N = P.shape
        return (P - one_hot(T, K)) / N

    def cross_entropy(self, P, T):
        K, N = P.shape
        picked = (P * one_hot(T, K)).sum(axis=0)
        return float(-np.log(picked + 1e-30).sum() / N)


class Layer:
    """Linear update followed by the sigmoid."""

    def __init__(self, n_in, n_out, seed=None):
        self.linear = LinearUpdate(n_in, n_out, seed=seed)
        self.logistic = LogisticUpdate()

    def forward(self, A):
        return self.logistic.forward(self.linear.forward(A))

    def backward(self, A, Y, grad_out):
        return self.linear.backward(A, self.logistic.backward(Y, grad_out))


class NeuralNet:
    """Two sigmoid layers, a linear output layer and the softmax classifier."""

    def __init__(self, n_input, n_hidden1, n_hidden2, n_classes, seed=None):
        rng = np.random.default_rng(seed)
        self.layer1 = Layer(n_input, n_hidden1, seed=rng)
        self.layer2 = Layer(n_hidden1, n_hidden2, seed=rng)
        self.output = LinearUpdate(n_hidden2, n_classes, seed=rng)
        self.classifier = SoftmaxClassifier()

    def parameters(self):
        return {"W1": self.layer1.linear.W, "b1": self.layer1.linear.b,
                "W2": self.layer2.linear.W, "b2": self.layer2.linear.b,
                "W3": self.output.W, "b3": self.output.b}

    def _weights(self):
        return (self.layer1.linear.W, self.layer2.linear.W, self.output.W)

    def forward(self, X):
        A1 = self.layer1.forward(X)
        A2 = self.layer2.forward(A1)
        P = self.classifier.forward(self.output.forward(A2))
        return A1, A2, P

    def loss(self, P, T, lam=0.0):
        N = P.shape[1]
        penalty = sum(float(np.vdot(W, W)) for W in self._weights())
        return self.classifier.cross_entropy(P, T) + lam * penalty / (2.0 * N)

    def backward(self, X, A1, A2, P, T, lam=0.0):
        N = P.shape[1]
        g = self.classifier.backward(P, T)
        g, gW3, gb3 = self.output.backward(A2, g)
        g, gW2, gb2 = self.layer2.backward(A1, A2, g)
        _, gW1, gb1 = self.layer1.backward(X, A1, g)
        W1, W2, W3 = self._weights()
        return {"W1": gW1 + lam / N * W1, "b1": gb1,
                "W2": gW2 + lam / N * W2, "b2": gb2,
                "W3": gW3 + lam / N * W3, "b3": gb3}


def copy_net(net):
    """A reference :class:`NeuralNet` holding copies of the parameters of ``net``.

    Reads the arrays through the attributes the notebook prescribes
    (``layer1.linear.W`` ...), so ``net`` may be any implementation.
    """
    sizes = (net.layer1.linear.W.shape[0], net.layer1.linear.W.shape[1],
             net.layer2.linear.W.shape[1], net.output.W.shape[1])
    twin = NeuralNet(*sizes, seed=0)
    sources = {"W1": net.layer1.linear.W, "b1": net.layer1.linear.b,
               "W2": net.layer2.linear.W, "b2": net.layer2.linear.b,
               "W3": net.output.W, "b3": net.output.b}
    for name, value in twin.parameters().items():
        value[...] = np.asarray(sources[name], dtype=float).reshape(value.shape)
    return twin


def evaluate(net, X, T):
    """``(cross entropy, accuracy)`` of ``net`` on the columns of ``X``: the loss
    without the L2 term, and the fraction of samples whose most probable class
    is the true one."""
    T = np.asarray(T).astype(int).ravel()
    P = net.forward(X)[-1]
    hits = np.count_nonzero(np.argmax(P, axis=0) == T)
    return net.classifier.cross_entropy(P, T), hits / T.size


def train(net, X, T, epochs=10, batch_size=32, learning_rate=0.5, lam=0.0, seed=None,
          X_valid=None, T_valid=None, return_history=False):
    """Mini-batch gradient descent as the notebook prescribes, with one way of
    shuffling (a permutation drawn from ``seed`` every epoch).

    Returns the mean batch loss of every epoch; with ``return_history`` a dict
    of per-epoch lists ``loss``, ``train_loss``, ``train_accuracy``,
    ``valid_loss``, ``valid_accuracy`` (the last two empty without a
    validation set), measured after each epoch's last update.
    """
    rng = np.random.default_rng(seed)
    T = np.asarray(T)
    N = X.shape[1]
    history = {key: [] for key in ("loss", "train_loss", "train_accuracy",
                                   "valid_loss", "valid_accuracy")}
    for _ in range(epochs):
        order = rng.permutation(N)
        losses = []
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            Xb, Tb = X[:, cols], T[cols]
            states = net.forward(Xb)
            losses.append(net.loss(states[-1], Tb, lam))
            grads = net.backward(Xb, *states, Tb, lam)
            params = net.parameters()
            for name in params:
                params[name] -= learning_rate * grads[name]
        history["loss"].append(float(np.mean(losses)))
        if return_history:
            measured = [("train", X, T)]
            if X_valid is not None:
                measured.append(("valid", X_valid, T_valid))
            for label, Xs, Ts in measured:
                loss, accuracy = evaluate(net, Xs, Ts)
                history[label + "_loss"].append(loss)
                history[label + "_accuracy"].append(accuracy)
    return history if return_history else history["loss"]


def predict(net, X):
    """Most probable class of every column of ``X``."""
    P = net.forward(X)[2]
    return np.argmax(P, axis=0)
