"""The examples lab1's tests try earlier exercises on (see utils/prerequisites).

Each check runs an exercise on the inputs of its own visible test.  ``relu`` and
``sigmoid`` are checked the same way whether they are the functions of
01_single_neuron or the methods of the network of 03_network.
"""
import numpy as np

from utils.prerequisites import wrong

CHANGES_INPUT = "changes the array it is given"


# -- 01_single_neuron --------------------------------------------------------------
def neurons(func):
    X = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0], [-1.0, 1.0, -1.0, 1.0]])
    W = np.array([[0.1, 0.2, 0.3, 0.4], [-0.5, 0.5, -0.5, 0.5]])
    B = np.array([[0.5, -1.0]])
    return wrong(func(X, W, B), [[3.5, 0.0], [0.5, -1.0], [0.7, 1.0]], "weighted sums")


def relu(func):
    Z = np.array([[-2.0, 0.0, 3.0], [0.5, -0.1, -7.0]])
    problem = wrong(func(Z), [[0.0, 0.0, 3.0], [0.5, 0.0, 0.0]], "values")
    if problem is None and not np.array_equal(Z, [[-2.0, 0.0, 3.0], [0.5, -0.1, -7.0]]):
        return CHANGES_INPUT
    return problem


def sigmoid(func):
    examples = [  # the tests of 01_single_neuron, then the test of the method of 03_network
        ([[-2.0, 0.0], [1.0, 4.0]],
         [[0.11920292202211755, 0.5], [0.7310585786300049, 0.9820137900379085]]),
        ([-1000.0, -40.0, 0.0, 40.0, 1000.0], [0.0, 4.248354255291589e-18, 0.5, 1.0, 1.0]),
        ([[-1000.0, -2.0, 0.0], [2.0, 40.0, 1000.0]],
         [[0.0, 0.11920292202211755, 0.5], [0.8807970779778823, 1.0, 1.0]]),
    ]
    for Z, expected in examples:
        problem = wrong(func(np.array(Z)), expected, "values")
        if problem:
            return problem
    return None


# -- 06_backprop -------------------------------------------------------------------
def dense_backward(func):
    dZ = np.array([[0.2, -0.5, 1.0], [1.5, 0.0, -0.3], [-0.4, 0.8, 0.6], [0.1, 0.7, -1.2]])
    A_prev = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0], [-2.0, 1.5]])
    W = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]])
    given = [dZ.copy(), A_prev.copy(), W.copy()]
    result = func(dZ, A_prev, W)
    if not (isinstance(result, tuple) and len(result) == 3):
        return "does not return the tuple (dW, dB, dA_prev)"
    dW, dB, dA_prev = result
    return (wrong(dW, [[-0.45, -0.95], [0.5, 0.05], [5.05, 0.5]], "values of dW")
            or wrong(dB, [[1.4, 1.0, 0.1]], "values of dB")
            or wrong(dA_prev, [[-1.65, 1.175], [0.975, -1.95], [0.95, 1.5], [2.35, -1.725]],
                     "values of dA_prev")
            or (None if all(np.array_equal(a, b) for a, b in zip(given, (dZ, A_prev, W)))
                else "changes the arrays it is given"))


def relu_derivative(func):
    Z = np.array([[-2.0, 0.0, 3.0], [0.5, -0.1, -7.0]])
    problem = wrong(func(Z), [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], "values")
    if problem is None and not np.array_equal(Z, [[-2.0, 0.0, 3.0], [0.5, -0.1, -7.0]]):
        return CHANGES_INPUT
    return problem


def sigmoid_derivative(func):
    return wrong(func(np.array([[-2.0, 0.0], [1.0, 4.0]])),
                 [[0.10499358540350652, 0.25], [0.19661193324148185, 0.017662706213291118]],
                 "values")


CHECKS = {"neurons": neurons, "relu": relu, "sigmoid": sigmoid,
          "dense_backward": dense_backward, "relu_derivative": relu_derivative,
          "sigmoid_derivative": sigmoid_derivative}
