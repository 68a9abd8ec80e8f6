"""Prepared answers for lab1/07_training: realistic mistakes that must lose
points in their own exercise, and correct alternatives that must keep every
point.  Each answer is the whole answer cell as a student would write it.
"""
from utils.submissions import Stub, Variant

VARIANTS = [
    # -- mistakes ---------------------------------------------------------
    Variant("train: labels passed on as a (B,) row", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    for epoch in range(epochs):
        losses = []
        for X, labels in loader:
            output = model.forward(X)
            losses.append(np.mean((output - labels) ** 2))
            model.backward(labels, learning_rate)
        history.append(np.mean(losses))
    return history
'''}, loses=("test_train",)),
    Variant("train: loss measured after the update", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    for epoch in range(epochs):
        losses = []
        for X, labels in loader:
            y = labels.reshape(-1, 1)
            model.forward(X)
            model.backward(y, learning_rate)
            losses.append(np.mean((model.forward(X) - y) ** 2))
        history.append(np.mean(losses))
    return history
'''}, loses=("test_train",)),
    Variant("train: keeps only the last batch loss of each epoch", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    for epoch in range(epochs):
        for X, labels in loader:
            y = labels[:, np.newaxis]
            output = model.forward(X)
            loss = np.mean((output - y) ** 2)
            model.backward(y, learning_rate)
        history.append(loss)
    return history
'''}, loses=("test_train",)),
    Variant("train: returns every batch loss", {"train": '''
def train(model, loader, epochs, learning_rate):
    losses = []
    for epoch in range(epochs):
        for X, labels in loader:
            y = labels.reshape(-1, 1)
            output = model.forward(X)
            losses.append(np.mean((output - y) ** 2))
            model.backward(y, learning_rate)
    return losses
'''}, loses=("test_train",)),
    Variant("train: forgets to pass the learning rate", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    for epoch in range(epochs):
        losses = []
        for X, labels in loader:
            y = labels.reshape(-1, 1)
            output = model.forward(X)
            losses.append(np.mean((output - y) ** 2))
            model.backward(y)
        history.append(np.mean(losses))
    return history
'''}, loses=("test_train",)),
    Variant("train: batch losses never reset between epochs", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    losses = []
    for epoch in range(epochs):
        for X, labels in loader:
            y = labels.reshape(-1, 1)
            output = model.forward(X)
            losses.append(np.mean((output - y) ** 2))
            model.backward(y, learning_rate)
        history.append(np.mean(losses))
    return history
'''}, loses=("test_train",)),
    Variant("accuracy: (N, 1) outputs compared with (N,) labels", {"accuracy": '''
def accuracy(outputs, labels, threshold=0.5):
    predictions = (outputs >= threshold).astype(int)
    return float(np.mean(predictions == labels))
'''}, loses=("test_accuracy",)),
    Variant("accuracy: returns the number of correct predictions", {"accuracy": '''
def accuracy(outputs, labels, threshold=0.5):
    predictions = np.ravel(outputs) >= threshold
    return int(np.sum(predictions == labels))
'''}, loses=("test_accuracy",)),
    Variant("accuracy: rounds instead of using the threshold", {"accuracy": '''
def accuracy(outputs, labels, threshold=0.5):
    return float(np.mean(np.round(np.ravel(outputs)) == labels))
'''}, loses=("test_accuracy",)),

    Variant("accuracy: an output equal to the threshold counted as class 0", {"accuracy": '''
def accuracy(outputs, labels, threshold=0.5):
    predictions = (np.ravel(outputs) > threshold).astype(int)
    return float(np.mean(predictions == np.ravel(labels)))
'''}, loses=("test_accuracy",)),
    Variant("train: the epoch loss divided by the number of samples, not of batches", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    for epoch in range(epochs):
        total, samples = 0.0, 0
        for X, labels in loader:
            y = labels.reshape(-1, 1).astype(float)
            output = model.forward(X)
            total += np.mean((output - y) ** 2)
            samples += len(y)
            model.backward(y, learning_rate)
        history.append(total / samples)
    return history
'''}, loses=("test_train",)),

    # -- correct alternatives ---------------------------------------------
    Variant("train: epoch loss as the MSE over all its samples", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = []
    for epoch in range(epochs):
        squared_error, count = 0.0, 0
        for X, labels in loader:
            y = labels[:, np.newaxis].astype(float)
            output = model.forward(X)
            squared_error += np.sum((output - y) ** 2)
            count += len(y)
            model.backward(y, learning_rate=learning_rate)
        history.append(squared_error / count)
    return history
'''}),
    Variant("train: running total divided by len(loader), returns an array", {"train": '''
def train(model, loader, epochs, learning_rate):
    history = np.zeros(epochs)
    for epoch in range(epochs):
        total = 0.0
        for batch_number, (X, labels) in enumerate(loader):
            y = np.reshape(labels, (len(labels), 1))
            out = model.forward(X)
            total += ((out - y) ** 2).mean()
            model.backward(y, learning_rate)
        history[epoch] = total / len(loader)
    return history
'''}),
    Variant("accuracy with a loop", {"accuracy": '''
def accuracy(outputs, labels, threshold=0.5):
    outputs = np.ravel(outputs)
    right = 0
    for output, label in zip(outputs, labels):
        predicted = 1 if output >= threshold else 0
        if predicted == label:
            right += 1
    return right / len(labels)
'''}),
    Variant("accuracy with count_nonzero on a column of labels", {"accuracy": '''
def accuracy(outputs, labels, threshold=0.5):
    outputs = np.reshape(outputs, (-1, 1))
    labels = np.reshape(labels, (-1, 1))
    return np.count_nonzero((outputs >= threshold) == labels.astype(bool)) / labels.shape[0]
'''}),
    Variant("train: a tuple of numpy floats, the learning rate by keyword", {"train": '''
def train(model, loader, epochs, learning_rate):
    means = []
    for _ in range(epochs):
        batch_losses = np.array([])
        for X, labels in loader:
            y = np.asarray(labels, dtype=float)[:, None]
            output = model.forward(X)
            batch_losses = np.append(batch_losses, np.mean(np.square(output - y)))
            model.backward(y_true=y, learning_rate=learning_rate)
        means.append(batch_losses.mean())
    return tuple(means)
'''}),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    # train returns a list of numbers and accuracy one number: a transpose changes neither.
    "train": Stub(("test_train",), kinds=("zeros", "ones", "doubled")),
    "accuracy": Stub(("test_accuracy",), kinds=("zeros", "ones", "doubled")),
    # the optional exercise B: not graded
    "TanhNetwork": (),
}
