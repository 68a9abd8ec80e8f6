"""Prepared answers for lab2/01_neuron: realistic mistakes that must lose points
in their own exercise, and correct alternatives that must keep every point.
Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Stub, Variant

#: What a visible check says when it calls a wrong earlier exercise.
SIGMOID_WRONG = "This test uses your sigmoid, which gives wrong values"
SIGMOID_WRONG_02 = "This test uses your sigmoid from 01_neuron, which gives wrong values"
PRIME_WRONG_02 = "This test uses your sigmoid_prime from 01_neuron, which gives wrong values"

VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("sigmoid with the sign flipped", {"sigmoid": '''
def sigmoid(a):
    return 1 / (1 + np.exp(a))
'''}, loses=("test_sigmoid", "test_sigmoid_stable"),
        # every later check that calls sigmoid names it, in 02_tiny_network too
        says={"test_sigmoid_prime": SIGMOID_WRONG, "test_neuron_forward": SIGMOID_WRONG,
              "test_neuron_gradient": SIGMOID_WRONG,
              "02_tiny_network:test_network_forward": SIGMOID_WRONG_02,
              "02_tiny_network:test_network_gradient_output": SIGMOID_WRONG_02,
              "02_tiny_network:test_network_gradient_hidden": SIGMOID_WRONG_02}),
    Variant("textbook sigmoid that overflows", {"sigmoid": '''
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))
'''}, loses=("test_sigmoid_stable",),
        # its values are right, so only the warning in sigmoid_prime's check shows it
        says={"test_sigmoid_prime": "the warning may come from sigmoid"}),
    Variant("stable-looking sigmoid with np.where", {"sigmoid": '''
def sigmoid(a):
    a = np.asarray(a, dtype=float)
    return np.where(a >= 0, 1 / (1 + np.exp(-a)), np.exp(a) / (1 + np.exp(a)))
'''}, loses=("test_sigmoid_stable",)),
    Variant("sigmoid_prime by the unsimplified formula (overflows)", {"sigmoid_prime": '''
def sigmoid_prime(a):
    return np.exp(-a) / (1 + np.exp(-a)) ** 2
'''}, loses=("test_sigmoid_prime",),
        says={"test_neuron_gradient": "your sigmoid_prime, which gives wrong values for large "
                                      "inputs"}),
    Variant("sigmoid_prime with a instead of sigmoid(a)", {"sigmoid_prime": '''
def sigmoid_prime(a):
    return sigmoid(a) * (1 - a)
'''}, loses=("test_sigmoid_prime",),
        says={"test_neuron_gradient": "This test uses your sigmoid_prime, which gives wrong values",
              "02_tiny_network:test_network_forward": PRIME_WRONG_02,
              "02_tiny_network:test_network_gradient_output": PRIME_WRONG_02,
              "02_tiny_network:test_network_gradient_hidden": PRIME_WRONG_02}),
    Variant("neuron_forward without the sigmoid", {"neuron_forward": '''
def neuron_forward(X, w, b):
    return X @ w + b
'''}, loses=("test_neuron_forward",),
        says={"test_neuron_gradient": "This test uses your neuron_forward, which gives wrong outputs"}),
    Variant("neuron_forward that returns a column (N, 1)", {"neuron_forward": '''
def neuron_forward(X, w, b):
    return sigmoid(X @ w.reshape(2, 1) + b)
'''}, loses=("test_neuron_forward",),
        says={"test_neuron_gradient": "your neuron_forward, which gives outputs of the wrong shape"}),
    Variant("mse as the plain mean (no factor 1/2)", {"mse": '''
def mse(y, t):
    return np.mean((y - t) ** 2)
'''}, loses=("test_mse",)),
    Variant("mse that forgets to divide by N", {"mse": '''
def mse(y, t):
    return np.sum((y - t) ** 2) / 2
'''}, loses=("test_mse",)),
    Variant("gradient with t - y instead of y - t", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    a = X @ w + b
    delta = (t - sigmoid(a)) * sigmoid_prime(a) / len(t)
    return X.T @ delta, float(np.sum(delta))
'''}, loses=("test_neuron_gradient",)),
    Variant("gradient without the factor sigmoid'(a)", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    y = neuron_forward(X, w, b)
    N = len(t)
    dw = X.T @ (y - t) / N
    db = np.sum(y - t) / N
    return dw, db
'''}, loses=("test_neuron_gradient",)),
    Variant("gradient with sigmoid_prime of the output y", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    y = neuron_forward(X, w, b)
    delta = (y - t) * sigmoid_prime(y) / X.shape[0]
    return X.T @ delta, delta.sum()
'''}, loses=("test_neuron_gradient",)),
    Variant("gradient summed instead of averaged (no 1/N)", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    a = X @ w + b
    delta = (sigmoid(a) - t) * sigmoid_prime(a)
    return X.T @ delta, float(delta.sum())
'''}, loses=("test_neuron_gradient",)),
    Variant("gradient with db left as one entry per sample", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    a = X @ w + b
    delta = (sigmoid(a) - t) * sigmoid_prime(a) / len(t)
    return X.T @ delta, delta
'''}, loses=("test_neuron_gradient",)),
    Variant("sigmoid that keeps the integer dtype of its input", {"sigmoid": '''
def sigmoid(a):
    a = np.asarray(a)
    out = np.empty_like(a)          # an int input gives an int array: 0.88 becomes 0
    pos = a >= 0
    out[pos] = 1 / (1 + np.exp(-a[pos]))
    out[~pos] = np.exp(a[~pos]) / (1 + np.exp(a[~pos]))
    return out if out.ndim else out.item()
'''}, loses=("test_sigmoid",)),
    Variant("sigmoid stable for arrays but not for a single number", {"sigmoid": '''
import math

def sigmoid(a):
    if np.isscalar(a):
        return 1 / (1 + math.exp(-a))
    a = np.asarray(a, dtype=float)
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1 / (1 + np.exp(-a[pos]))
    out[~pos] = np.exp(a[~pos]) / (1 + np.exp(a[~pos]))
    return out
'''}, loses=("test_sigmoid_stable",)),
    Variant("sigmoid_prime that turns a number into an array", {"sigmoid_prime": '''
def sigmoid_prime(a):
    s = sigmoid(np.atleast_1d(a))
    return s * (1 - s)
'''}, loses=("test_sigmoid_prime",)),
    Variant("neuron_forward that squeezes a column (one sample gives a number)", {"neuron_forward": '''
def neuron_forward(X, w, b):
    return np.squeeze(sigmoid(X @ w.reshape(-1, 1) + b))
'''}, loses=("test_neuron_forward",)),
    Variant("gradient with dw as a column (2, 1)", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    a = X @ w + b
    delta = ((sigmoid(a) - t) * sigmoid_prime(a) / len(t)).reshape(-1, 1)
    return X.T @ delta, float(delta.sum())
'''}, loses=("test_neuron_gradient",)),
    Variant("gd_step that updates the arrays in place", {"gd_step": '''
def gd_step(params, grads, learning_rate):
    new = []
    for p, g in zip(params, grads):
        p -= learning_rate * g
        new.append(p)
    return tuple(new)
'''}, loses=("test_gd_step",)),
    Variant("gd_step that climbs the gradient", {"gd_step": '''
def gd_step(params, grads, learning_rate):
    return tuple(p + learning_rate * g for p, g in zip(params, grads))
'''}, loses=("test_gd_step",)),
    Variant("gd_step written for exactly two parameters", {"gd_step": '''
def gd_step(params, grads, learning_rate):
    w, b = params
    dw, db = grads
    return (w - learning_rate * dw, b - learning_rate * db)
'''}, loses=("test_gd_step",)),

    # -- correct alternatives ---------------------------------------------
    Variant("sigmoid through tanh", {"sigmoid": '''
def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(a, dtype=float)))
'''}),
    Variant("sigmoid with clipping", {"sigmoid": '''
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.clip(a, -500, 500)))
'''}),
    Variant("sigmoid from scipy", {"sigmoid": '''
from scipy.special import expit

def sigmoid(a):
    return expit(a)
'''}),
    Variant("sigmoid_prime without calling sigmoid", {"sigmoid_prime": '''
def sigmoid_prime(a):
    e = np.exp(-np.abs(a))
    return e / (1 + e) ** 2
'''}),
    Variant("neuron_forward with np.dot", {"neuron_forward": '''
def neuron_forward(X, w, b):
    a = np.dot(X, w) + b
    return sigmoid(a)
'''}),
    Variant("neuron_forward with a loop over the samples", {"neuron_forward": '''
def neuron_forward(X, w, b):
    y = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        y[i] = sigmoid(X[i, 0] * w[0] + X[i, 1] * w[1] + b)
    return y
'''}),
    Variant("neuron_forward as w @ X.T", {"neuron_forward": '''
def neuron_forward(X, w, b):
    return sigmoid(w @ X.T + b)
'''}),
    Variant("mse as half the mean", {"mse": '''
def mse(y, t):
    return 0.5 * np.mean((y - t) ** 2)
'''}),
    Variant("mse with a loop", {"mse": '''
def mse(y, t):
    total = 0.0
    for i in range(len(y)):
        total += (y[i] - t[i]) ** 2
    return total / (2 * len(y))
'''}),
    Variant("gradient with a loop, equation by equation", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    N = len(t)
    dw = np.zeros(2)
    db = 0.0
    for i in range(N):
        a = X[i, 0] * w[0] + X[i, 1] * w[1] + b
        common = (sigmoid(a) - t[i]) * sigmoid_prime(a)
        dw[0] += common * X[i, 0]
        dw[1] += common * X[i, 1]
        db += common
    return dw / N, db / N
'''}),
    Variant("gradient with y * (1 - y) and np.mean", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    y = neuron_forward(X, w, b)
    delta = (y - t) * y * (1 - y)
    dw = np.mean(delta[:, None] * X, axis=0)
    db = np.mean(delta)
    return dw, db
'''}),
    Variant("gradient returned as a list [dw, db]", {"neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    a = X @ w + b
    delta = (sigmoid(a) - t) * sigmoid_prime(a) / X.shape[0]
    return [X.T @ delta, delta.sum()]
'''}),
    Variant("gd_step returning a list from a loop", {"gd_step": '''
def gd_step(params, grads, learning_rate):
    updated = []
    for k in range(len(params)):
        updated.append(params[k] - learning_rate * grads[k])
    return updated
'''}),
]

#: Every graded function of the notebook, with the grade cells that test it:
#: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "sigmoid": ("test_sigmoid", "test_sigmoid_stable"),
    "sigmoid_prime": ("test_sigmoid_prime",),
    # neuron_forward returns a 1-D array, mse a number and neuron_gradient a 1-D
    # array and a number: a transposed stub gives back exactly the same values.
    "neuron_forward": Stub(("test_neuron_forward",), kinds=("zeros", "ones", "doubled")),
    "mse": Stub(("test_mse",), kinds=("zeros", "ones", "doubled")),
    "neuron_gradient": Stub(("test_neuron_gradient",), kinds=("zeros", "ones", "doubled")),
    "gd_step": ("test_gd_step",),
}
