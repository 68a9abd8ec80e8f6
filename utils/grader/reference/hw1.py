"""Reference answers for hw1 (a two-layer MLP, samples as columns).

Written independently of the notebook.  Shapes: ``X (n_x, m)``, ``Y (n_y, m)``,
``W1 (n_h, n_x)``, ``b1 (n_h, 1)``, ``W2 (n_y, n_h)``, ``b2 (n_y, 1)``.
``initialize_parameters`` and the training loops draw from NumPy's legacy
global generator in the order the homework prescribes (W1, then W2), so that
they reproduce the homework's numbers after ``np.random.seed``.
"""
import numpy as np

PARAMETER_NAMES = ("W1", "b1", "W2", "b2")


def neural_network_structure(X, Y, n_h=5):
    """(input size, hidden size, output size)."""
    return int(np.shape(X)[0]), int(n_h), int(np.shape(Y)[0])


def initialize_parameters(n_x, n_h, n_y):
    """Scaled normal weights (legacy global generator), zero biases."""
    W1 = np.random.standard_normal((n_h, n_x)) * (1.0 / np.sqrt(n_x))
    W2 = np.random.standard_normal((n_y, n_h)) * (1.0 / np.sqrt(n_h))
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def random_parameters(n_x, n_h, n_y, rng):
    """Parameters with non-zero biases from a Generator, for fresh test inputs."""
    return {"W1": rng.normal(size=(n_h, n_x)), "b1": rng.normal(size=(n_h, 1)),
            "W2": rng.normal(size=(n_y, n_h)), "b2": rng.normal(size=(n_y, 1))}


def sigmoid(x):
    """1 / (1 + e^-x) through log(1 + e^-x): no overflow for any x."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def sigmoid_derivative(x):
    """e^-|x| / (1 + e^-|x|)^2, which equals sigma(x) (1 - sigma(x))."""
    e = np.exp(-np.abs(np.asarray(x, dtype=float)))
    return e / (1.0 + e) ** 2


def forward_propagation(X, parameters):
    """Returns ``A2`` and the cache ``{Z1, A1, Z2, A2}``."""
    Z1 = np.einsum("hx,xm->hm", parameters["W1"], X) + parameters["b1"]
    A1 = sigmoid(Z1)
    Z2 = np.einsum("yh,hm->ym", parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    """Half the squared error summed over all entries, divided by m."""
    diff = (np.asarray(A2, dtype=float) - Y).ravel()
    return 0.5 * float(np.dot(diff, diff)) / np.shape(Y)[1]


def cost_of(X, Y, parameters):
    """The cost of ``parameters`` on ``(X, Y)``; for numerical gradients."""
    return compute_cost(forward_propagation(X, parameters)[0], Y)


def back_propagation(X, Y, parameters, cache):
    """Gradients ``{dW1, db1, dW2, db2}`` of :func:`compute_cost`."""
    m = np.shape(Y)[1]
    delta2 = (cache["A2"] - Y) * sigmoid_derivative(cache["Z2"]) / m
    delta1 = np.einsum("yh,ym->hm", parameters["W2"], delta2) * sigmoid_derivative(cache["Z1"])
    return {"dW1": np.einsum("hm,xm->hx", delta1, X),
            "db1": delta1.sum(axis=1).reshape(-1, 1),
            "dW2": np.einsum("ym,hm->yh", delta2, cache["A1"]),
            "db2": delta2.sum(axis=1).reshape(-1, 1)}


def update_parameters(parameters, grads, learning_rate):
    """One gradient-descent step; new arrays, the inputs untouched."""
    return {name: parameters[name] - learning_rate * grads["d" + name]
            for name in PARAMETER_NAMES}


def train(X, Y, n_h, learning_rate, max_iteration):
    """Full-batch gradient descent from :func:`initialize_parameters`.

    Returns ``(parameters, costs)``: the cost is recorded before each step.
    """
    n_x, n_h, n_y = neural_network_structure(X, Y, n_h)
    parameters = initialize_parameters(n_x, n_h, n_y)
    costs = []
    for _ in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        costs.append(compute_cost(A2, Y))
        parameters = update_parameters(parameters,
                                       back_propagation(X, Y, parameters, cache),
                                       learning_rate)
    return parameters, costs


def train_loop(X, Y, n_h, learning_rate, max_iteration, print_cost=True, return_costs=False):
    """The homework's ``train_loop``, printing as the homework prints."""
    parameters, costs = train(X, Y, n_h, learning_rate, max_iteration)
    if print_cost:
        for iteration, cost in enumerate(costs):
            print(f"Epoch {iteration}: Loss = {cost}")
    return (parameters, costs) if return_costs else parameters


