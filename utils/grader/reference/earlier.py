"""What a notebook loads from earlier notebooks, in the grader's own versions.

A later notebook gets a student's earlier answers through
:func:`utils.earlier.load_answers`.  While one notebook is graded, its kernel
never sees another notebook: the grader hands it these versions instead
(:meth:`utils.grader.execute.GradedExecute._provide_earlier`), so a notebook
is graded on its own and a mistake in an earlier one is never charged twice.

Each object has the API of the student's answer it stands for, and draws
random numbers in the same order, so the cells around it run as they would
with correct answers.
"""
import numpy as np

from . import gradcheck, lab1, lab1_training, lab2


class Neuron:
    """01_single_neuron's neuron: ``weights (M,)``, a number ``bias``, an activation."""

    def __init__(self, n_inputs, weights=None, bias=None, activation="sigmoid", rng=None):
        rng = np.random.default_rng(rng)
        self.n_inputs = n_inputs
        self.weights = rng.normal(size=n_inputs) if weights is None \
            else np.asarray(weights, dtype=float)
        self.bias = rng.random() if bias is None else float(bias)
        self.activation = {"sigmoid": sigmoid, "relu": relu}[activation]

    def forward(self, x):
        return self.activation(np.asarray(x, dtype=float) @ self.weights + self.bias)


relu, sigmoid = lab1.relu, lab1.sigmoid


class SimpleNeuralNetwork:
    """03_network's 4-2-2-1 network; its parameters come from ``np.random.randn``
    in the order W1, B1, W2, B2, W3, B3, as the notebook draws them."""

    def __init__(self):
        self.W1, self.B1 = np.random.randn(2, 4), np.random.randn(1, 2)
        self.W2, self.B2 = np.random.randn(2, 2), np.random.randn(1, 2)
        self.W3, self.B3 = np.random.randn(1, 2), np.random.randn(1)

    def relu(self, Z):
        return relu(Z)

    def sigmoid(self, Z):
        return sigmoid(Z)

    def forward(self, X):
        self.X = X
        self.Z1 = X @ self.W1.T + self.B1
        self.A1 = self.relu(self.Z1)
        self.Z2 = self.A1 @ self.W2.T + self.B2
        self.A2 = self.relu(self.Z2)
        self.Z3 = self.A2 @ self.W3.T + self.B3
        self.output = self.sigmoid(self.Z3)
        return self.output


relu_derivative = lab1_training.relu_derivative
sigmoid_derivative = lab1_training.sigmoid_derivative


def backward(self, y_true, learning_rate=0.01):
    """06_backprop's backward, attached to the network class as a method."""
    dZ3 = (self.output - y_true) * sigmoid_derivative(self.Z3)
    dZ2 = (dZ3 @ self.W3) * relu_derivative(self.Z2)
    dZ1 = (dZ2 @ self.W2) * relu_derivative(self.Z1)
    self.grads = {"dW3": dZ3.T @ self.A2, "dB3": dZ3.sum(axis=0),
                  "dW2": dZ2.T @ self.A1, "dB2": dZ2.sum(axis=0, keepdims=True),
                  "dW1": dZ1.T @ self.X, "dB1": dZ1.sum(axis=0, keepdims=True)}
    for name in ("W1", "B1", "W2", "B2", "W3", "B3"):
        setattr(self, name, getattr(self, name) - learning_rate * self.grads["d" + name])


def numerical_gradient(f, x, h=1e-5):
    """06_backprop's numerical gradient: central differences of the number ``f(x)``."""
    return gradcheck.numerical_gradient(lambda: f(x), x, h)


def answers_for(assignment):
    """``{notebook: {name: object}}`` that later notebooks of ``assignment`` may load."""
    if assignment == "lab1":
        backprop = {"relu_derivative": relu_derivative,
                    "sigmoid_derivative": sigmoid_derivative,
                    "tanh_derivative": lab1_training.tanh_derivative,
                    "backward": backward,
                    "numerical_gradient": numerical_gradient}
        if hasattr(lab1_training, "dense_backward"):
            backprop["dense_backward"] = lab1_training.dense_backward
        return {"01_single_neuron": {"neurons": lab1.neurons, "relu": relu,
                                     "sigmoid": sigmoid, "Neuron": Neuron},
                "03_network": {"SimpleNeuralNetwork": SimpleNeuralNetwork},
                "04_dataset": {"MyDataset": lab1.RefTwoClassDataset,
                               "DataLoader": lab1.RefLoader},
                "06_backprop": backprop}
    if assignment == "lab2":
        return {"01_neuron": {name: getattr(lab2, name) for name in (
            "sigmoid", "sigmoid_prime", "neuron_forward", "mse", "neuron_gradient",
            "gd_step")}}
    return {}
