"""Prepared answers for lab1/02_layer: realistic mistakes that must lose points
in their own exercise, and correct alternatives that must keep every point.
Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Variant

VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("layer output transposed", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    return activation(neurons(X, W, B)).T
'''}, loses=("test_layer_forward_values",)),
    Variant("weights not transposed", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    return activation(X @ W + B)
'''}, loses=("test_layer_forward_values",)),
    Variant("activation forgotten", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    Z = neurons(X, W, B)
    return Z
'''}, loses=("test_layer_forward_values",)),
    Variant("always relu, whatever activation is passed", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    return relu(neurons(X, W, B))
'''}, loses=("test_layer_forward_values",)),
    Variant("bias added after the activation", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    return activation(np.dot(X, W.T)) + B
'''}, loses=("test_layer_forward_values",)),
    Variant("a single sample squeezed to a flat row", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    return np.squeeze(activation(neurons(X, W, B)))
'''}, loses=("test_layer_forward_values",)),
    Variant("column layout computed in the row layout", {"layer_forward_columns": '''
def layer_forward_columns(Xc, W, b, activation):
    return activation(Xc.T @ W.T + b.T)
'''}, loses=("test_layer_forward_columns",)),
    Variant("column layout with W transposed", {"layer_forward_columns": '''
def layer_forward_columns(Xc, W, b, activation):
    return activation(W.T @ Xc + b)
'''}, loses=("test_layer_forward_columns",)),
    Variant("column layout with the bias after the activation", {"layer_forward_columns": '''
def layer_forward_columns(Xc, W, b, activation):
    return activation(W @ Xc) + b
'''}, loses=("test_layer_forward_columns",)),

    # -- correct alternatives ---------------------------------------------
    Variant("layer with np.dot instead of neurons", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    Z = np.dot(X, np.transpose(W)) + B
    A = activation(Z)
    return A
'''}),
    Variant("layer one neuron at a time", {"layer_forward": '''
def layer_forward(X, W, B, activation):
    B = np.reshape(B, (1, -1))
    columns = []
    for n in range(W.shape[0]):
        z = X @ W[n] + B[0, n]
        columns.append(activation(z))
    return np.column_stack(columns)
'''}),
    Variant("column layout with np.matmul", {"layer_forward_columns": '''
def layer_forward_columns(Xc, W, b, activation):
    Zc = np.matmul(W, Xc) + b
    return activation(Zc)
'''}),
    Variant("column layout through the row layout, transposed back", {"layer_forward_columns": '''
def layer_forward_columns(Xc, W, b, activation):
    return activation(Xc.T @ W.T + b.T).T
'''}),
    Variant("wrong functions of notebook 1 pasted above a right layer_forward", {"layer_forward": '''
def neurons(X, W, B):
    return X @ W.T

def relu(Z):
    return np.maximum(0.01 * Z, Z)

def sigmoid(Z):
    return 1 / (1 + np.exp(Z))

def layer_forward(X, W, B, activation):
    return activation(neurons(X, W, B))
'''}),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "layer_forward": ("test_layer_forward_values",),
    "layer_forward_columns": ("test_layer_forward_columns",),
}
