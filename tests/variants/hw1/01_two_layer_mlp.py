"""Prepared answers for hw1/01_two_layer_mlp: realistic mistakes that must lose
points in their own exercise, and correct alternatives that must keep every
point.  Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Stub, Variant

BACKPROP_HEAD = '''
def back_propagation(X, Y, parameters, cache):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    Z1 = cache["Z1"]
    A1 = cache["A1"]
    Z2 = cache["Z2"]
    A2 = cache["A2"]
    m = Y.shape[1]
    dZ2 = (A2 - Y) / m * sigmoid_derivative(Z2)
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
'''

BACKPROP_TAIL = '''
    grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
    return grads
'''

UPDATE_HEAD = '''
def update_parameters(parameters, grads, learning_rate):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    dW1 = grads["dW1"]
    db1 = grads["db1"]
    W1 = W1 - learning_rate * dW1
    b1 = b1 - learning_rate * db1
'''

UPDATE_TAIL = '''
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters
'''

TRAIN_HEAD = '''
def train_loop(X, Y, n_h, learning_rate, max_iteration, print_cost=True, return_costs=False):
    n_x, n_h, n_y = neural_network_structure(X, Y, n_h)
    parameters = initialize_parameters(n_x, n_h, n_y)
    costs = []
'''

TRAIN_TAIL = '''
    if return_costs:
        return parameters, costs
    return parameters
'''

SWEEP_HEAD = '''
def hyperparameter_sweep(X_train, Y_train, X_test, Y_test, hidden_sizes, learning_rates, max_iteration):
    train_acc = np.zeros((len(hidden_sizes), len(learning_rates)))
    test_acc = np.zeros((len(hidden_sizes), len(learning_rates)))
    for i, n_h in enumerate(hidden_sizes):
        for j, learning_rate in enumerate(learning_rates):
            np.random.seed(1)
'''

GRADCHECK_HEAD = '''
def gradient_check(X, Y, parameters, epsilon=1e-7):
    names = ["W1", "b1", "W2", "b2"]
    A2, cache = forward_propagation(X, parameters)
    grads = back_propagation(X, Y, parameters, cache)
    grad = np.concatenate([grads["d" + name].reshape(-1) for name in names])
    grad_approx = np.zeros(grad.shape)
    k = 0
'''

GRADCHECK_TAIL = '''
    difference = np.linalg.norm(grad - grad_approx) / (np.linalg.norm(grad) + np.linalg.norm(grad_approx))
    return difference
'''


def _probe(before="", restore="theta[index] = saved",
           slope="(cost_plus - cost_minus) / (2 * epsilon)", plus="saved + epsilon",
           minus="saved - epsilon"):
    """The loop of gradient_check with one piece written differently."""
    return f'''
    for name in names:
        theta = parameters[name]{before}
        for index in np.ndindex(theta.shape):
            saved = theta[index]
            theta[index] = {plus}
            cost_plus = compute_cost(forward_propagation(X, parameters)[0], Y)
            theta[index] = {minus}
            cost_minus = compute_cost(forward_propagation(X, parameters)[0], Y)
            {restore}
            grad_approx[k] = {slope}
            k += 1
'''


#: The grade cells of later exercises whose visible part uses each earlier function
#: (directly or through the function it tests): with that function wrong, each of them
#: names it.
LATER = {
    "neural_network_structure": ("test_train_loop_output", "test_train_loop_values",
                                 "test_sweep", "test_chosen_settings"),
    "sigmoid_derivative": ("test_backprop_values", "test_gradient_check_values",
                           "test_train_loop_output", "test_train_loop_values",
                           "test_sweep", "test_chosen_settings"),
    "forward_propagation": ("test_backprop_values", "test_gradient_check_values",
                            "test_gradient_check_broken", "test_train_loop_output",
                            "test_train_loop_values", "test_predict_values",
                            "test_sweep", "test_chosen_settings"),
}


def named_later(function):
    """``says`` for a mistake in ``function``: every later check names it."""
    return {cell: f"your {function}" for cell in LATER[function]}


VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("n_y read from X", {"neural_network_structure": '''
def neural_network_structure(X, Y, n_h=5):
    n_x = X.shape[0]
    n_y = X.shape[0]
    return (n_x, n_h, n_y)
'''}, loses=("test_structure",), says=named_later("neural_network_structure")),
    Variant("n_y taken as the number of samples", {"neural_network_structure": '''
def neural_network_structure(X, Y, n_h=5):
    n_x = X.shape[0]
    n_y = Y.shape[1]
    return (n_x, n_h, n_y)
'''}, loses=("test_structure",)),
    Variant("hidden size fixed at 5", {"neural_network_structure": '''
def neural_network_structure(X, Y, n_h=5):
    n_x = X.shape[0]
    n_y = Y.shape[0]
    return (n_x, 5, n_y)
'''}, loses=("test_structure",)),

    Variant("bias b2 of shape (n_y,)", {"initialize_parameters": '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) / np.sqrt(n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) / np.sqrt(n_h)
    b2 = np.zeros(n_y)
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters
'''}, loses=("test_initialize_values",)),
    Variant("W2 scaled by 1/sqrt(n_x)", {"initialize_parameters": '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) / np.sqrt(n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) / np.sqrt(n_x)
    b2 = np.zeros((n_y, 1))
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters
'''}, loses=("test_initialize_values",),
        says={"test_train_loop_values": "your initialize_parameters, which gives wrong values of W2",
              "test_chosen_settings": "your initialize_parameters"}),
    Variant("W2 of shape (n_h, n_y)", {"initialize_parameters": '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) / np.sqrt(n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_h, n_y) / np.sqrt(n_h)
    b2 = np.zeros((n_y, 1))
    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters
'''}, loses=("test_initialize_values",)),

    Variant("sigmoid with the sign flipped", {"sigmoid": '''
def sigmoid(x):
    return 1 / (1 + np.exp(x))
'''}, loses=("test_sigmoid", "test_sigmoid_stable"),
        says={"test_sigmoid_derivative": "This test uses your sigmoid, which gives wrong values",
              "test_forward_values": "your sigmoid", "test_predict_values": "your sigmoid"}),
    Variant("textbook sigmoid that overflows", {"sigmoid": '''
def sigmoid(x):
    return 1 / (1 + np.exp(-x))
'''}, loses=("test_sigmoid_stable",),
        says={"test_sigmoid_stable": "the simplest fix is np.clip(x, -500, 500) before np.exp"}),
    Variant("stable-looking sigmoid with np.where", {"sigmoid": '''
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
'''}, loses=("test_sigmoid_stable",),
        says={"test_sigmoid_stable": "np.where(condition, a, b) does not help on its own"}),
    Variant("derivative applied to x instead of sigmoid(x)", {"sigmoid_derivative": '''
def sigmoid_derivative(x):
    return x * (1 - x)
'''}, loses=("test_sigmoid_derivative",), says=named_later("sigmoid_derivative")),

    Variant("forward without b2", {"forward_propagation": '''
def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    Z1 = W1 @ X + b1
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache
'''}, loses=("test_forward_values",), says=named_later("forward_propagation")),
    Variant("forward without the output activation", {"forward_propagation": '''
def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    Z1 = W1 @ X + b1
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1 + b2
    A2 = Z2
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache
'''}, loses=("test_forward_values",)),
    Variant("forward returns cache and A2 swapped", {"forward_propagation": '''
def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    Z1 = W1 @ X + b1
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return cache, A2
'''}, loses=("test_forward_values",),
        says={"test_predict_values": "your forward_propagation, which returns the cache first"}),

    Variant("cost without the 1/2", {"compute_cost": '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    cost = np.sum((A2 - Y) ** 2) / m
    return cost
'''}, loses=("test_cost_value",),
        says={"test_gradient_check_values": "your compute_cost, which gives a wrong cost",
              "test_gradient_check_broken": "your compute_cost",
              "test_train_loop_values": "your compute_cost"}),
    Variant("cost averaged over the wrong axis length", {"compute_cost": '''
def compute_cost(A2, Y):
    m = Y.shape[0]
    cost = np.sum((A2 - Y) ** 2) / (2 * m)
    return cost
'''}, loses=("test_cost_value",)),
    Variant("cost as a (1, 1) array from np.dot", {"compute_cost": '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    diff = A2 - Y
    cost = np.dot(diff, diff.T) / (2 * m)
    return cost
'''}, loses=("test_cost_value",),
        says={"test_train_loop_values": "your compute_cost, which gives a cost that is not a "
                                        "single number"}),

    Variant("derivative taken at A1 instead of Z1", {"back_propagation": BACKPROP_HEAD + '''
    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(A1)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
''' + BACKPROP_TAIL}, loses=("test_backprop_values",),
        # the gradient check disagrees with this back-propagation: the check names it
        says={"test_gradient_check_values": "your back_propagation, which gives wrong values of dW1",
              "test_sweep": "your back_propagation"}),
    Variant("db1 of shape (n_h,) without keepdims", {"back_propagation": BACKPROP_HEAD + '''
    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(Z1)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1)
''' + BACKPROP_TAIL}, loses=("test_backprop_values",),
        says={"test_train_loop_output": "your back_propagation, which gives values of db1 of the "
                                        "wrong shape"}),
    Variant("dW1 transposed", {"back_propagation": BACKPROP_HEAD + '''
    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(Z1)
    dW1 = X @ dZ1.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
''' + BACKPROP_TAIL}, loses=("test_backprop_values",)),
    Variant("hidden gradient divided by m a second time", {"back_propagation": BACKPROP_HEAD + '''
    dZ1 = (W2.T @ dZ2) / m * sigmoid_derivative(Z1)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
''' + BACKPROP_TAIL}, loses=("test_backprop_values",)),

    Variant("update adds the gradient of W2", {"update_parameters": UPDATE_HEAD + '''
    W2 = parameters["W2"] + learning_rate * grads["dW2"]
    b2 = parameters["b2"] - learning_rate * grads["db2"]
''' + UPDATE_TAIL}, loses=("test_update_parameters",)),
    Variant("update forgets b2", {"update_parameters": UPDATE_HEAD + '''
    W2 = parameters["W2"] - learning_rate * grads["dW2"]
    b2 = parameters["b2"]
''' + UPDATE_TAIL}, loses=("test_update_parameters",),
        says={"test_train_loop_output": "your update_parameters, which gives wrong values of b2",
              "test_train_loop_values": "your update_parameters"}),
    Variant("update with a fixed learning rate", {"update_parameters": UPDATE_HEAD + '''
    W2 = parameters["W2"] - 0.01 * grads["dW2"]
    b2 = parameters["b2"] - 0.01 * grads["db2"]
''' + UPDATE_TAIL}, loses=("test_update_parameters",)),

    Variant("training loop that never keeps the update", {"train_loop": TRAIN_HEAD + '''
    for iteration in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, parameters, cache)
        update_parameters(parameters, grads, learning_rate)
''' + TRAIN_TAIL}, loses=("test_train_loop_output", "test_train_loop_values"),
        says={"test_sweep": "your train_loop, which gives wrong values of W1",
              "test_chosen_settings": "your train_loop"}),
    Variant("training loop that re-initializes every iteration", {"train_loop": TRAIN_HEAD + '''
    for iteration in range(max_iteration):
        parameters = initialize_parameters(n_x, n_h, n_y)
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, parameters, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
''' + TRAIN_TAIL}, loses=("test_train_loop_output", "test_train_loop_values")),
    Variant("training loop with the return inside the loop", {"train_loop": TRAIN_HEAD + '''
    for iteration in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, parameters, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
        return (parameters, costs) if return_costs else parameters
'''}, loses=("test_train_loop_output", "test_train_loop_values")),
    Variant("training loop passing the arguments in the wrong order", {"train_loop": TRAIN_HEAD + '''
    for iteration in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, cache, parameters)
        parameters = update_parameters(parameters, grads, learning_rate)
''' + TRAIN_TAIL}, loses=("test_train_loop_output", "test_train_loop_values")),

    Variant("predict returns probabilities", {"predict": '''
def predict(X, parameters):
    A2, cache = forward_propagation(X, parameters)
    predictions = A2
    return predictions
'''}, loses=("test_predict_values",),
        says={"test_sweep": "your predict, which gives wrong labels",
              "test_chosen_settings": "your predict"}),
    Variant("predict returns a flat array", {"predict": '''
def predict(X, parameters):
    A2, cache = forward_propagation(X, parameters)
    predictions = (A2 > 0.5).astype(int).flatten()
    return predictions
'''}, loses=("test_predict_values",)),
    Variant("predict counts 0.5 as a one", {"predict": '''
def predict(X, parameters):
    A2, cache = forward_propagation(X, parameters)
    predictions = (A2 >= 0.5) * 1
    return predictions
'''}, loses=("test_predict_values",)),

    Variant("sweep measures the test accuracy on the training set", {"hyperparameter_sweep": SWEEP_HEAD + '''
            parameters = train_loop(X_train, Y_train, n_h, learning_rate, max_iteration, print_cost=False)
            train_acc[i, j] = np.mean(predict(X_train, parameters) == Y_train)
            test_acc[i, j] = np.mean(predict(X_train, parameters) == Y_train)
    return train_acc, test_acc
'''}, loses=("test_sweep",), says={"test_sweep": "measured on the SECOND pair of arguments"}),
    Variant("sweep that measures on the notebook's validation set, not on its arguments",
            {"hyperparameter_sweep": SWEEP_HEAD + '''
            parameters = train_loop(X_train, Y_train, n_h, learning_rate, max_iteration, print_cost=False)
            train_acc[i, j] = np.mean(predict(X_train, parameters) == Y_train)
            test_acc[i, j] = np.mean(predict(X_valid, parameters) == Y_valid)
    return train_acc, test_acc
'''}, loses=("test_sweep",)),
    Variant("sweep counts correct labels instead of the fraction", {"hyperparameter_sweep": SWEEP_HEAD + '''
            parameters = train_loop(X_train, Y_train, n_h, learning_rate, max_iteration, print_cost=False)
            train_acc[i, j] = np.sum(predict(X_train, parameters) == Y_train)
            test_acc[i, j] = np.sum(predict(X_test, parameters) == Y_test)
    return train_acc, test_acc
'''}, loses=("test_sweep",), says={"test_sweep": "not a count"}),
    Variant("sweep that prints every cost", {"hyperparameter_sweep": SWEEP_HEAD + '''
            parameters = train_loop(X_train, Y_train, n_h, learning_rate, max_iteration)
            train_acc[i, j] = np.mean(predict(X_train, parameters) == Y_train)
            test_acc[i, j] = np.mean(predict(X_test, parameters) == Y_test)
    return train_acc, test_acc
'''}, loses=("test_sweep",)),

    Variant("settings of the original homework kept", {"chosen_settings": '''
chosen_n_h = 10
chosen_learning_rate = 0.01
chosen_max_iteration = 10
'''}, loses=("test_chosen_settings",),
        says={"test_chosen_settings": "the validation accuracy is 0.489; it should be at least 0.99"}),
    Variant("settings as floats", {"chosen_settings": '''
chosen_n_h = 10.0
chosen_learning_rate = 2.0
chosen_max_iteration = 100.0
'''}, loses=("test_chosen_settings",)),

    Variant("training loop that always returns the pair", {"train_loop": TRAIN_HEAD + '''
    for iteration in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, parameters, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
'''}, loses=("test_train_loop_output",)),

    Variant("gradient check with one-sided differences", {"gradient_check": GRADCHECK_HEAD + '''
    cost = compute_cost(forward_propagation(X, parameters)[0], Y)
    for name in names:
        theta = parameters[name]
        for index in np.ndindex(theta.shape):
            saved = theta[index]
            theta[index] = saved + epsilon
            cost_plus = compute_cost(forward_propagation(X, parameters)[0], Y)
            theta[index] = saved
            grad_approx[k] = (cost_plus - cost) / epsilon
            k += 1
''' + GRADCHECK_TAIL}, loses=("test_gradient_check_values",),
            note="At the default epsilon a one-sided difference still gives about 2e-8 on the "
                 "toy problem, below the 1e-7 threshold, but the exercise asks for the central "
                 "difference and the value it returns is not that: with epsilon = 0.01 it gives "
                 "4.7e-3 instead of 4.4e-6, and it would call a right gradient suspicious."),
    Variant("gradient check that never puts the entry back", {"gradient_check": GRADCHECK_HEAD
            + _probe(restore="pass") + GRADCHECK_TAIL}, loses=("test_gradient_check_values",),
            says={"test_gradient_check_values": "it may change an entry while it works, but must "
                                                "put it back before it goes on"}),
    Variant("gradient check that moves the entries of a copy", {"gradient_check": GRADCHECK_HEAD
            + _probe(before=".copy()") + GRADCHECK_TAIL},
            loses=("test_gradient_check_values", "test_gradient_check_broken")),
    Variant("gradient check dividing by epsilon instead of 2 epsilon", {"gradient_check": GRADCHECK_HEAD
            + _probe(slope="(cost_plus - cost_minus) / epsilon") + GRADCHECK_TAIL},
            loses=("test_gradient_check_values", "test_gradient_check_broken")),
    Variant("gradient check with epsilon written as a number", {"gradient_check": GRADCHECK_HEAD
            + _probe(plus="saved + 1e-7", minus="saved - 1e-7",
                     slope="(cost_plus - cost_minus) / (2 * 1e-7)") + GRADCHECK_TAIL},
            loses=("test_gradient_check_values",)),
    Variant("gradient check with the norm of the sum below the line", {"gradient_check": GRADCHECK_HEAD
            + _probe() + '''
    difference = np.linalg.norm(grad - grad_approx) / np.linalg.norm(grad + grad_approx)
    return difference
'''}, loses=("test_gradient_check_broken",)),
    Variant("gradient check over the weights only", {"gradient_check": '''
def gradient_check(X, Y, parameters, epsilon=1e-7):
    names = ["W1", "W2"]
    A2, cache = forward_propagation(X, parameters)
    grads = back_propagation(X, Y, parameters, cache)
    grad = np.concatenate([grads["d" + name].reshape(-1) for name in names])
    grad_approx = np.zeros(grad.shape)
    k = 0
''' + _probe() + GRADCHECK_TAIL}, loses=("test_gradient_check_values", "test_gradient_check_broken")),

    # -- correct alternatives ---------------------------------------------
    Variant("structure with len and np.shape", {"neural_network_structure": '''
def neural_network_structure(X, Y, n_h=5):
    n_x = np.shape(X)[0]
    n_y = len(Y)
    return n_x, n_h, n_y
'''}),
    Variant("structure returning a list", {"neural_network_structure": '''
def neural_network_structure(X, Y, n_h=5):
    n_x = X.shape[0]
    n_y = Y.shape[0]
    return [n_x, n_h, n_y]
'''}),
    Variant("initialization with np.random.normal", {"initialize_parameters": '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.normal(0.0, 1 / np.sqrt(n_x), size=(n_h, n_x))
    b1 = np.zeros((n_h, 1))
    W2 = np.random.normal(0.0, 1 / np.sqrt(n_h), size=(n_y, n_h))
    b2 = np.zeros([n_y, 1])
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
'''}),
    Variant("sigmoid with a mask", {"sigmoid": '''
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out if out.ndim else float(out)
'''}),
    Variant("sigmoid through tanh", {"sigmoid": '''
def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))
'''}),
    Variant("derivative written out", {"sigmoid_derivative": '''
def sigmoid_derivative(x):
    return sigmoid(x) - sigmoid(x) ** 2
'''}),
    Variant("forward with np.dot and a loop over samples", {"forward_propagation": '''
def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    m = X.shape[1]
    Z1 = np.zeros((W1.shape[0], m))
    for i in range(m):
        Z1[:, i] = np.dot(W1, X[:, i]) + b1[:, 0]
    A1 = sigmoid(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "X": X}
    return A2, cache
'''}),
    Variant("cost with np.mean", {"compute_cost": '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    cost = float(np.mean(np.square(A2 - Y)) / 2)
    return cost
'''}),
    Variant("cost with a loop", {"compute_cost": '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    total = 0.0
    for i in range(m):
        total += (A2[0, i] - Y[0, i]) ** 2
    cost = total / (2 * m)
    return cost
'''}),
    Variant("backprop with A1 * (1 - A1) and np.dot", {"back_propagation": BACKPROP_HEAD + '''
    dZ1 = np.multiply(np.dot(W2.T, dZ2), A1 * (1 - A1))
    dW1 = np.dot(dZ1, X.T)
    db1 = dZ1.sum(axis=1).reshape(-1, 1)
''' + BACKPROP_TAIL}),
    Variant("backprop summing over samples in a loop", {"back_propagation": BACKPROP_HEAD + '''
    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(Z1)
    dW1 = np.zeros_like(W1)
    db1 = np.zeros_like(b1)
    for i in range(m):
        dW1 += np.outer(dZ1[:, i], X[:, i])
        db1[:, 0] += dZ1[:, i]
''' + BACKPROP_TAIL}),
    Variant("update in place", {"update_parameters": '''
def update_parameters(parameters, grads, learning_rate):
    for name in ("W1", "b1", "W2", "b2"):
        parameters[name] -= learning_rate * grads["d" + name]
    return parameters
'''}),
    Variant("update with a dictionary comprehension", {"update_parameters": '''
def update_parameters(parameters, grads, learning_rate):
    return {key: value - learning_rate * grads["d" + key] for key, value in parameters.items()}
'''}),
    Variant("training loop with a while loop", {"train_loop": TRAIN_HEAD + '''
    iteration = 0
    while iteration < max_iteration:
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, parameters, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
        iteration += 1
''' + TRAIN_TAIL}),
    Variant("training loop returning a list with return_costs", {"train_loop": TRAIN_HEAD + '''
    for iteration in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
        grads = back_propagation(X, Y, parameters, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
    if return_costs:
        return [parameters, costs]
    return parameters
'''}),
    Variant("training loop that prints extra lines while debugging", {"train_loop": TRAIN_HEAD + '''
    print("training with", n_h, "hidden neurons")
    for iteration in range(max_iteration):
        A2, cache = forward_propagation(X, parameters)
        cost = float(compute_cost(A2, Y))
        costs.append(cost)
        if print_cost:
            print(f"Epoch {iteration}: Loss = {cost}")
            print("  A2 mean:", A2.mean())
        grads = back_propagation(X, Y, parameters, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
''' + TRAIN_TAIL}),
    Variant("predict with np.where", {"predict": '''
def predict(X, parameters):
    A2, cache = forward_propagation(X, parameters)
    predictions = np.where(A2 > 0.5, 1, 0)
    return predictions
'''}),
    Variant("predict as a boolean array", {"predict": '''
def predict(X, parameters):
    A2, cache = forward_propagation(X, parameters)
    return A2 > 0.5
'''}),
    Variant("predict with np.round", {"predict": '''
def predict(X, parameters):
    A2, cache = forward_propagation(X, parameters)
    return np.round(A2)
'''}),
    Variant("sweep with count_nonzero and sizes", {"hyperparameter_sweep": SWEEP_HEAD + '''
            params = train_loop(X_train, Y_train, n_h, learning_rate, max_iteration, False)
            correct_train = np.count_nonzero(predict(X_train, params) == Y_train)
            correct_test = np.count_nonzero(predict(X_test, params) == Y_test)
            train_acc[i, j] = correct_train / Y_train.size
            test_acc[i, j] = correct_test / Y_test.size
    return train_acc, test_acc
'''}),
    Variant("other good settings", {"chosen_settings": '''
chosen_n_h = 4
chosen_learning_rate = 5
chosen_max_iteration = 200
'''}),
    Variant("gradient check with np.nditer", {"gradient_check": GRADCHECK_HEAD + '''
    for name in names:
        it = np.nditer(parameters[name], flags=["multi_index"], op_flags=["readwrite"])
        while not it.finished:
            index = it.multi_index
            original = parameters[name][index]
            parameters[name][index] = original + epsilon
            J_plus = compute_cost(forward_propagation(X, parameters)[0], Y)
            parameters[name][index] = original - epsilon
            J_minus = compute_cost(forward_propagation(X, parameters)[0], Y)
            parameters[name][index] = original
            grad_approx[k] = (J_plus - J_minus) / (2 * epsilon)
            k += 1
            it.iternext()
''' + GRADCHECK_TAIL}),
    Variant("gradient check through one parameter vector, sqrt of sums of squares", {"gradient_check": '''
def gradient_check(X, Y, parameters, epsilon=1e-7):
    names = ["W1", "b1", "W2", "b2"]
    A2, cache = forward_propagation(X, parameters)
    grads = back_propagation(X, Y, parameters, cache)
    grad = np.concatenate([np.ravel(grads["d" + name]) for name in names])
    shapes = [parameters[name].shape for name in names]
    vector = np.concatenate([np.ravel(parameters[name]) for name in names])

    def as_dictionary(v):
        result, start = {}, 0
        for name, shape in zip(names, shapes):
            size = int(np.prod(shape))
            result[name] = v[start:start + size].reshape(shape)
            start += size
        return result

    grad_approx = np.zeros(len(vector))
    for i in range(len(vector)):
        plus, minus = vector.copy(), vector.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        J_plus = compute_cost(forward_propagation(X, as_dictionary(plus))[0], Y)
        J_minus = compute_cost(forward_propagation(X, as_dictionary(minus))[0], Y)
        grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)
    numerator = np.sqrt(np.sum((grad - grad_approx) ** 2))
    denominator = np.sqrt(np.sum(grad ** 2)) + np.sqrt(np.sum(grad_approx ** 2))
    return numerator / denominator
'''}),
    Variant("gradient check with a fresh dictionary per probe and flatten", {"gradient_check": '''
def gradient_check(X, Y, parameters, epsilon=1e-7):
    names = ["W1", "b1", "W2", "b2"]
    A2, cache = forward_propagation(X, parameters)
    grads = back_propagation(X, Y, parameters, cache)
    grad = np.concatenate([grads["d" + name].flatten() for name in names])
    approx = []
    for name in names:
        for flat in range(parameters[name].size):
            costs = []
            for step in (epsilon, -epsilon):
                moved = parameters[name].astype(float).flatten()
                moved[flat] += step
                shifted = dict(parameters)
                shifted[name] = moved.reshape(parameters[name].shape)
                costs.append(compute_cost(forward_propagation(X, shifted)[0], Y))
            approx.append((costs[0] - costs[1]) / (2 * epsilon))
    grad_approx = np.array(approx)
    return float(np.linalg.norm(grad - grad_approx) / (np.linalg.norm(grad) + np.linalg.norm(grad_approx)))
'''}),
]


#: Every graded function of the notebook, with the grade cells that test it:
#: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
#: "transposed" leaves numbers and 1-D arrays as they are, so it is left out
#: where the function gives only numbers (a tuple of sizes, a cost, a
#: relative difference).  chosen_settings is not a function: its cell is
#: graded on what the chosen numbers achieve with the grader's own training.
STUBS = {
    "neural_network_structure": Stub(("test_structure",), kinds=("zeros", "ones", "doubled")),
    "initialize_parameters": ("test_initialize_values",),
    "sigmoid": ("test_sigmoid", "test_sigmoid_stable"),
    "sigmoid_derivative": ("test_sigmoid_derivative",),
    "forward_propagation": ("test_forward_values",),
    "compute_cost": Stub(("test_cost_value",), kinds=("zeros", "ones", "doubled")),
    "back_propagation": ("test_backprop_values",),
    "gradient_check": Stub(("test_gradient_check_values", "test_gradient_check_broken"),
                           kinds=("zeros", "ones", "doubled")),
    "update_parameters": ("test_update_parameters",),
    "train_loop": ("test_train_loop_output", "test_train_loop_values"),
    "predict": ("test_predict_values",),
    "hyperparameter_sweep": ("test_sweep",),
}
