"""Prepared answers for lab1/05_batching: realistic mistakes that must lose points
in the cells they name, and correct alternatives that must keep every point.
Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Variant

VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("first batch only", {"predict_batches": '''
def predict_batches(model, loader):
    X, y = next(iter(loader))
    return model.forward(X), y
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("each batch overwrites the previous one", {"predict_batches": '''
def predict_batches(model, loader):
    for X, y in loader:
        outputs = model.forward(X)
        labels = y
    return outputs, labels
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("outputs flattened to (N,)", {"predict_batches": '''
def predict_batches(model, loader):
    outputs, labels = [], []
    for X, y in loader:
        outputs.append(model.forward(X).ravel())
        labels.append(y)
    return np.concatenate(outputs), np.concatenate(labels)
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("labels stacked as a column (N, 1)", {"predict_batches": '''
def predict_batches(model, loader):
    outputs, labels = [], []
    for X, y in loader:
        outputs.append(model.forward(X))
        labels.append(y.reshape(-1, 1))
    return np.vstack(outputs), np.vstack(labels)
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("batches joined with np.array", {"predict_batches": '''
def predict_batches(model, loader):
    outputs, labels = [], []
    for X, y in loader:
        outputs.append(model.forward(X))
        labels.append(y)
    return np.array(outputs), np.array(labels)
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("outputs and labels from two passes", {"predict_batches": '''
def predict_batches(model, loader):
    outputs = np.vstack([model.forward(X) for X, _ in loader])
    labels = np.concatenate([y for _, y in loader])
    return outputs, labels
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("labels of every batch, but the outputs of the last batch only", {"predict_batches": '''
def predict_batches(model, loader):
    labels = []
    for X, y in loader:
        outputs = model.forward(X)
        labels.append(y)
    return outputs, np.concatenate(labels)
'''}, loses=("test_predict_values", "test_predict_one_pass")),
    Variant("one sample at a time", {"predict_batches": '''
def predict_batches(model, loader):
    outputs, labels = [], []
    for X, y in loader:
        for i in range(len(X)):
            outputs.append(model.forward(X[i:i + 1]))
            labels.append(y[i])
    return np.vstack(outputs), np.array(labels)
'''}, loses=("test_predict_one_pass",)),

    # -- correct alternatives ---------------------------------------------
    Variant("growing arrays with np.append", {"predict_batches": '''
def predict_batches(model, loader):
    outputs = np.empty((0, 1))
    labels = np.array([], dtype=int)
    for data, target in loader:
        outputs = np.vstack([outputs, model.forward(data)])
        labels = np.append(labels, target)
    return outputs, labels
'''}),
    Variant("lists extended row by row, then np.array", {"predict_batches": '''
def predict_batches(model, loader):
    outputs = []
    labels = []
    for batch_data, batch_labels in loader:
        outputs.extend(model.forward(batch_data))
        labels.extend(batch_labels)
    return np.array(outputs), np.array(labels)
'''}),
    Variant("outputs and labels returned as a list", {"predict_batches": '''
def predict_batches(model, loader):
    outputs, labels = [], []
    for X, y in loader:
        outputs.append(model.forward(X))
        labels.append(y)
    return [np.vstack(outputs), np.concatenate(labels)]
'''}),
    Variant("outputs and labels joined with np.concatenate along axis 0", {"predict_batches": '''
def predict_batches(model, loader):
    pairs = [(model.forward(X), np.asarray(y)) for X, y in loader]
    outputs = np.concatenate([out for out, _ in pairs], axis=0)
    labels = np.concatenate([lab for _, lab in pairs], axis=0)
    return outputs, labels
'''}),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "predict_batches": ("test_predict_values", "test_predict_one_pass"),
}
