"""Prepared answers for lab2/02_tiny_network: realistic mistakes that must lose
points in their own exercise, and correct alternatives that must keep every
point.  Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Stub, Variant

VARIANTS = [
    # -- mistakes: network_forward ------------------------------------------
    Variant("forward that returns (h, y) instead of (y, h)", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    h = sigmoid(X @ W_h + b_h)
    y = sigmoid(h @ w_o + b_o)
    return h, y
'''}, loses=("test_network_forward",),
        says={"test_network_gradient_output": "your network_forward, which gives values of h of "
                                              "the wrong shape",
              "test_network_gradient_hidden": "your network_forward, which gives values of h of "
                                              "the wrong shape"}),
    Variant("forward with W_h transposed, as in lab 1", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    h = sigmoid(X @ W_h.T + b_h)
    y = sigmoid(h @ w_o + b_o)
    return y, h
'''}, loses=("test_network_forward",),
        says={"test_network_gradient_hidden": "your network_forward, which gives wrong values of h"}),
    Variant("forward without the sigmoid at the output", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    h = sigmoid(X @ W_h + b_h)
    y = h @ w_o + b_o
    return y, h
'''}, loses=("test_network_forward",),
        # the gradient tests call it too: they name it instead of blaming network_gradient
        says={"test_network_gradient_output": "This test uses your network_forward, which gives "
                                              "wrong values of y",
              "test_network_gradient_hidden": "This test uses your network_forward, which gives "
                                              "wrong values of y"}),
    Variant("forward written for exactly two hidden neurons", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    h1 = sigmoid(X @ W_h[:, 0] + b_h[0])
    h2 = sigmoid(X @ W_h[:, 1] + b_h[1])
    h = np.column_stack([h1, h2])
    y = sigmoid(w_o[0] * h1 + w_o[1] * h2 + b_o)
    return y, h
'''}, loses=("test_network_forward",)),

    Variant("forward that returns h transposed, one row per hidden neuron", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    h = sigmoid(W_h.T @ X.T + b_h[:, None])
    y = sigmoid(w_o @ h + b_o)
    return y, h
'''}, loses=("test_network_forward",)),

    # -- mistakes: network_gradient -----------------------------------------
    Variant("gradient with sigmoid_prime of h instead of the pre-activation", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    h = sigmoid(X @ W_h + b_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * w_o * sigmoid_prime(h)
    return {"dW_h": X.T @ delta_h, "db_h": delta_h.sum(axis=0),
            "dw_o": h.T @ delta_o, "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_hidden",)),
    Variant("gradient that forgets the output weights in delta_h", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * sigmoid_prime(a_h)
    return {"dW_h": X.T @ delta_h, "db_h": delta_h.sum(axis=0),
            "dw_o": h.T @ delta_o, "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_hidden",)),
    Variant("gradient with dW_h transposed", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * w_o * sigmoid_prime(a_h)
    return {"dW_h": delta_h.T @ X, "db_h": delta_h.sum(axis=0),
            "dw_o": h.T @ delta_o, "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_hidden",)),
    Variant("gradient with db_h not summed over the samples", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * w_o * sigmoid_prime(a_h)
    return {"dW_h": X.T @ delta_h, "db_h": delta_h,
            "dw_o": h.T @ delta_o, "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_hidden",)),
    Variant("gradient with X instead of h for dw_o", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * w_o * sigmoid_prime(a_h)
    return {"dW_h": X.T @ delta_h, "db_h": delta_h.sum(axis=0),
            "dw_o": X.T @ delta_o, "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_output",)),
    Variant("gradient without 1/N (sums instead of means)", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    y, h = network_forward(X, W_h, b_h, w_o, b_o)
    delta_o = (y - t) * y * (1 - y)
    delta_h = np.outer(delta_o, w_o) * h * (1 - h)
    return {"dW_h": X.T @ delta_h, "db_h": np.sum(delta_h, axis=0),
            "dw_o": h.T @ delta_o, "db_o": np.sum(delta_o)}
'''}, loses=("test_network_gradient_output", "test_network_gradient_hidden")),
    Variant("gradient returned under other key names", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    y, h = network_forward(X, W_h, b_h, w_o, b_o)
    delta_o = (y - t) * y * (1 - y) / len(t)
    delta_h = np.outer(delta_o, w_o) * h * (1 - h)
    return {"dW": X.T @ delta_h, "db": delta_h.sum(axis=0),
            "dw": h.T @ delta_o, "db_out": delta_o.sum()}
'''}, loses=("test_network_gradient_output", "test_network_gradient_hidden")),
    Variant("gradient with dw_o as a column (H, 1)", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * w_o * sigmoid_prime(a_h)
    return {"dW_h": X.T @ delta_h, "db_h": delta_h.sum(axis=0),
            "dw_o": h.T @ delta_o[:, None], "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_output",)),
    Variant("gradient with db_h kept 2-D, shape (1, H)", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    delta_o = (sigmoid(a) - t) * sigmoid_prime(a) / N
    delta_h = delta_o[:, None] * w_o * sigmoid_prime(a_h)
    return {"dW_h": X.T @ delta_h, "db_h": delta_h.sum(axis=0, keepdims=True),
            "dw_o": h.T @ delta_o, "db_o": delta_o.sum()}
'''}, loses=("test_network_gradient_hidden",)),

    # -- correct alternatives -------------------------------------------------
    Variant("forward cell that also redefines sigmoid by the overflowing formula", {"network_forward": '''
def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def network_forward(X, W_h, b_h, w_o, b_o):
    h = sigmoid(X @ W_h + b_h)
    return sigmoid(h @ w_o + b_o), h
'''}),
    Variant("forward returning a list [y, h]", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    h = sigmoid(np.dot(X, W_h) + b_h)
    return [sigmoid(np.dot(h, w_o) + b_o), h]
'''}),
    Variant("forward with np.dot and an explicit bias row", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    a_h = np.dot(X, W_h) + b_h.reshape(1, -1)
    h = sigmoid(a_h)
    a = np.dot(h, w_o) + b_o
    return sigmoid(a), h
'''}),
    Variant("forward with a loop over the samples", {"network_forward": '''
def network_forward(X, W_h, b_h, w_o, b_o):
    N, H = X.shape[0], W_h.shape[1]
    y = np.zeros(N)
    h = np.zeros((N, H))
    for i in range(N):
        h[i] = sigmoid(W_h.T @ X[i] + b_h)
        y[i] = sigmoid(w_o @ h[i] + b_o)
    return y, h
'''}),
    Variant("gradient from network_forward with y(1-y) and h(1-h)", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    y, h = network_forward(X, W_h, b_h, w_o, b_o)
    N = len(t)
    delta_o = (y - t) * y * (1 - y) / N
    delta_h = np.outer(delta_o, w_o) * h * (1 - h)
    grads = {}
    grads["dW_h"] = np.dot(X.T, delta_h)
    grads["db_h"] = np.sum(delta_h, axis=0)
    grads["dw_o"] = np.dot(h.T, delta_o)
    grads["db_o"] = np.sum(delta_o)
    return grads
'''}),
    Variant("gradient with a loop over the hidden neurons, formula by formula", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    N = X.shape[0]
    H = W_h.shape[1]
    a_h = X @ W_h + b_h
    h = sigmoid(a_h)
    a = h @ w_o + b_o
    common = (sigmoid(a) - t) * sigmoid_prime(a) / N
    dW_h = np.zeros((2, H))
    db_h = np.zeros(H)
    dw_o = np.zeros(H)
    for k in range(H):
        dw_o[k] = np.sum(common * h[:, k])
        hidden_k = common * w_o[k] * sigmoid_prime(a_h[:, k])
        dW_h[0, k] = np.sum(hidden_k * X[:, 0])
        dW_h[1, k] = np.sum(hidden_k * X[:, 1])
        db_h[k] = np.sum(hidden_k)
    return {"dW_h": dW_h, "db_h": db_h, "dw_o": dw_o, "db_o": float(np.sum(common))}
'''}),
    Variant("gradient with einsum", {"network_gradient": '''
def network_gradient(X, t, W_h, b_h, w_o, b_o):
    a_h = np.einsum("nd,dk->nk", X, W_h) + b_h
    h = sigmoid(a_h)
    a = np.einsum("nk,k->n", h, w_o) + b_o
    d_o = (sigmoid(a) - t) * sigmoid_prime(a) / len(X)
    d_h = np.einsum("n,k,nk->nk", d_o, w_o, sigmoid_prime(a_h))
    return dict(dW_h=np.einsum("nd,nk->dk", X, d_h), db_h=d_h.sum(0),
                dw_o=np.einsum("nk,n->k", h, d_o), db_o=d_o.sum())
'''}),
]

#: Every graded function of the notebook, with the grade cells that test it:
#: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "network_forward": ("test_network_forward",),
    # network_gradient returns dW_h (2, H), db_h (H,), dw_o (H,) and db_o (a number):
    # a transposed stub changes dW_h alone, which only test_network_gradient_hidden
    # grades (a wrong dW_h costs that cell, not the output neuron's). That case is
    # the mistake "gradient with dW_h transposed" above.
    "network_gradient": Stub(("test_network_gradient_output", "test_network_gradient_hidden"),
                             kinds=("zeros", "ones", "doubled")),
}
