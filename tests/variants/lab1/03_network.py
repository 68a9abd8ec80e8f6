"""Prepared answers for lab1/03_network: realistic mistakes that must lose points
in their own part of SimpleNeuralNetwork, and correct alternatives that must keep
every point.  The answer cell is the whole class, so each variant is a correct
class with one part written differently.
"""
from utils.submissions import Variant

INIT = '''
    def __init__(self):
        self.W1 = np.random.randn(2, 4)
        self.B1 = np.random.randn(1, 2)
        self.W2 = np.random.randn(2, 2)
        self.B2 = np.random.randn(1, 2)
        self.W3 = np.random.randn(1, 2)
        self.B3 = np.random.randn(1)
'''

RELU = '''
    def relu(self, z):
        return np.maximum(0, z)
'''

SIGMOID = '''
    def sigmoid(self, z):
        z = np.asarray(z, dtype=float)
        out = np.zeros_like(z)
        pos = z >= 0
        out[pos] = 1 / (1 + np.exp(-z[pos]))
        out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
        return out
'''

FORWARD = '''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.A1 @ self.W2.T + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = self.sigmoid(self.Z3)
        return self.output
'''


def network(init=INIT, relu=RELU, sigmoid=SIGMOID, forward=FORWARD):
    """The whole answer cell: the class with the given parts."""
    return {"SimpleNeuralNetwork": "class SimpleNeuralNetwork:" + init + relu + sigmoid + forward}


VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("weight matrices with rows and columns swapped", network(init='''
    def __init__(self):
        self.W1 = np.random.randn(4, 2)
        self.B1 = np.random.randn(1, 2)
        self.W2 = np.random.randn(2, 2)
        self.B2 = np.random.randn(1, 2)
        self.W3 = np.random.randn(2, 1)
        self.B3 = np.random.randn(1)
'''), loses=("test_network_init",)),
    Variant("parameters drawn in another order", network(init='''
    def __init__(self):
        self.W1 = np.random.randn(2, 4)
        self.W2 = np.random.randn(2, 2)
        self.W3 = np.random.randn(1, 2)
        self.B1 = np.random.randn(1, 2)
        self.B2 = np.random.randn(1, 2)
        self.B3 = np.random.randn(1)
'''), loses=("test_network_init",)),
    Variant("randn given a tuple, so __init__ crashes", network(init='''
    def __init__(self):
        self.W1 = np.random.randn((2, 4))
        self.B1 = np.random.randn((1, 2))
        self.W2 = np.random.randn((2, 2))
        self.B2 = np.random.randn((1, 2))
        self.W3 = np.random.randn((1, 2))
        self.B3 = np.random.randn(1)
'''), loses=("test_network_init",)),
    Variant("__init__ that draws B3 as a (1, 1) matrix", network(init='''
    def __init__(self):
        self.W1 = np.random.randn(2, 4)
        self.B1 = np.random.randn(1, 2)
        self.W2 = np.random.randn(2, 2)
        self.B2 = np.random.randn(1, 2)
        self.W3 = np.random.randn(1, 2)
        self.B3 = np.random.randn(1, 1)
'''), loses=("test_network_init",)),
    Variant("leaky relu method", network(relu='''
    def relu(self, z):
        return np.where(z > 0, z, 0.01 * z)
'''), loses=("test_network_activations",),
        says={"test_forward_values": "This test uses your relu, which gives wrong values"}),
    Variant("relu method that overwrites its input", network(relu='''
    def relu(self, z):
        z[z < 0] = 0
        return z
'''), loses=("test_network_activations",),
        says={"test_forward_cache": "your relu, which changes the array it is given"}),
    Variant("sigmoid method with the sign flipped", network(sigmoid='''
    def sigmoid(self, z):
        z = np.clip(z, -500, 500)
        return 1 / (1 + np.exp(z))
'''), loses=("test_network_activations",),
        says={"test_forward_values": "This test uses your sigmoid, which gives wrong values",
              "test_forward_stable": "your sigmoid"}),
    Variant("textbook sigmoid method that overflows", network(sigmoid='''
    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))
'''), loses=("test_network_activations",)),
    Variant("output flattened as in the lab session", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = np.matmul(X, np.transpose(self.W1)) + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = np.matmul(self.A1, np.transpose(self.W2)) + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = np.matmul(self.A2, np.transpose(self.W3)) + self.B3
        self.Z3 = self.Z3.flatten()
        self.output = self.sigmoid(self.Z3)
        return self.output
'''), loses=("test_forward_values", "test_forward_cache", "test_forward_stable")),
    Variant("weights not transposed", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1 + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.A1 @ self.W2 + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3 + self.B3
        self.output = self.sigmoid(self.Z3)
        return self.output
'''), loses=("test_forward_values", "test_forward_cache", "test_forward_stable")),
    Variant("forward returns the last hidden layer instead of the output", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.A1 @ self.W2.T + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = self.sigmoid(self.Z3)
        return self.A2
'''), loses=("test_forward_values", "test_forward_cache", "test_forward_stable")),
    Variant("intermediate values kept only in local variables", network(forward='''
    def forward(self, X):
        Z1 = X @ self.W1.T + self.B1
        A1 = self.relu(Z1)
        Z2 = A1 @ self.W2.T + self.B2
        A2 = self.relu(Z2)
        Z3 = A2 @ self.W3.T + self.B3
        return self.sigmoid(Z3)
'''), loses=("test_forward_cache",)),
    Variant("textbook sigmoid written inside forward", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.A1 @ self.W2.T + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = 1 / (1 + np.exp(-self.Z3))
        return self.output
'''), loses=("test_forward_stable",)),
    Variant("relu on the output layer", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.A1 @ self.W2.T + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = self.relu(self.Z3)
        return self.output
'''), loses=("test_forward_values", "test_forward_cache", "test_forward_stable")),
    Variant("second layer fed with Z1 instead of A1", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.Z1 @ self.W2.T + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = self.sigmoid(self.Z3)
        return self.output
'''), loses=("test_forward_values", "test_forward_cache", "test_forward_stable")),

    # -- correct alternatives ---------------------------------------------
    Variant("parameters with np.random.normal, relu with np.where, sigmoid through tanh",
            network(init='''
    def __init__(self):
        self.W1 = np.random.normal(size=(2, 4))
        self.B1 = np.random.normal(size=(1, 2))
        self.W2 = np.random.normal(size=(2, 2))
        self.B2 = np.random.normal(size=(1, 2))
        self.W3 = np.random.normal(size=(1, 2))
        self.B3 = np.random.normal(size=(1,))
''', relu='''
    def relu(self, z):
        return np.where(z > 0, z, 0.0)
''', sigmoid='''
    def sigmoid(self, z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))
''')),
    Variant("forward as in the lab session, with np.matmul and locals stored at the end",
            network(forward='''
    def forward(self, X):
        Z1 = np.matmul(X, np.transpose(self.W1)) + self.B1
        A1 = self.relu(Z1)
        Z2 = np.matmul(A1, np.transpose(self.W2)) + self.B2
        A2 = self.relu(Z2)
        Z3 = np.matmul(A2, np.transpose(self.W3)) + self.B3
        output = self.sigmoid(Z3)
        self.X, self.Z1, self.A1, self.Z2, self.A2, self.Z3 = X, Z1, A1, Z2, A2, Z3
        self.output = output
        return output
''')),
    Variant("forward as a loop over the layers, sigmoid with clipping", network(sigmoid='''
    def sigmoid(self, z):
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
''', forward='''
    def forward(self, X):
        self.X = X
        A = X
        layers = [(self.W1, self.B1, self.relu), (self.W2, self.B2, self.relu),
                  (self.W3, self.B3, self.sigmoid)]
        for k, (W, B, activation) in enumerate(layers, start=1):
            Z = np.dot(A, W.T) + B
            A = activation(Z)
            setattr(self, f"Z{k}", Z)
            if k < 3:
                setattr(self, f"A{k}", A)
        self.output = A
        return A
''')),
    Variant("forward that calls the methods through the class name", network(forward='''
    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = SimpleNeuralNetwork.relu(self, self.Z1)
        self.Z2 = self.A1 @ self.W2.T + self.B2
        self.A2 = SimpleNeuralNetwork.relu(self, self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = SimpleNeuralNetwork.sigmoid(self, self.Z3)
        return self.output
''')),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "SimpleNeuralNetwork.__init__": ("test_network_init",),
    "SimpleNeuralNetwork.relu": ("test_network_activations",),
    "SimpleNeuralNetwork.sigmoid": ("test_network_activations",),
    "SimpleNeuralNetwork.forward": ("test_forward_values", "test_forward_cache",
                                    "test_forward_stable"),
}
