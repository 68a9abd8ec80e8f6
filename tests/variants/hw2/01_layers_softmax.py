"""Prepared answers for hw2/01_layers_softmax: realistic mistakes that must
lose points in their own exercise, and correct alternatives that must keep
every point.  Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Stub, Variant

LINEAR_HEAD = '''
class LinearUpdate:
    def __init__(self, n_in, n_out, W=None, b=None, seed=None):
        rng = np.random.default_rng(seed)
        eps = np.sqrt(6.0) / np.sqrt(n_in + n_out)
        self.n_in, self.n_out = n_in, n_out
        self.W = rng.uniform(-eps, eps, size=(n_in, n_out)) if W is None else np.array(W, dtype=float)
        self.b = np.zeros((n_out, 1)) if b is None else np.array(b, dtype=float).reshape(n_out, 1)
'''

LINEAR_FORWARD = '''
    def forward(self, A):
        return self.W.T @ A + self.b
'''

LINEAR_BACKWARD = '''
    def backward(self, A, gY):
        return self.W @ gY, A @ gY.T, np.sum(gY, axis=1, keepdims=True)
'''

SIGMOID = '''
class LogisticUpdate:
    def forward(self, Z):
        Z = np.asarray(Z, dtype=float)
        e = np.exp(-np.abs(Z))
        return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))
'''

SOFTMAX_FORWARD = '''
class SoftmaxClassifier:
    def forward(self, A):
        E = np.exp(A - A.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)
'''

SOFTMAX_CE = '''
    def cross_entropy(self, P, T):
        N = P.shape[1]
        return float(-np.sum(np.log(P[T, np.arange(N)])) / N)
'''

SOFTMAX_BACKWARD = '''
    def backward(self, P, T):
        N = P.shape[1]
        onehot = np.zeros_like(P)
        onehot[T, np.arange(N)] = 1
        return (P - onehot) / N
'''

LAYER_HEAD = '''
class Layer:
    def __init__(self, n_in, n_out, seed=None):
        self.linear = LinearUpdate(n_in, n_out, seed=seed)
        self.logistic = LogisticUpdate()
'''

NET_HEAD = '''
class NeuralNet:
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
'''

NET_FORWARD = '''
    def forward(self, X):
        A1 = self.layer1.forward(X)
        A2 = self.layer2.forward(A1)
        return A1, A2, self.classifier.forward(self.output.forward(A2))
'''

NET_LOSS = '''
    def loss(self, P, T, lam=0.0):
        N = P.shape[1]
        weights = [self.layer1.linear.W, self.layer2.linear.W, self.output.W]
        return self.classifier.cross_entropy(P, T) + lam / (2 * N) * sum(np.sum(W * W) for W in weights)
'''

NET_BACKWARD = '''
    def backward(self, X, A1, A2, P, T, lam=0.0):
        N = P.shape[1]
        gY = self.classifier.backward(P, T)
        gA2, gW3, gb3 = self.output.backward(A2, gY)
        gA1, gW2, gb2 = self.layer2.backward(A1, A2, gA2)
        gX, gW1, gb1 = self.layer1.backward(X, A1, gA1)
        gW1 = gW1 + lam / N * self.layer1.linear.W
        gW2 = gW2 + lam / N * self.layer2.linear.W
        gW3 = gW3 + lam / N * self.output.W
        return {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2, "W3": gW3, "b3": gb3}
'''

TRAIN_HEAD = '''
def train(net, X, T, epochs=10, batch_size=32, learning_rate=0.5, lam=0.0, seed=None,
          X_valid=None, T_valid=None, return_history=False):
    rng = np.random.default_rng(seed)
    N = X.shape[1]
    T = np.asarray(T)
    history = {"loss": [], "train_loss": [], "train_accuracy": [],
               "valid_loss": [], "valid_accuracy": []}
'''

# The end of an epoch: the learning curves, measured after the epoch's last update.
TRAIN_CURVES = '''
        if return_history:
            sets = [("train", X, T)]
            if X_valid is not None:
                sets.append(("valid", X_valid, np.asarray(T_valid)))
            for part, Xs, Ts in sets:
                P = net.forward(Xs)[-1]
                history[part + "_loss"].append(float(net.loss(P, Ts)))
                history[part + "_accuracy"].append(float(np.mean(np.argmax(P, axis=0) == Ts)))
    return history if return_history else history["loss"]
'''


def train_with(epoch_start, batches=None, update=None, record=None):
    """A whole train answer: the given head, an epoch loop that starts with
    ``epoch_start`` (drawing ``order``), then the batch loop and the curves."""
    batches = batches or '''
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            Xb, Tb = X[:, cols], T[cols]'''
    record = record or '''
            states = net.forward(Xb)
            losses.append(net.loss(states[-1], Tb, lam))
            grads = net.backward(Xb, *states, Tb, lam)'''
    update = update or '''
            for name, value in net.parameters().items():
                value -= learning_rate * grads[name]'''
    return (TRAIN_HEAD + "    for epoch in range(epochs):" + epoch_start + '''
        losses = []''' + batches + record + update + '''
        history["loss"].append(float(np.mean(losses)))''' + TRAIN_CURVES)


VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    # A wrong earlier class: its own test loses the points; in the student's notebook every
    # later test that runs it names it first (graded, they get the correct class).
    Variant("W @ A in LinearUpdate.forward", {"LinearUpdate": LINEAR_HEAD + '''
    def forward(self, A):
        return self.W @ A + self.b
''' + LINEAR_BACKWARD}, loses=("test_linear_forward",),
        says={"test_linear_forward": "matrix product",
              "test_layer_forward": "This test uses your LinearUpdate, which raises ValueError",
              "test_net_backward": "This test uses your LinearUpdate",
              "test_train": "This test uses your LinearUpdate"}),
    Variant("LinearUpdate.forward that squeezes its result", {"LinearUpdate": LINEAR_HEAD + '''
    def forward(self, A):
        return np.squeeze(self.W.T @ A + self.b)
''' + LINEAR_BACKWARD}, loses=("test_linear_forward",)),
    Variant("gW transposed", {"LinearUpdate": LINEAR_HEAD + LINEAR_FORWARD + '''
    def backward(self, A, gY):
        gA = self.W @ gY
        gW = gY @ A.T
        gb = np.sum(gY, axis=1, keepdims=True)
        return gA, gW, gb
'''}, loses=("test_linear_backward",),
        says={"test_layer_backward": "your LinearUpdate, which gives values of gW of the wrong shape",
              "test_net_forward": "This test uses your LinearUpdate",
              "test_predict": "This test uses your LinearUpdate"}),
    Variant("gb without summing over the samples", {"LinearUpdate": LINEAR_HEAD + LINEAR_FORWARD + '''
    def backward(self, A, gY):
        return self.W @ gY, A @ gY.T, gY
'''}, loses=("test_linear_backward",)),
    Variant("gb as a flat (n_out,) vector, as in the tutorial", {"LinearUpdate": LINEAR_HEAD + LINEAR_FORWARD + '''
    def backward(self, A, gY):
        gW = np.dot(A, gY.T)
        gA = np.dot(self.W, gY)
        gb = np.sum(gY, axis=1)
        return gA, gW, gb
'''}, loses=("test_linear_backward",)),

    Variant("textbook sigmoid that overflows", {"LogisticUpdate": '''
class LogisticUpdate:
    def forward(self, Z):
        return 1.0 / (1.0 + np.exp(-Z))

    def backward(self, Y, grad_out):
        return Y * (1 - Y) * grad_out
'''}, loses=("test_logistic_forward",),
        says={"test_logistic_forward": "only where z >= 0"}),
    Variant("sigmoid with np.where, which computes np.exp of both branches", {"LogisticUpdate": '''
class LogisticUpdate:
    def forward(self, Z):
        return np.where(Z >= 0, 1 / (1 + np.exp(-Z)), np.exp(Z) / (1 + np.exp(Z)))

    def backward(self, Y, grad_out):
        return Y * (1 - Y) * grad_out
'''}, loses=("test_logistic_forward",),
        says={"test_logistic_forward": "np.where(condition, a, b) does not help on its own"}),
    Variant("logistic backward that treats Y as Z", {"LogisticUpdate": SIGMOID + '''
    def backward(self, Y, grad_out):
        s = self.forward(Y)
        return s * (1 - s) * grad_out
'''}, loses=("test_logistic_backward",)),
    Variant("logistic backward that forgets grad_out", {"LogisticUpdate": SIGMOID + '''
    def backward(self, Y, grad_out):
        return Y * (1 - Y)
'''}, loses=("test_logistic_backward",),
        says={"test_layer_backward": "This test uses your LogisticUpdate, which gives wrong values "
                                     "in backward",
              "test_net_backward": "This test uses your LogisticUpdate"}),

    Variant("softmax over the wrong axis", {"SoftmaxClassifier": '''
class SoftmaxClassifier:
    def forward(self, A):
        E = np.exp(A - np.max(A, axis=1, keepdims=True))
        return E / np.sum(E, axis=1, keepdims=True)
''' + SOFTMAX_CE + SOFTMAX_BACKWARD}, loses=("test_softmax_forward", "test_softmax_stable"),
        says={"test_net_forward": "This test uses your SoftmaxClassifier, which gives wrong "
                                  "probabilities in forward",
              "test_train_history": "This test uses your SoftmaxClassifier"}),
    Variant("softmax without subtracting the max", {"SoftmaxClassifier": '''
class SoftmaxClassifier:
    def forward(self, A):
        E = np.exp(A)
        return E / np.sum(E, axis=0, keepdims=True)
''' + SOFTMAX_CE + SOFTMAX_BACKWARD}, loses=("test_softmax_stable",),
        says={"test_softmax_stable": "Subtract the largest score of each column"}),
    # 0/0 where every score of a column underflows: the advice on invalid values, then the
    # test's own hint (each column, not the whole array).
    Variant("softmax that subtracts the largest score of the whole array", {"SoftmaxClassifier": '''
class SoftmaxClassifier:
    def forward(self, A):
        E = np.exp(A - np.max(A))
        return E / np.sum(E, axis=0, keepdims=True)
''' + SOFTMAX_CE + SOFTMAX_BACKWARD}, loses=("test_softmax_stable",),
        says={"test_softmax_stable": "not the largest score of the whole array"}),
    Variant("softmax that shifts its input in place", {"SoftmaxClassifier": '''
class SoftmaxClassifier:
    def forward(self, A):
        A -= np.max(A, axis=0, keepdims=True)
        E = np.exp(A)
        return E / np.sum(E, axis=0, keepdims=True)
''' + SOFTMAX_CE + SOFTMAX_BACKWARD}, loses=("test_softmax_forward",)),
    Variant("no 1/N anywhere (cross entropy and gradient are sums)", {"SoftmaxClassifier": SOFTMAX_FORWARD + '''
    def cross_entropy(self, P, T):
        return -np.sum(np.log(P[T, np.arange(P.shape[1])]))

    def backward(self, P, T):
        expanded = np.eye(P.shape[0])[:, T]
        return P - expanded
'''}, loses=("test_cross_entropy", "test_softmax_backward")),
    Variant("cross entropy that indexes whole rows with P[T]", {"SoftmaxClassifier": SOFTMAX_FORWARD + '''
    def cross_entropy(self, P, T):
        return float(-np.mean(np.log(P[T])))
''' + SOFTMAX_BACKWARD}, loses=("test_cross_entropy",),
        says={"test_net_loss": "This test uses your SoftmaxClassifier, which gives a wrong number "
                               "from cross_entropy"}),
    Variant("cross entropy with the indices the wrong way round", {"SoftmaxClassifier": SOFTMAX_FORWARD + '''
    def cross_entropy(self, P, T):
        N = P.shape[1]
        return float(-np.mean(np.log(P[np.arange(N), T])))
''' + SOFTMAX_BACKWARD}, loses=("test_cross_entropy",)),
    Variant("softmax backward with a one-hot matrix the wrong way round", {"SoftmaxClassifier": SOFTMAX_FORWARD + SOFTMAX_CE + '''
    def backward(self, P, T):
        K, N = P.shape
        return (P - np.eye(K)[T]) / N
'''}, loses=("test_softmax_backward",)),
    Variant("softmax backward that subtracts from P in place", {"SoftmaxClassifier": SOFTMAX_FORWARD + SOFTMAX_CE + '''
    def backward(self, P, T):
        N = P.shape[1]
        P[T, np.arange(N)] -= 1
        return P / N
'''}, loses=("test_softmax_backward",)),

    Variant("layer that applies the sigmoid before the linear update", {"Layer": LAYER_HEAD + '''
    def forward(self, A):
        return self.linear.forward(self.logistic.forward(A))

    def backward(self, A, Y, grad_out):
        return self.linear.backward(A, self.logistic.backward(Y, grad_out))
'''}, loses=("test_layer_forward",)),
    Variant("layer backward that skips the sigmoid", {"Layer": LAYER_HEAD + '''
    def forward(self, A):
        return self.logistic.forward(self.linear.forward(A))

    def backward(self, A, Y, grad_out):
        return self.linear.backward(A, grad_out)
'''}, loses=("test_layer_backward",),
        says={"test_net_backward": "This test uses your Layer, which gives wrong values of gW in "
                                   "backward",
              "test_train": "This test uses your Layer"}),
    Variant("layer backward that gives A to the logistic update", {"Layer": LAYER_HEAD + '''
    def forward(self, A):
        return self.logistic.forward(self.linear.forward(A))

    def backward(self, A, Y, grad_out):
        gZ = self.logistic.backward(A, grad_out)
        return self.linear.backward(A, gZ)
'''}, loses=("test_layer_backward",)),

    Variant("net forward that transposes X like the tutorial", {"NeuralNet": NET_HEAD + '''
    def forward(self, X):
        A1 = self.layer1.forward(X.T)
        A2 = self.layer2.forward(A1)
        return A1, A2, self.classifier.forward(self.output.forward(A2))
''' + NET_LOSS + NET_BACKWARD}, loses=("test_net_forward",)),
    Variant("net forward with a sigmoid before the softmax", {"NeuralNet": NET_HEAD + '''
    def forward(self, X):
        A1 = self.layer1.forward(X)
        A2 = self.layer2.forward(A1)
        Y3 = LogisticUpdate().forward(self.output.forward(A2))
        return A1, A2, self.classifier.forward(Y3)
''' + NET_LOSS + NET_BACKWARD}, loses=("test_net_forward",)),
    Variant("L2 term without 1/(2N)", {"NeuralNet": NET_HEAD + NET_FORWARD + '''
    def loss(self, P, T, lam=0.0):
        weights = [self.layer1.linear.W, self.layer2.linear.W, self.output.W]
        return self.classifier.cross_entropy(P, T) + lam / 2 * sum(np.sum(W ** 2) for W in weights)
''' + NET_BACKWARD}, loses=("test_net_loss",)),
    Variant("L2 term that also penalises the biases", {"NeuralNet": NET_HEAD + NET_FORWARD + '''
    def loss(self, P, T, lam=0.0):
        N = P.shape[1]
        squares = sum(np.sum(p ** 2) for p in self.parameters().values())
        return self.classifier.cross_entropy(P, T) + lam / (2 * N) * squares
''' + NET_BACKWARD}, loses=("test_net_loss",)),
    Variant("backward without the gradient of the L2 term", {"NeuralNet": NET_HEAD + NET_FORWARD + NET_LOSS + '''
    def backward(self, X, A1, A2, P, T, lam=0.0):
        gY = self.classifier.backward(P, T)
        gA2, gW3, gb3 = self.output.backward(A2, gY)
        gA1, gW2, gb2 = self.layer2.backward(A1, A2, gA2)
        _, gW1, gb1 = self.layer1.backward(X, A1, gA1)
        return {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2, "W3": gW3, "b3": gb3}
'''}, loses=("test_net_backward",),
        says={"test_train": "This test uses your NeuralNet, which gives wrong gradients of W3 in "
                            "backward",
              "test_train_history": "This test uses your NeuralNet",
              "test_predict": "This test uses your NeuralNet"}),
    Variant("L2 gradient lam * W without the 1/N", {"NeuralNet": NET_HEAD + NET_FORWARD + NET_LOSS + '''
    def backward(self, X, A1, A2, P, T, lam=0.0):
        gY = self.classifier.backward(P, T)
        gA2, gW3, gb3 = self.output.backward(A2, gY)
        gA1, gW2, gb2 = self.layer2.backward(A1, A2, gA2)
        _, gW1, gb1 = self.layer1.backward(X, A1, gA1)
        return {"W1": gW1 + lam * self.layer1.linear.W, "b1": gb1,
                "W2": gW2 + lam * self.layer2.linear.W, "b2": gb2,
                "W3": gW3 + lam * self.output.W, "b3": gb3}
'''}, loses=("test_net_backward",)),
    Variant("net backward with input and output of layer2 swapped", {"NeuralNet": NET_HEAD + NET_FORWARD + NET_LOSS + '''
    def backward(self, X, A1, A2, P, T, lam=0.0):
        N = P.shape[1]
        gY = self.classifier.backward(P, T)
        gA2, gW3, gb3 = self.output.backward(A2, gY)
        gA1, gW2, gb2 = self.layer2.backward(A2, A1, gA2)
        _, gW1, gb1 = self.layer1.backward(X, A1, gA1)
        return {"W1": gW1 + lam / N * self.layer1.linear.W, "b1": gb1,
                "W2": gW2 + lam / N * self.layer2.linear.W, "b2": gb2,
                "W3": gW3 + lam / N * self.output.W, "b3": gb3}
'''}, loses=("test_net_backward",)),

    # train: each mistake breaks one rule of the recipe and must lose test_train only
    # (the learning curves are graded relative to what the student's own train did).
    Variant("train that shuffles only once, before the first epoch", {"train": TRAIN_HEAD + '''
    order = rng.permutation(N)
    for epoch in range(epochs):
        losses = []
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            Xb, Tb = X[:, cols], T[cols]
            A1, A2, P = net.forward(Xb)
            losses.append(net.loss(P, Tb, lam))
            grads = net.backward(Xb, A1, A2, P, Tb, lam)
            for name, value in net.parameters().items():
                value -= learning_rate * grads[name]
        history["loss"].append(float(np.mean(losses)))''' + TRAIN_CURVES}, loses=("test_train",)),
    Variant("train that never shuffles", {"train": train_with('''
        order = np.arange(N)''')}, loses=("test_train",)),
    Variant("train that shuffles with np.random and ignores the seed", {"train": train_with('''
        order = np.random.permutation(N)''')}, loses=("test_train",)),
    Variant("train that creates the generator again every epoch", {"train": train_with('''
        order = np.random.default_rng(seed).permutation(N)''')}, loses=("test_train",)),
    Variant("train that draws each batch with replacement", {"train": train_with('''
        order = None''', batches='''
        for start in range(0, N, batch_size):
            cols = rng.integers(0, N, size=min(batch_size, N - start))
            Xb, Tb = X[:, cols], T[cols]''')}, loses=("test_train",)),
    Variant("train whose labels do not follow the shuffled samples", {"train": train_with('''
        order = rng.permutation(N)''', batches='''
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            Xb, Tb = X[:, cols], T[start:start + batch_size]''')}, loses=("test_train",)),
    Variant("train that drops the short last batch", {"train": train_with('''
        order = rng.permutation(N)''', batches='''
        for k in range(N // batch_size):
            cols = order[k * batch_size:(k + 1) * batch_size]
            Xb, Tb = X[:, cols], T[cols]''')}, loses=("test_train",)),
    Variant("train whose update only rebinds dictionary entries", {"train": train_with('''
        order = rng.permutation(N)''', update='''
            params = net.parameters()
            for name in params:
                params[name] = params[name] - learning_rate * grads[name]''')},
            loses=("test_train",)),
    Variant("train that records the loss without the L2 term", {"train": train_with('''
        order = rng.permutation(N)''', record='''
            states = net.forward(Xb)
            losses.append(net.loss(states[-1], Tb))
            grads = net.backward(Xb, *states, Tb, lam)''')}, loses=("test_train",)),
    Variant("train that adds up the epoch's gradients and updates once per epoch",
            {"train": TRAIN_HEAD + '''
    for epoch in range(epochs):
        order = rng.permutation(N)
        losses, total = [], {name: 0.0 for name in net.parameters()}
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            states = net.forward(X[:, cols])
            losses.append(net.loss(states[-1], T[cols], lam))
            grads = net.backward(X[:, cols], *states, T[cols], lam)
            for name in total:
                total[name] = total[name] + grads[name]
        for name, value in net.parameters().items():
            value -= learning_rate * total[name]
        history["loss"].append(float(np.mean(losses)))''' + TRAIN_CURVES}, loses=("test_train",)),
    Variant("train that shuffles the caller's X and T in place", {"train": TRAIN_HEAD + '''
    for epoch in range(epochs):
        order = rng.permutation(N)
        X[...] = X[:, order]
        T[...] = T[order]
        losses = []
        for start in range(0, N, batch_size):
            Xb, Tb = X[:, start:start + batch_size], T[start:start + batch_size]
            states = net.forward(Xb)
            losses.append(net.loss(states[-1], Tb, lam))
            grads = net.backward(Xb, *states, Tb, lam)
            for name, value in net.parameters().items():
                value -= learning_rate * grads[name]
        history["loss"].append(float(np.mean(losses)))''' + TRAIN_CURVES}, loses=("test_train",)),
    # train's learning curves: each mistake must lose test_train_history only.
    Variant("learning curves measured before each epoch's updates", {"train": TRAIN_HEAD + '''
    for epoch in range(epochs):
        if return_history:
            for part, Xs, Ts in [("train", X, T)] + ([("valid", X_valid, T_valid)] if X_valid is not None else []):
                P = net.forward(Xs)[-1]
                history[part + "_loss"].append(float(net.loss(P, Ts)))
                history[part + "_accuracy"].append(float(np.mean(np.argmax(P, axis=0) == Ts)))
        order = rng.permutation(N)
        losses = []
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            states = net.forward(X[:, cols])
            losses.append(net.loss(states[-1], T[cols], lam))
            grads = net.backward(X[:, cols], *states, T[cols], lam)
            for name, value in net.parameters().items():
                value -= learning_rate * grads[name]
        history["loss"].append(float(np.mean(losses)))
    return history if return_history else history["loss"]
'''}, loses=("test_train_history",)),
    Variant("learning curves with the L2 term in the measured loss", {"train": train_with('''
        order = rng.permutation(N)''').replace("float(net.loss(P, Ts))", "float(net.loss(P, Ts, lam))")},
            loses=("test_train_history",)),
    Variant("learning curves that count the right answers instead of their fraction",
            {"train": train_with('''
        order = rng.permutation(N)''').replace("float(np.mean(np.argmax(P, axis=0) == Ts))",
                                               "float(np.sum(np.argmax(P, axis=0) == Ts))")},
            loses=("test_train_history",)),
    Variant("learning curves measured on the last batch of the epoch", {"train": TRAIN_HEAD + '''
    for epoch in range(epochs):
        order = rng.permutation(N)
        losses = []
        for start in range(0, N, batch_size):
            cols = order[start:start + batch_size]
            A1, A2, P = net.forward(X[:, cols])
            losses.append(net.loss(P, T[cols], lam))
            grads = net.backward(X[:, cols], A1, A2, P, T[cols], lam)
            for name, value in net.parameters().items():
                value -= learning_rate * grads[name]
        history["loss"].append(float(np.mean(losses)))
        if return_history:
            history["train_loss"].append(float(net.loss(P, T[cols])))
            history["train_accuracy"].append(float(np.mean(np.argmax(P, axis=0) == T[cols])))
            if X_valid is not None:
                Pv = net.forward(X_valid)[-1]
                history["valid_loss"].append(float(net.loss(Pv, T_valid)))
                history["valid_accuracy"].append(float(np.mean(np.argmax(Pv, axis=0) == T_valid)))
    return history if return_history else history["loss"]
'''}, loses=("test_train_history",)),

    Variant("predict with argmax over the samples", {"predict": '''
def predict(net, X):
    A1, A2, P = net.forward(X)
    return np.argmax(P, axis=1)
'''}, loses=("test_predict",)),
    Variant("predict that returns the largest probability", {"predict": '''
def predict(net, X):
    return np.max(net.forward(X)[2], axis=0)
'''}, loses=("test_predict",)),

    # -- correct alternatives ---------------------------------------------
    Variant("LinearUpdate with np.dot and einsum", {"LinearUpdate": LINEAR_HEAD + '''
    def forward(self, A):
        return np.dot(self.W.T, A) + self.b

    def backward(self, A, gY):
        gA = np.dot(self.W, gY)
        gW = np.einsum("in,on->io", A, gY)
        gb = gY.sum(axis=1).reshape(-1, 1)
        return gA, gW, gb
'''}),
    Variant("LinearUpdate.backward that returns a list", {"LinearUpdate": LINEAR_HEAD + LINEAR_FORWARD + '''
    def backward(self, A, gY):
        return [self.W @ gY, A @ gY.T, gY.sum(axis=1, keepdims=True)]
'''}),
    Variant("LinearUpdate with loops over the samples", {"LinearUpdate": LINEAR_HEAD + '''
    def forward(self, A):
        N = A.shape[1]
        Y = np.zeros((self.W.shape[1], N))
        for i in range(N):
            Y[:, i] = self.W.T @ A[:, i] + self.b[:, 0]
        return Y

    def backward(self, A, gY):
        N = A.shape[1]
        gA = np.zeros(A.shape)
        gW = np.zeros(self.W.shape)
        gb = np.zeros(self.b.shape)
        for i in range(N):
            gA[:, i] = self.W @ gY[:, i]
            gW += np.outer(A[:, i], gY[:, i])
            gb[:, 0] += gY[:, i]
        return gA, gW, gb
'''}),
    Variant("LogisticUpdate through tanh and np.multiply", {"LogisticUpdate": '''
class LogisticUpdate:
    def forward(self, Z):
        return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(Z, dtype=float)))

    def backward(self, Y, grad_out):
        return np.multiply(np.multiply(Y, 1 - Y), grad_out)
'''}),
    Variant("LogisticUpdate with scipy's expit", {"LogisticUpdate": '''
from scipy.special import expit

class LogisticUpdate:
    def forward(self, Z):
        return expit(Z)

    def backward(self, Y, grad_out):
        dY = Y - Y ** 2
        return dY * grad_out
'''}),
    Variant("softmax with broadcasting, take_along_axis and np.eye", {"SoftmaxClassifier": '''
class SoftmaxClassifier:
    def forward(self, A):
        E = np.exp(A - A.max(axis=0))
        return E / E.sum(axis=0)

    def cross_entropy(self, P, T):
        T = np.asarray(T)
        picked = np.take_along_axis(P, T.reshape(1, -1), axis=0)
        return -np.mean(np.log(picked))

    def backward(self, P, T):
        K, N = P.shape
        return (P - np.eye(K)[:, T]) / N
'''}),
    Variant("softmax with scipy and loops over the samples", {"SoftmaxClassifier": '''
import scipy.special

class SoftmaxClassifier:
    def forward(self, A):
        return scipy.special.softmax(A, axis=0)

    def cross_entropy(self, P, T):
        N = P.shape[1]
        total = 0.0
        for i in range(N):
            total -= np.log(P[T[i], i])
        return total / N

    def backward(self, P, T):
        N = P.shape[1]
        G = np.array(P, dtype=float)
        for i in range(N):
            G[T[i], i] = G[T[i], i] - 1
        return G / N
'''}),
    Variant("Layer with named intermediate steps", {"Layer": LAYER_HEAD + '''
    def forward(self, A):
        Z = self.linear.forward(A)
        Y = self.logistic.forward(Z)
        return Y

    def backward(self, A, Y, grad_out):
        gZ = self.logistic.backward(Y, grad_out)
        gA, gW, gb = self.linear.backward(A, gZ)
        return (gA, gW, gb)
'''}),
    Variant("Layer.backward and NeuralNet.forward that return lists", {"Layer": LAYER_HEAD + '''
    def forward(self, A):
        return self.logistic.forward(self.linear.forward(A))

    def backward(self, A, Y, grad_out):
        return list(self.linear.backward(A, self.logistic.backward(Y, grad_out)))
''', "NeuralNet": NET_HEAD + '''
    def forward(self, X):
        A1 = self.layer1.forward(X)
        A2 = self.layer2.forward(A1)
        return [A1, A2, self.classifier.forward(self.output.forward(A2))]
''' + NET_LOSS + NET_BACKWARD}),
    Variant("Layer.backward that computes Y again from A", {"Layer": LAYER_HEAD + '''
    def forward(self, A):
        return self.logistic.forward(self.linear.forward(A))

    def backward(self, A, Y, grad_out):
        Y_again = self.forward(A)
        return self.linear.backward(A, self.logistic.backward(Y_again, grad_out))
'''}),
    Variant("NeuralNet.backward that runs the forward pass again", {"NeuralNet": NET_HEAD + NET_FORWARD + NET_LOSS + '''
    def backward(self, X, A1, A2, P, T, lam=0.0):
        A1, A2, P = self.forward(X)
        N = X.shape[1]
        gA2, gW3, gb3 = self.output.backward(A2, self.classifier.backward(P, T))
        gA1, gW2, gb2 = self.layer2.backward(A1, A2, gA2)
        gX, gW1, gb1 = self.layer1.backward(X, A1, gA1)
        weights = {"W1": self.layer1.linear.W, "W2": self.layer2.linear.W, "W3": self.output.W}
        grads = {"W1": gW1, "b1": gb1, "W2": gW2, "b2": gb2, "W3": gW3, "b3": gb3}
        for name, W in weights.items():
            grads[name] = grads[name] + lam / N * W
        return grads
'''}),
    Variant("NeuralNet with np.linalg.norm and a loop over the layers", {"NeuralNet": NET_HEAD + '''
    def forward(self, X):
        states = [X]
        for layer in (self.layer1, self.layer2):
            states.append(layer.forward(states[-1]))
        P = self.classifier.forward(self.output.forward(states[-1]))
        return states[1], states[2], P

    def loss(self, P, T, lam=0.0):
        N = P.shape[1]
        penalty = 0.0
        for W in (self.layer1.linear.W, self.layer2.linear.W, self.output.W):
            penalty += np.linalg.norm(W) ** 2
        return self.classifier.cross_entropy(P, T) + lam * penalty / (2 * N)

    def backward(self, X, A1, A2, P, T, lam=0.0):
        N = P.shape[1]
        grads = {}
        g, grads["W3"], grads["b3"] = self.output.backward(A2, self.classifier.backward(P, T))
        for k, layer, A_in, A_out in ((2, self.layer2, A1, A2), (1, self.layer1, X, A1)):
            g, grads[f"W{k}"], grads[f"b{k}"] = layer.backward(A_in, A_out, g)
        params = self.parameters()
        for k in ("W1", "W2", "W3"):
            grads[k] = grads[k] + (lam / N) * params[k]
        return grads
'''}),
    # train: any valid shuffle and any correct bookkeeping keeps every point.
    Variant("train with a while loop, np.take and np.subtract(out=...)", {"train": TRAIN_HEAD + '''
    for epoch in range(epochs):
        order = rng.permutation(N)
        total, count = 0.0, 0
        start = 0
        while start < N:
            cols = order[start:start + batch_size]
            Xb = np.take(X, cols, axis=1)
            Tb = np.take(T, cols)
            A1, A2, P = net.forward(Xb)
            total += net.loss(P, Tb, lam)
            count += 1
            grads = net.backward(Xb, A1, A2, P, Tb, lam)
            params = net.parameters()
            for name in params:
                np.subtract(params[name], learning_rate * grads[name], out=params[name])
            start += batch_size
        history["loss"].append(total / count)''' + TRAIN_CURVES}),
    Variant("train that shuffles an index list with rng.shuffle and unpacks A1, A2, P",
            {"train": train_with('''
        order = list(range(N))
        rng.shuffle(order)
        order = np.array(order)''', record='''
            A1, A2, P = net.forward(Xb)
            losses.append(net.loss(P, Tb, lam))
            grads = net.backward(Xb, A1, A2, P, Tb, lam=lam)''')}),
    Variant("train that draws the order with rng.choice and splits it with np.array_split",
            {"train": train_with('''
        order = rng.choice(N, size=N, replace=False)''', batches='''
        for cols in np.array_split(order, range(batch_size, N, batch_size)):
            Xb, Tb = X[:, cols], T[cols]''')}),
    Variant("train that permutes copies of X and T, always measures, and counts hits",
            {"train": TRAIN_HEAD + '''
    def measure(Xs, Ts):
        P = net.forward(Xs)[-1]
        hits = np.count_nonzero(P.argmax(axis=0) == np.asarray(Ts))
        return net.loss(P, np.asarray(Ts), 0.0), hits / P.shape[1]

    for epoch in range(epochs):
        perm = rng.permuted(np.arange(N))
        X_epoch, T_epoch = X[:, perm], T[perm]
        epoch_losses = []
        for start in range(0, N, batch_size):
            Xb, Tb = X_epoch[:, start:start + batch_size], T_epoch[start:start + batch_size]
            states = net.forward(Xb)
            epoch_losses.append(net.loss(states[-1], Tb, lam))
            grads = net.backward(Xb, *states, Tb, lam)
            for name, value in net.parameters().items():
                value[...] = value - learning_rate * grads[name]
        history["loss"].append(sum(epoch_losses) / len(epoch_losses))
        loss, accuracy = measure(X, T)
        history["train_loss"].append(loss)
        history["train_accuracy"].append(accuracy)
        if X_valid is not None:
            loss, accuracy = measure(X_valid, T_valid)
            history["valid_loss"].append(loss)
            history["valid_accuracy"].append(accuracy)
    return history if return_history else history["loss"]
'''}),
    Variant("predict with a loop over the columns", {"predict": '''
def predict(net, X):
    P = net.forward(X)[-1]
    return np.array([int(np.argmax(P[:, i])) for i in range(P.shape[1])])
'''}),
    Variant("predict that takes P as the third state", {"predict": '''
def predict(net, X):
    A1, A2, P = net.forward(X)
    return P.argmax(axis=0)
'''}),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
#: A method or function that returns only numbers or 1-D arrays leaves out
#: "transposed", which cannot change them.
STUBS = {
    "LinearUpdate.__init__": ("test_linear_forward", "test_linear_backward"),
    "LinearUpdate.forward": ("test_linear_forward",),
    "LinearUpdate.backward": ("test_linear_backward",),
    "LogisticUpdate.forward": ("test_logistic_forward",),
    "LogisticUpdate.backward": ("test_logistic_backward",),
    "SoftmaxClassifier.forward": ("test_softmax_forward", "test_softmax_stable"),
    "SoftmaxClassifier.cross_entropy": Stub(("test_cross_entropy",), kinds=("zeros", "ones", "doubled")),
    "SoftmaxClassifier.backward": ("test_softmax_backward",),
    # The constructors of Layer and NeuralNet are given and only build objects (no array
    # or number a stub could change), so no stub of them can make a difference.
    "Layer.__init__": (),
    "Layer.forward": ("test_layer_forward",),
    "Layer.backward": ("test_layer_backward",),
    "NeuralNet.__init__": (),
    "NeuralNet.forward": ("test_net_forward",),
    "NeuralNet.loss": Stub(("test_net_loss",), kinds=("zeros", "ones", "doubled")),
    "NeuralNet.backward": ("test_net_backward",),
    # train returns a list of numbers (or a dict of such lists), predict a 1-D array.
    "train": Stub(("test_train", "test_train_history"), kinds=("zeros", "ones", "doubled")),
    "predict": Stub(("test_predict",), kinds=("zeros", "ones", "doubled")),
    # Ungraded answers: the optional numerical gradient and the optional deep network.
    "numerical_gradient": (),
    "DeepNet.forward": (),
}
