"""The examples hw1's tests try earlier exercises on (see utils/prerequisites).

Each function takes your version of one exercise, runs it on the example of that
exercise's own test in 01_two_layer_mlp, and compares with the numbers that test
shows.  It returns None when they agree, else a few words on what is wrong.
"""
import numbers

import numpy as np

from utils.prerequisites import differs, wrong

# The toy network of the tests of exercises 4, 6, 6b and 9: n_x = 3 features,
# m = 4 samples, n_h = 2 hidden neurons, n_y = 1 output.
X = [[1.0, 0.0, -1.0, 2.0],
     [0.5, -0.5, 1.0, 0.0],
     [0.0, 1.0, 1.0, -1.0]]
Y = [[1.0, 0.0, 0.0, 1.0]]
W1, b1 = [[0.2, -0.4, 0.1], [-0.3, 0.5, 0.6]], [[0.1], [-0.2]]


def toy_parameters(W2=((0.7, -1.2),), b2=((0.3,),)):
    """A fresh dictionary of the toy network's parameters."""
    return {"W1": np.array(W1), "b1": np.array(b1), "W2": np.array(W2), "b2": np.array(b2)}


def is_number(value):
    """One real number (a Python or NumPy number, or a 0-d array), as the tests ask."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Real) or (
        isinstance(value, np.ndarray) and value.ndim == 0
        and np.issubdtype(value.dtype, np.number))


def wrong_array(value, expected, what):
    """As :func:`wrong`, and the value must be a NumPy array, as the tests ask."""
    if not isinstance(value, np.ndarray):
        return f"gives {what} that are not a NumPy array"
    return wrong(value, expected, what)


def wrong_number(value, expected, what):
    """``None`` when ``value`` is one number equal to ``expected``."""
    if not is_number(value):
        return f"gives a {what} that is not a single number"
    return f"gives a wrong {what}" if differs(value, expected) else None


def wrong_dictionary(found, expected, what):
    """``None`` when ``found`` is a dictionary holding the arrays ``expected``."""
    if not isinstance(found, dict):
        return f"does not return a dictionary of {what}"
    for name, values in expected.items():
        problem = wrong_array(found.get(name), values, f"values of {name}")
        if problem:
            return problem
    return None


def neural_network_structure(func):
    for n_h, sizes in ((3, (4, 3, 1)), (None, (4, 5, 1))):
        given = (np.zeros((4, 7)), np.zeros((1, 7))) + ((n_h,) if n_h else ())
        found = func(*given)
        if not isinstance(found, (tuple, list)) or tuple(found) != sizes:
            return "gives wrong sizes"
    return None


def initialize_parameters(func):
    np.random.seed(3)
    found = func(2, 3, 1)
    return wrong_dictionary(found, {
        "W1": [[1.2647513225859208, 0.30865907535175385],
               [0.06823401404104965, -1.3176883272406827],
               [-0.19614307901907888, -0.2508524799279183]],
        "b1": np.zeros((3, 1)),
        "W2": [[-0.047770816607046594, -0.36199900954632586, -0.02529843165364868]],
        "b2": np.zeros((1, 1))}, "parameters")


def sigmoid(func):
    return (wrong_array(func(np.array([[-2.0, 0.0], [1.0, 4.0]])),
                        [[0.11920292202211755, 0.5], [0.7310585786300049, 0.9820137900379085]],
                        "values")
            or wrong_number(func(0.0), 0.5, "value at 0"))


def sigmoid_derivative(func):
    return (wrong_array(func(np.array([-2.0, 0.0, 3.0])),
                        [0.1049935854035065, 0.25, 0.045176659730912144], "values")
            or wrong_number(func(0.0), 0.25, "value at 0"))


# What the toy network computes (the numbers of the test of exercise 4).
A1 = [[0.52497918747894, 0.598687660112452, 0.40131233988754794, 0.598687660112452],
      [0.4378234991142019, 0.5374298453437495, 0.7685247834990176, 0.19781611144141825]]
Z2 = [[0.14209723229821575, 0.07416554766621702, -0.3413111022775375, 0.4817020283490145]]
A2 = [[0.5354646540685202, 0.5185328926366237, 0.415491029842621, 0.6181497033513507]]


def forward_propagation(func):
    found = func(np.array(X), toy_parameters())
    if not (isinstance(found, (tuple, list)) and len(found) == 2):
        return "does not return the pair A2, cache"
    A2_found, cache = found
    if isinstance(A2_found, dict):
        return "returns the cache first and A2 second"
    if not isinstance(cache, dict) or not {"Z1", "A1", "Z2", "A2"} <= set(cache):
        return 'gives a cache without all of "Z1", "A1", "Z2" and "A2"'
    if not (isinstance(cache["Z1"], np.ndarray) and np.shape(cache["Z1"]) == (2, 4)):
        return 'gives a cache["Z1"] of the wrong shape'
    return (wrong_array(A2_found, A2, "values of A2")
            or wrong_array(cache["A1"], A1, 'values of cache["A1"]')
            or wrong_array(cache["Z2"], Z2, 'values of cache["Z2"]')
            or wrong_array(cache["A2"], A2, 'values of cache["A2"]'))


def compute_cost(func):
    return wrong_number(func(np.array([[0.8, 0.3, 0.6]]), np.array([[1.0, 0.0, 1.0]])),
                        0.04833333333333333, "cost")


def back_propagation(func):
    parameters = toy_parameters()
    cache = {"Z1": parameters["W1"] @ np.array(X) + parameters["b1"], "A1": np.array(A1),
             "Z2": np.array(Z2), "A2": np.array(A2)}
    found = func(np.array(X), np.array(Y), parameters, cache)
    return wrong_dictionary(found, {
        "dW1": [[-0.016864638065922734, -0.001000217503583784, 0.013475319018074307],
                [0.022498930678547316, 0.00370831156911467, -0.019330663659791303]],
        "db1": [[0.0008533128621675246], [-0.0022168868351051824]],
        "dW2": [[0.0008439059366095233, 0.019675361074328962]],
        "db2": [[0.006169694765689938]]}, "gradients")


def update_parameters(func):
    grads = {"dW1": np.array([[0.1, 0.2, -0.1], [0.0, -0.3, 0.4]]),
             "db1": np.array([[0.5], [-0.5]]),
             "dW2": np.array([[1.0, -2.0]]), "db2": np.array([[0.2]])}
    found = func(toy_parameters(), grads, 0.5)
    return wrong_dictionary(found, {"W1": [[0.15, -0.5, 0.15], [-0.3, 0.65, 0.4]],
                                    "b1": [[-0.15], [0.05]],
                                    "W2": [[0.2, -0.2]], "b2": [[0.2]]}, "parameters")


def train_loop(func):
    np.random.seed(2)
    X_small = np.random.randn(3, 6)
    Y_small = (np.random.rand(1, 6) > 0.5) * 1.0
    found = func(X_small, Y_small, 4, 0.5, 5, print_cost=False)
    return wrong_dictionary(found, {
        "W1": [[0.14656346299141426, -0.5716075832016616, -0.1930343806047529],
               [-0.1427290242732783, -0.37296367630734667, -0.6760246267615001],
               [-0.8206872372953857, -0.09087665716199199, -0.1534662065231519],
               [1.2948614230819118, -1.4080873942412493, 0.05911697534757227]],
        "b1": [[-0.003895921818792118], [-0.017109886531910368],
               [-0.007094080415838193], [-0.00041707851306558994]],
        "W2": [[0.11315384544755379, 0.6017113362788341, 0.17959726595400083,
                -0.5076525320903388]],
        "b2": [[-0.14858928822854395]]}, "trained parameters")


def predict(func):
    found = func(np.array(X), toy_parameters(W2=((3.0, -3.0),), b2=((0.0,),)))
    return wrong_array(found, [[1, 1, 0, 1]], "labels")


CHECKS = {"neural_network_structure": neural_network_structure,
          "initialize_parameters": initialize_parameters,
          "sigmoid": sigmoid, "sigmoid_derivative": sigmoid_derivative,
          "forward_propagation": forward_propagation, "compute_cost": compute_cost,
          "back_propagation": back_propagation, "update_parameters": update_parameters,
          "train_loop": train_loop, "predict": predict}
