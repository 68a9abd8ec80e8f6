"""Prepared answers for lab1/01_single_neuron: realistic mistakes that must
lose points in their own exercise, and correct alternatives that must keep
every point.  Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Stub, Variant

NEURON_HEAD = '''
class Neuron:
    def __init__(self, n_inputs, weights=None, bias=None, activation="sigmoid", rng=None):
        rng = np.random.default_rng(rng)
        self.n_inputs = n_inputs
        self.weights = rng.normal(size=n_inputs) if weights is None else np.asarray(weights, dtype=float)
        self.bias = rng.random() if bias is None else float(bias)
'''

VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("missing transpose", {"neurons": '''
def neurons(X, W, B):
    return X @ W + B
'''}, loses=("test_neurons_values",)),
    Variant("the textbook column layout, W X^T + B^T", {"neurons": '''
def neurons(X, W, B):
    return W @ X.T + np.reshape(B, (-1, 1))
'''}, loses=("test_neurons_values",)),
    Variant("bias taken as B[0], wrong for a flat bias", {"neurons": '''
def neurons(X, W, B):
    return X @ W.T + B[0]
'''}, loses=("test_neurons_values",)),
    Variant("missing bias", {"neurons": '''
def neurons(X, W, B):
    return np.matmul(X, W.T)
'''}, loses=("test_neurons_values",),
        says={"02_layer:test_layer_forward_values":
              "your neurons from 01_single_neuron, which gives wrong weighted sums"}),
    Variant("leaky ReLU", {"relu": '''
def relu(Z):
    return np.maximum(0.01 * Z, Z)
'''}, loses=("test_relu",),
        says={"test_neuron_class": "This test uses your relu, which gives wrong values",
              "02_layer:test_layer_forward_values": "your relu from 01_single_neuron",
              "06_backprop:test_backward_output_layer": "your relu from 01_single_neuron"}),
    Variant("ReLU that overwrites its input", {"relu": '''
def relu(Z):
    Z[Z < 0] = 0
    return Z
'''}, loses=("test_relu",),
        says={"02_layer:test_layer_forward_values":
              "your relu from 01_single_neuron, which changes the array it is given"}),
    Variant("relu left unwritten", {"relu": '''
def relu(Z):
    """max(0, z) for every entry of Z (an array of any shape, or a number)."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''}, loses=("test_relu",),
        says={"test_neuron_class": "relu is not written yet",
              "02_layer:test_layer_forward_values": "relu in 01_single_neuron is not written yet"}),
    Variant("sigmoid with the sign flipped", {"sigmoid": '''
def sigmoid(Z):
    return 1 / (1 + np.exp(Z))
'''}, loses=("test_sigmoid_values", "test_sigmoid_stable"),
        says={"test_neuron_class": "This test uses your sigmoid, which gives wrong values",
              "02_layer:test_layer_forward_columns": "your sigmoid from 01_single_neuron",
              "06_backprop:test_sigmoid_derivative": "your sigmoid from 01_single_neuron",
              "06_backprop:test_tanh_derivative": "your sigmoid from 01_single_neuron"}),
    Variant("textbook sigmoid that overflows", {"sigmoid": '''
def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))
'''}, loses=("test_sigmoid_stable",)),
    Variant("stable-looking sigmoid with np.where", {"sigmoid": '''
def sigmoid(Z):
    Z = np.asarray(Z, dtype=float)
    return np.where(Z >= 0, 1 / (1 + np.exp(-Z)), np.exp(Z) / (1 + np.exp(Z)))
'''}, loses=("test_sigmoid_stable",)),
    Variant("Neuron that forgets the bias", {"Neuron": NEURON_HEAD + '''
        self.activation = sigmoid if activation == "sigmoid" else relu

    def forward(self, x):
        return self.activation(np.asarray(x) @ self.weights)
'''}, loses=("test_neuron_class",)),
    Variant("Neuron that ignores the activation it is given", {"Neuron": NEURON_HEAD + '''
        if activation not in ("sigmoid", "relu"):
            raise ValueError("activation must be sigmoid or relu")
        self.activation = sigmoid

    def forward(self, x):
        return self.activation(np.asarray(x) @ self.weights + self.bias)
'''}, loses=("test_neuron_class",)),
    Variant("Neuron that multiplies in the wrong order", {"Neuron": NEURON_HEAD + '''
        if activation not in ("sigmoid", "relu"):
            raise ValueError("activation must be sigmoid or relu")
        self.activation = sigmoid if activation == "sigmoid" else relu

    def forward(self, x):
        return self.activation(self.weights @ np.asarray(x) + self.bias)
'''}, loses=("test_neuron_class",)),

    # -- correct alternatives ---------------------------------------------
    Variant("neurons with loops", {"neurons": '''
def neurons(X, W, B):
    L, M = X.shape
    N = W.shape[0]
    B = np.reshape(B, (1, N))
    Z = np.zeros((L, N))
    for l in range(L):
        for n in range(N):
            total = 0.0
            for m in range(M):
                total += X[l, m] * W[n, m]
            Z[l, n] = total + B[0, n]
    return Z
'''}),
    Variant("neurons with np.dot and np.transpose", {"neurons": '''
def neurons(X, W, B):
    return np.dot(X, np.transpose(W)) + B
'''}),
    Variant("relu with a mask on a copy", {"relu": '''
def relu(Z):
    A = np.array(Z, dtype=float, copy=True)
    A[A < 0] = 0.0
    return A if A.ndim else float(A)
'''}),
    Variant("neurons in the column layout, transposed back", {"neurons": '''
def neurons(X, W, B):
    Zc = W @ X.T + np.reshape(B, (-1, 1))
    return Zc.T
'''}),
    Variant("relu as (Z + |Z|) / 2", {"relu": '''
def relu(Z):
    return (Z + np.abs(Z)) / 2
'''}),
    Variant("relu as Z times (Z > 0)", {"relu": '''
def relu(Z):
    return Z * (Z > 0)
'''}),
    Variant("sigmoid through tanh", {"sigmoid": '''
def sigmoid(Z):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(Z, dtype=float)))
'''}),
    Variant("sigmoid with clipping", {"sigmoid": '''
def sigmoid(Z):
    return 1.0 / (1.0 + np.exp(-np.clip(Z, -500, 500)))
'''}),
    Variant("Neuron with a loop and an if in forward", {"Neuron": NEURON_HEAD + '''
        if activation not in ("sigmoid", "relu"):
            raise ValueError(f"unknown activation {activation}")
        self.kind = activation
        self.activation = sigmoid if activation == "sigmoid" else relu

    def forward(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            z = sum(x[i] * self.weights[i] for i in range(self.n_inputs)) + self.bias
            return sigmoid(z) if self.kind == "sigmoid" else relu(z)
        return np.array([self.forward(row) for row in x])
'''}),
    Variant("Neuron storing a lambda that looks the activation up when called", {"Neuron": NEURON_HEAD + '''
        if activation == "sigmoid":
            self.activation = lambda z: sigmoid(z)
        elif activation == "relu":
            self.activation = lambda z: relu(z)
        else:
            raise ValueError("choose 'sigmoid' or 'relu'")

    def forward(self, x):
        return self.activation(np.dot(x, self.weights) + self.bias)
'''}),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "neurons": ("test_neurons_values",),
    "relu": ("test_relu",),
    "sigmoid": ("test_sigmoid_values", "test_sigmoid_stable"),
    # __init__ sets a 1-D weights array and numbers, and forward returns a number or a
    # 1-D array: a transpose changes none of them.
    "Neuron.__init__": Stub(("test_neuron_class",), kinds=("zeros", "ones", "doubled")),
    "Neuron.forward": Stub(("test_neuron_class",), kinds=("zeros", "ones", "doubled")),
}