def predict(X, parameters):
    """Labels 0/1 of shape (n_y, m): 1 where the output is above 0.5."""
    return np.where(forward_propagation(X, parameters)[0] > 0.5, 1, 0)


def accuracy(predictions, Y):
    """Fraction of entries where ``predictions`` equals ``Y``."""
    return float(np.count_nonzero(np.asarray(predictions) == Y)) / np.size(Y)


def hyperparameter_sweep(X_train, Y_train, X_test, Y_test, hidden_sizes,
                         learning_rates, max_iteration, seed=1):
    """Train and test accuracy of one network per (n_h, learning rate) pair.

    Each network starts from ``np.random.seed(seed)``.  Returns two arrays of
    shape ``(len(hidden_sizes), len(learning_rates))``.
    """
    shape = (len(hidden_sizes), len(learning_rates))
    train_acc, test_acc = np.empty(shape), np.empty(shape)
    for i, n_h in enumerate(hidden_sizes):
        for j, rate in enumerate(learning_rates):
            np.random.seed(seed)
            parameters, _ = train(X_train, Y_train, n_h, rate, max_iteration)
            train_acc[i, j] = accuracy(predict(X_train, parameters), Y_train)
            test_acc[i, j] = accuracy(predict(X_test, parameters), Y_test)
    return train_acc, test_acc



def relative_difference(analytic, numeric):
    """||a - n|| / (||a|| + ||n||) of two gradient vectors (0 when both are 0)."""
    analytic = np.asarray(analytic, dtype=float).ravel()
    numeric = np.asarray(numeric, dtype=float).ravel()
    scale = np.sqrt(analytic @ analytic) + np.sqrt(numeric @ numeric)
    gap = analytic - numeric
    return float(np.sqrt(gap @ gap) / scale) if scale > 0 else 0.0


def numerical_gradients(X, Y, parameters, epsilon=1e-7):
    """Central differences of :func:`compute_cost` for every parameter entry.

    Works on copies: ``parameters`` is left as it was.  Returns a dictionary
    ``{dW1, db1, dW2, db2}`` of arrays shaped like the parameters.
    """
    numeric = {}
    for name in PARAMETER_NAMES:
        base = np.array(parameters[name], dtype=float)
        slope = np.empty(base.shape)
        for flat in range(base.size):
            costs = []
            for step in (epsilon, -epsilon):
                moved = base.copy()
                moved.flat[flat] += step
                costs.append(cost_of(X, Y, {**parameters, name: moved}))
            slope.flat[flat] = (costs[0] - costs[1]) / (2.0 * epsilon)
        numeric["d" + name] = slope
    return numeric


def gradient_check(X, Y, parameters, epsilon=1e-7, backward=None):
    """Relative difference between the gradients of ``backward`` (by default
    :func:`back_propagation`) and central differences of the cost, over all
    parameters flattened and joined in the order W1, b1, W2, b2."""
    backward = back_propagation if backward is None else backward
    cache = forward_propagation(X, parameters)[1]
    analytic = backward(X, Y, parameters, cache)
    numeric = numerical_gradients(X, Y, parameters, epsilon)
    join = lambda grads: np.concatenate([np.ravel(grads["d" + n]) for n in PARAMETER_NAMES])
    return relative_difference(join(analytic), join(numeric))
