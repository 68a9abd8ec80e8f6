"""Prepared answers for lab1/06_backprop: realistic mistakes that must lose
points in their own exercise, and correct alternatives that must keep every
point.  Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Variant


def backward_with(output_layer=None, layer2=None, layer1=None, store_and_update=None):
    """A backward() in the shape students write it, with one part swapped out."""
    output_layer = output_layer or '''
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    dW3 = np.matmul(dZ3.T, self.A2)
    dB3 = np.sum(dZ3, axis=0)
'''
    layer2 = layer2 or '''
    dA2 = np.matmul(dZ3, self.W3)
    dZ2 = dA2 * relu_derivative(self.Z2)
    dW2 = np.matmul(dZ2.T, self.A1)
    dB2 = np.sum(dZ2, axis=0, keepdims=True)
'''
    layer1 = layer1 or '''
    dA1 = np.matmul(dZ2, self.W2)
    dZ1 = dA1 * relu_derivative(self.Z1)
    dW1 = np.matmul(dZ1.T, self.X)
    dB1 = np.sum(dZ1, axis=0, keepdims=True)
'''
    store_and_update = store_and_update or '''
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3}
    self.W3 -= learning_rate * dW3
    self.B3 -= learning_rate * dB3
    self.W2 -= learning_rate * dW2
    self.B2 -= learning_rate * dB2
    self.W1 -= learning_rate * dW1
    self.B1 -= learning_rate * dB1
'''
    return ("def backward(self, y_true, learning_rate=0.01):"
            + output_layer + layer2 + layer1 + store_and_update)


def dense_with(dW="dZ.T @ A_prev", dB="np.sum(dZ, axis=0, keepdims=True)", dA_prev="dZ @ W"):
    """A dense_backward() with one of its three lines swapped out."""
    return ("def dense_backward(dZ, A_prev, W):\n"
            f"    dW = {dW}\n    dB = {dB}\n    dA_prev = {dA_prev}\n"
            "    return dW, dB, dA_prev\n")


#: A backward() that leaves each layer to dense_backward, as the notebook suggests.
BACKWARD_THROUGH_DENSE = '''
def backward(self, y_true, learning_rate=0.01):
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    dW3, dB3, dA2 = dense_backward(dZ3, self.A2, self.W3)
    dZ2 = dA2 * relu_derivative(self.Z2)
    dW2, dB2, dA1 = dense_backward(dZ2, self.A1, self.W2)
    dZ1 = dA1 * relu_derivative(self.Z1)
    dW1, dB1, _ = dense_backward(dZ1, self.X, self.W1)
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3[0]}
    for name in ("W1", "B1", "W2", "B2", "W3", "B3"):
        value = getattr(self, name)
        value -= learning_rate * self.grads["d" + name]
'''


VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("dense_backward: dW transposed (A_prev.T @ dZ)",
            {"dense_backward": dense_with(dW="A_prev.T @ dZ")},
            loses=("test_dense_backward_params",),
            says={"test_backward_update":
                  "your dense_backward, which gives values of dW of the wrong shape"}),
    Variant("dense_backward: dB averaged over the batch instead of summed",
            {"dense_backward": dense_with(dB="np.mean(dZ, axis=0, keepdims=True)")},
            loses=("test_dense_backward_params",)),
    Variant("dense_backward: dB without keepdims, shape (N,)",
            {"dense_backward": dense_with(dB="np.sum(dZ, axis=0)")},
            loses=("test_dense_backward_params",)),
    # dZ @ W.T only fits a square W: on the tests' (N, M) = (3, 2) layer the whole
    # function raises, so it loses both cells of its exercise (and nothing else).
    Variant("dense_backward: dA_prev through W.T (raises unless W is square)",
            {"dense_backward": dense_with(dA_prev="dZ @ W.T")},
            loses=("test_dense_backward_params", "test_dense_backward_input"),
            says={"test_backward_hidden_layers": "your dense_backward, which raises ValueError"}),
    Variant("dense_backward: dA_prev by the column-layout formula W.T @ dZ.T, (M, L)",
            {"dense_backward": dense_with(dA_prev="W.T @ dZ.T")},
            loses=("test_dense_backward_input",)),
    Variant("dense_backward: sums dZ into its own first row (changes dZ)", {"dense_backward": '''
def dense_backward(dZ, A_prev, W):
    dW = dZ.T @ A_prev
    dA_prev = dZ @ W
    for l in range(1, dZ.shape[0]):
        dZ[0] += dZ[l]
    dB = dZ[:1].copy()
    return dW, dB, dA_prev
'''}, loses=("test_dense_backward_params",)),
    Variant("dense_backward averages dB and backward calls it: charged in exercise 1 only",
            {"dense_backward": dense_with(dB="dZ.mean(axis=0, keepdims=True)"),
             "backward": BACKWARD_THROUGH_DENSE},
            loses=("test_dense_backward_params",),
            says={"test_backward_output_layer":
                  "This test uses your dense_backward, which gives wrong values of dB",
                  "test_backward_hidden_layers": "your dense_backward",
                  "test_backward_update": "your dense_backward"}),
    Variant("dense_backward left unwritten, backward calls it", {"dense_backward": '''
def dense_backward(dZ, A_prev, W):
    # YOUR CODE HERE
    raise NotImplementedError()
    return dW, dB, dA_prev
'''}, loses=("test_dense_backward_params", "test_dense_backward_input"),
        says={"test_backward_output_layer": "dense_backward is not written yet"}),
    Variant("relu derivative equal to 1 at zero", {"relu_derivative": '''
def relu_derivative(Z):
    return (Z >= 0).astype(float)
'''}, loses=("test_relu_derivative",),
        says={"test_backward_hidden_layers": "This test uses your relu_derivative, which gives "
                                             "wrong values"}),
    Variant("relu derivative that overwrites Z", {"relu_derivative": '''
def relu_derivative(Z):
    Z[Z > 0] = 1.0
    Z[Z <= 0] = 0.0
    return Z
'''}, loses=("test_relu_derivative",),
        says={"test_backward_output_layer": "your relu_derivative, which changes the array"}),
    Variant("sigmoid derivative applied to Z instead of sigmoid(Z)", {"sigmoid_derivative": '''
def sigmoid_derivative(Z):
    return Z * (1 - Z)
'''}, loses=("test_sigmoid_derivative",),
        says={"test_backward_output_layer": "This test uses your sigmoid_derivative",
              "test_tanh_derivative": "your sigmoid_derivative, which gives wrong values"}),
    Variant("backward: sigmoid derivative taken at the output, not at Z3", {"backward": backward_with(
        output_layer='''
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.output)
    dW3 = np.matmul(dZ3.T, self.A2)
    dB3 = np.sum(dZ3, axis=0)
''')}, loses=("test_backward_output_layer", "test_backward_hidden_layers")),
    Variant("backward: averages over the batch (1/L factor)", {"backward": backward_with(
        output_layer='''
    L = self.X.shape[0]
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3) / L
    dW3 = np.matmul(dZ3.T, self.A2)
    dB3 = np.sum(dZ3, axis=0)
''')}, loses=("test_backward_output_layer", "test_backward_hidden_layers")),
    Variant("backward: bias gradients without keepdims", {"backward": backward_with(
        layer2='''
    dA2 = np.matmul(dZ3, self.W3)
    dZ2 = dA2 * relu_derivative(self.Z2)
    dW2 = np.matmul(dZ2.T, self.A1)
    dB2 = np.sum(dZ2, axis=0)
''', layer1='''
    dA1 = np.matmul(dZ2, self.W2)
    dZ1 = dA1 * relu_derivative(self.Z1)
    dW1 = np.matmul(dZ1.T, self.X)
    dB1 = np.sum(dZ1, axis=0)
''')}, loses=("test_backward_hidden_layers",)),
    Variant("backward: dB3 kept 2-D, (1, 1), as the course notes' code has it", {"backward": backward_with(
        output_layer='''
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    dW3 = np.matmul(dZ3.T, self.A2)
    dB3 = np.sum(dZ3, axis=0, keepdims=True)
''', store_and_update='''
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3}
    self.W3 = self.W3 - learning_rate * dW3
    self.B3 = self.B3 - learning_rate * dB3
    self.W2 = self.W2 - learning_rate * dW2
    self.B2 = self.B2 - learning_rate * dB2
    self.W1 = self.W1 - learning_rate * dW1
    self.B1 = self.B1 - learning_rate * dB1
''')}, loses=("test_backward_output_layer",)),
    Variant("backward: stores zero gradients and leaves the parameters", {"backward": '''
def backward(self, y_true, learning_rate=0.01):
    self.grads = {"d" + name: np.zeros_like(getattr(self, name))
                  for name in ("W1", "B1", "W2", "B2", "W3", "B3")}
'''}, loses=("test_backward_output_layer", "test_backward_hidden_layers",
              "test_backward_update")),
    Variant("backward: learning_rate=0 taken as 'not given' (learning_rate or 0.01)",
            {"backward": backward_with(store_and_update='''
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3}
    eta = learning_rate or 0.01
    self.W3 -= eta * dW3
    self.B3 -= eta * dB3
    self.W2 -= eta * dW2
    self.B2 -= eta * dB2
    self.W1 -= eta * dW1
    self.B1 -= eta * dB1
''')}, loses=("test_backward_update",)),
    Variant("backward: the learning rate parameter named lr, not learning_rate", {"backward":
            backward_with().replace("learning_rate", "lr")}, loses=("test_backward_update",)),
    Variant("backward: forgets the ReLU derivative of layer 2", {"backward": backward_with(
        layer2='''
    dA2 = np.matmul(dZ3, self.W3)
    dZ2 = dA2
    dW2 = np.matmul(dZ2.T, self.A1)
    dB2 = np.sum(dZ2, axis=0, keepdims=True)
''')}, loses=("test_backward_hidden_layers",)),
    Variant("backward: updates each layer before propagating through it", {"backward": '''
def backward(self, y_true, learning_rate=0.01):
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    dW3 = dZ3.T @ self.A2
    dB3 = dZ3.sum(axis=0)
    self.W3 = self.W3 - learning_rate * dW3
    self.B3 = self.B3 - learning_rate * dB3

    dZ2 = (dZ3 @ self.W3) * relu_derivative(self.Z2)
    dW2 = dZ2.T @ self.A1
    dB2 = dZ2.sum(axis=0, keepdims=True)
    self.W2 = self.W2 - learning_rate * dW2
    self.B2 = self.B2 - learning_rate * dB2

    dZ1 = (dZ2 @ self.W2) * relu_derivative(self.Z1)
    dW1 = dZ1.T @ self.X
    dB1 = dZ1.sum(axis=0, keepdims=True)
    self.W1 = self.W1 - learning_rate * dW1
    self.B1 = self.B1 - learning_rate * dB1
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3}
'''}, loses=("test_backward_hidden_layers",)),
    Variant("backward: transposed weight gradient of layer 1 (crashes in the update)",
            {"backward": backward_with(layer1='''
    dA1 = np.matmul(dZ2, self.W2)
    dZ1 = dA1 * relu_derivative(self.Z1)
    dW1 = np.matmul(self.X.T, dZ1)
    dB1 = np.sum(dZ1, axis=0, keepdims=True)
''')}, loses=("test_backward_output_layer", "test_backward_hidden_layers",
              "test_backward_update")),
    Variant("backward: transposed (square) weight gradient of layer 2", {"backward": backward_with(
        layer2='''
    dA2 = np.matmul(dZ3, self.W3)
    dZ2 = dA2 * relu_derivative(self.Z2)
    dW2 = np.matmul(self.A1.T, dZ2)
    dB2 = np.sum(dZ2, axis=0, keepdims=True)
''')}, loses=("test_backward_hidden_layers",)),
    Variant("backward: steps up the gradient (+= instead of -=)", {"backward": backward_with(
        store_and_update='''
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3}
    self.W3 += learning_rate * dW3
    self.B3 += learning_rate * dB3
    self.W2 += learning_rate * dW2
    self.B2 += learning_rate * dB2
    self.W1 += learning_rate * dW1
    self.B1 += learning_rate * dB1
''')}, loses=("test_backward_update",)),
    Variant("backward: ignores the learning_rate argument", {"backward": backward_with(
        store_and_update='''
    self.grads = {"dW1": dW1, "dB1": dB1, "dW2": dW2, "dB2": dB2, "dW3": dW3, "dB3": dB3}
    eta = 0.01
    self.W3 -= eta * dW3
    self.B3 -= eta * dB3
    self.W2 -= eta * dW2
    self.B2 -= eta * dB2
    self.W1 -= eta * dW1
    self.B1 -= eta * dB1
''')}, loses=("test_backward_update",)),
    Variant("numerical gradient with a one-sided difference", {"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - f0) / h
        x[i] = old
    return grad
'''}, loses=("test_numerical_gradient_values",)),
    Variant("numerical gradient that forgets to restore x", {"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''}, loses=("test_numerical_gradient_in_place",)),
    Variant("numerical gradient on copies of x", {"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += h
        x_minus[i] -= h
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
'''}, loses=("test_numerical_gradient_in_place",)),
    Variant("tanh derivative without the square", {"tanh_derivative": '''
def tanh_derivative(Z):
    return 1 - np.tanh(Z)
'''}, loses=("test_tanh_derivative",)),
    Variant("tanh derivative at Z instead of tanh(Z)", {"tanh_derivative": '''
def tanh_derivative(Z):
    return 1 - Z ** 2
'''}, loses=("test_tanh_derivative",)),

    # -- correct alternatives ---------------------------------------------
    Variant("dense_backward with a loop over the samples", {"dense_backward": '''
def dense_backward(dZ, A_prev, W):
    L, N = dZ.shape
    dW = np.zeros(W.shape)
    dB = np.zeros((1, N))
    dA_prev = np.zeros(A_prev.shape)
    for l in range(L):
        dW += np.outer(dZ[l], A_prev[l])
        dB[0] += dZ[l]
        dA_prev[l] = W.T @ dZ[l]
    return dW, dB, dA_prev
'''}),
    Variant("dense_backward with np.dot and sum + reshape",
            {"dense_backward": dense_with(dW="np.dot(dZ.T, A_prev)",
                                          dB="dZ.sum(axis=0).reshape(1, -1)",
                                          dA_prev="np.dot(dZ, W)")}),
    Variant("dense_backward with np.einsum",
            {"dense_backward": dense_with(dW='np.einsum("ln,lm->nm", dZ, A_prev)',
                                          dB='np.einsum("ln->n", dZ)[np.newaxis, :]',
                                          dA_prev='np.einsum("ln,nm->lm", dZ, W)')}),
    Variant("dense_backward by the column-layout formulas, transposed back",
            {"dense_backward": dense_with(dW="(A_prev.T @ dZ).T",
                                          dB="np.add.reduce(dZ, axis=0, keepdims=True)",
                                          dA_prev="(W.T @ dZ.T).T")}),
    Variant("backward through dense_backward, dB3 taken out with [0], in-place updates",
            {"backward": BACKWARD_THROUGH_DENSE}),
    Variant("relu derivative with np.where", {"relu_derivative": '''
def relu_derivative(Z):
    return np.where(Z > 0, 1.0, 0.0)
'''}),
    Variant("relu derivative with np.heaviside", {"relu_derivative": '''
def relu_derivative(Z):
    return np.heaviside(Z, 0.0)
'''}),
    Variant("sigmoid derivative written out with exp", {"sigmoid_derivative": '''
def sigmoid_derivative(Z):
    e = np.exp(-Z)
    return e / (1 + e) ** 2
'''}),
    Variant("backward with a loop over the samples", {"backward": '''
def backward(self, y_true, learning_rate=0.01):
    grads = {"dW1": np.zeros((2, 4)), "dB1": np.zeros((1, 2)), "dW2": np.zeros((2, 2)),
             "dB2": np.zeros((1, 2)), "dW3": np.zeros((1, 2)), "dB3": np.zeros(1)}
    for l in range(len(y_true)):
        x, a1, a2 = self.X[l], self.A1[l], self.A2[l]
        d3 = (self.output[l] - y_true[l]) * self.output[l] * (1 - self.output[l])
        grads["dW3"] += np.outer(d3, a2)
        grads["dB3"] += d3
        d2 = (d3 @ self.W3) * (self.Z2[l] > 0)
        grads["dW2"] += np.outer(d2, a1)
        grads["dB2"] += d2
        d1 = (d2 @ self.W2) * (self.Z1[l] > 0)
        grads["dW1"] += np.outer(d1, x)
        grads["dB1"] += d1
    self.grads = grads
    for name in ["W1", "B1", "W2", "B2", "W3", "B3"]:
        setattr(self, name, getattr(self, name) - learning_rate * grads["d" + name])
'''}),
    Variant("backward with np.dot, in-place updates and .sum", {"backward": '''
def backward(self, y_true, learning_rate=0.01):
    delta3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    delta2 = np.dot(delta3, self.W3) * relu_derivative(self.Z2)
    delta1 = np.dot(delta2, self.W2) * relu_derivative(self.Z1)
    self.grads = {
        "dW3": np.dot(delta3.T, self.A2), "dB3": delta3.sum(axis=0),
        "dW2": np.dot(delta2.T, self.A1), "dB2": delta2.sum(axis=0).reshape(1, -1),
        "dW1": np.dot(delta1.T, self.X), "dB1": delta1.sum(axis=0)[np.newaxis, :],
    }
    for p in ("W1", "B1", "W2", "B2", "W3", "B3"):
        param = getattr(self, p)
        param -= learning_rate * self.grads["d" + p]
'''}),
    Variant("backward with einsum", {"backward": '''
def backward(self, y_true, learning_rate=0.01):
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    dZ2 = np.einsum("lk,kj->lj", dZ3, self.W3) * relu_derivative(self.Z2)
    dZ1 = np.einsum("lk,kj->lj", dZ2, self.W2) * relu_derivative(self.Z1)
    g = {}
    g["dW3"] = np.einsum("lk,lj->kj", dZ3, self.A2)
    g["dW2"] = np.einsum("lk,lj->kj", dZ2, self.A1)
    g["dW1"] = np.einsum("lk,lj->kj", dZ1, self.X)
    g["dB3"] = np.sum(dZ3, axis=0)
    g["dB2"] = np.sum(dZ2, axis=0, keepdims=True)
    g["dB1"] = np.sum(dZ1, axis=0, keepdims=True)
    self.grads = g
    self.W1, self.B1 = self.W1 - learning_rate * g["dW1"], self.B1 - learning_rate * g["dB1"]
    self.W2, self.B2 = self.W2 - learning_rate * g["dW2"], self.B2 - learning_rate * g["dB2"]
    self.W3, self.B3 = self.W3 - learning_rate * g["dW3"], self.B3 - learning_rate * g["dB3"]
'''}),
    Variant("numerical gradient with nditer and +h, -2h, +h", {"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        down = f(x)
        x[i] += h
        grad[i] = (up - down) / (2 * h)
        it.iternext()
    return grad
'''}),
    Variant("numerical gradient through x.flat", {"numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.empty(x.size)
    for k in range(x.size):
        keep = x.flat[k]
        x.flat[k] = keep + h
        a = f(x)
        x.flat[k] = keep - h
        b = f(x)
        x.flat[k] = keep
        grad[k] = (a - b) / (2 * h)
    return grad.reshape(x.shape)
'''}),
    Variant("tanh derivative through cosh", {"tanh_derivative": '''
def tanh_derivative(Z):
    return 1.0 / np.cosh(Z) ** 2
'''}),
    Variant("tanh derivative through the sigmoid derivative", {"tanh_derivative": '''
def tanh_derivative(Z):
    return 4 * sigmoid_derivative(2 * Z)
'''}),
]


#: Every graded function of the notebook, with the grade cells that test it: each
#: stub of it (see utils.submissions.STUB_KINDS) must score 0 there.  backward
#: returns nothing: its stubs change self.grads and the parameters it moved.
STUBS = {
    "dense_backward": ("test_dense_backward_params", "test_dense_backward_input"),
    "relu_derivative": ("test_relu_derivative",),
    "sigmoid_derivative": ("test_sigmoid_derivative",),
    "backward": ("test_backward_output_layer", "test_backward_hidden_layers",
                 "test_backward_update"),
    "numerical_gradient": ("test_numerical_gradient_values",
                           "test_numerical_gradient_in_place"),
    "tanh_derivative": ("test_tanh_derivative",),
    # part of the optional exercise's solution, not graded
    "half_sse_multi": (),
}
