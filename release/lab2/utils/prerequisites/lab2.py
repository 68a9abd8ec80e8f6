"""The examples lab2's tests try earlier exercises on (see utils/prerequisites).

Each check runs your function on the inputs of its own visible test in
01_neuron or 02_tiny_network and compares with the values printed there.
"""
import numbers

import numpy as np

from utils.prerequisites import wrong


def _is_number(value):
    """A single real number, as the tests accept it (not True or False)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Real) or (
        isinstance(value, np.ndarray) and value.ndim == 0
        and np.issubdtype(value.dtype, np.number))


def check_sigmoid(sigmoid):
    """The examples of the two tests of sigmoid (their values; warnings are their own)."""
    s = sigmoid(np.array([[-2.0, 0.0], [1.0, 4.0]]))
    if not isinstance(s, np.ndarray):
        return "returns something other than a NumPy array"
    problem = wrong(s, [[0.11920292202211755, 0.5], [0.7310585786300049, 0.9820137900379085]])
    if problem:
        return problem
    half = sigmoid(0.0)
    if not _is_number(half):
        return "returns something other than a single number for 0.0"
    if float(half) != 0.5:
        return "gives something other than exactly 0.5 for 0.0"
    s = sigmoid(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    if not isinstance(s, np.ndarray):
        return "returns something other than a NumPy array"
    return wrong(s, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], "values for large inputs",
                 rtol=1e-9, atol=1e-12)


def check_sigmoid_prime(sigmoid_prime):
    """The examples of the test of sigmoid_prime."""
    d = sigmoid_prime(np.array([-2.0, 0.0, 2.0]))
    if not isinstance(d, np.ndarray):
        return "returns something other than a NumPy array"
    problem = wrong(d, [0.1049935854035065, 0.25, 0.1049935854035065])
    if problem:
        return problem
    return wrong(sigmoid_prime(np.array([-1000.0, 1000.0])), [0.0, 0.0],
                 "values for large inputs")


def check_neuron_forward(neuron_forward):
    """The example of the test of neuron_forward: four samples, w = [1, -0.5], b = 0.25."""
    X = np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 0.5], [2.0, -1.0]])
    y = neuron_forward(X, np.array([1.0, -0.5]), 0.25)
    if not isinstance(y, np.ndarray):
        return "returns something other than a NumPy array"
    return wrong(y, [0.5621765008857981, 0.5621765008857981, 0.2689414213699951,
                     0.9399133498259924], "outputs")


def check_network_forward(network_forward):
    """The example of the test of network_forward: three samples, two hidden neurons."""
    result = network_forward(np.array([[0.0, 0.0], [1.0, -1.0], [-1.0, 2.0]]),
                             np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, 0.5]),
                             np.array([2.0, -1.0]), 0.5)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return "returns something other than a pair (y, h)"
    y, h = result
    if not isinstance(y, np.ndarray) or not isinstance(h, np.ndarray):
        return "returns something other than two NumPy arrays"
    return wrong(h, [[0.5, 0.6224593312018546], [0.6224593312018546, 0.07585818002124356],
                     [0.5, 0.995929862284104]], "values of h") or \
        wrong(y, [0.7063123281484124, 0.8414505188658953, 0.6234153508490992], "values of y")


#: In teaching order: a test names the first of its earlier exercises that is wrong.
CHECKS = {
    "sigmoid": check_sigmoid,
    "sigmoid_prime": check_sigmoid_prime,
    "neuron_forward": check_neuron_forward,
    "network_forward": check_network_forward,
}
