"""Prepared answers for lab1/04_dataset: realistic mistakes that must lose points
in their own part of MyDataset or DataLoader, and correct alternatives that must
keep every point.  Each answer is the whole class, as the answer cell holds it.
"""
from utils.submissions import Stub, Variant

DATASET_HEAD = '''
class MyDataset:
    def __init__(self, n_per_class=128, seed=None):
        rng = np.random.default_rng(seed)
'''

DATASET_INIT = '''
        class0 = rng.normal(loc=1.0, scale=0.1, size=(n_per_class, 4))
        class1 = rng.normal(loc=0.5, scale=0.1, size=(n_per_class, 4))
        self.data = np.vstack([class0, class1])
        self.labels = np.concatenate([np.zeros(n_per_class, dtype=int), np.ones(n_per_class, dtype=int)])
'''

DATASET_ACCESS = '''
    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.data[idx], self.labels[idx]
'''


def dataset(init=DATASET_INIT, access=DATASET_ACCESS):
    return {"MyDataset": DATASET_HEAD + init + access}


LOADER_HEAD = '''
class DataLoader:
    def __init__(self, dataset, batch_size=32, shuffle=True, seed=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
'''

LOADER_INIT = '''
        self.rng = np.random.default_rng(seed)
'''

LOADER_LEN = '''
    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)
'''

LOADER_ITER = '''
    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
            yield np.array([x for x, _ in samples]), np.array([y for _, y in samples])
'''


def loader(init=LOADER_INIT, length=LOADER_LEN, iterate=LOADER_ITER):
    return {"DataLoader": LOADER_HEAD + init + length + iterate}


VARIANTS = [
    # -- mistakes: MyDataset ----------------------------------------------
    Variant("labels as a column (n, 1), as in the lab session", dataset(init='''
        x1 = rng.normal(loc=1.0, scale=0.1, size=(n_per_class, 4))
        y1 = np.zeros((n_per_class, 1), dtype=int)
        x2 = rng.normal(loc=0.5, scale=0.1, size=(n_per_class, 4))
        y2 = np.ones((n_per_class, 1), dtype=int)
        self.data = np.vstack((x1, x2))
        self.labels = np.vstack((y1, y2))
'''), loses=("test_dataset_arrays",)),
    Variant("labels as floats", dataset(init='''
        self.data = np.vstack([rng.normal(1.0, 0.1, (n_per_class, 4)), rng.normal(0.5, 0.1, (n_per_class, 4))])
        self.labels = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
'''), loses=("test_dataset_arrays",)),
    Variant("always 128 samples per class", dataset(init='''
        class0 = rng.normal(loc=1.0, scale=0.1, size=(128, 4))
        class1 = rng.normal(loc=0.5, scale=0.1, size=(128, 4))
        self.data = np.vstack([class0, class1])
        self.labels = np.array([0] * 128 + [1] * 128)
'''), loses=("test_dataset_arrays",)),
    Variant("class means swapped", dataset(init='''
        class0 = rng.normal(loc=0.5, scale=0.1, size=(n_per_class, 4))
        class1 = rng.normal(loc=1.0, scale=0.1, size=(n_per_class, 4))
        self.data = np.vstack([class0, class1])
        self.labels = np.concatenate([np.zeros(n_per_class, dtype=int), np.ones(n_per_class, dtype=int)])
'''), loses=("test_dataset_classes",)),
    Variant("standard deviation 1 instead of 0.1", dataset(init='''
        class0 = 1.0 + rng.standard_normal((n_per_class, 4))
        class1 = 0.5 + rng.standard_normal((n_per_class, 4))
        self.data = np.vstack([class0, class1])
        self.labels = np.concatenate([np.zeros(n_per_class, dtype=int), np.ones(n_per_class, dtype=int)])
'''), loses=("test_dataset_classes",)),
    Variant("random numbers from np.random, seed ignored", dataset(init='''
        class0 = np.random.normal(loc=1.0, scale=0.1, size=(n_per_class, 4))
        class1 = np.random.normal(loc=0.5, scale=0.1, size=(n_per_class, 4))
        self.data = np.vstack([class0, class1])
        self.labels = np.concatenate([np.zeros(n_per_class, dtype=int), np.ones(n_per_class, dtype=int)])
'''), loses=("test_dataset_classes",)),
    Variant("sizes given to rng.normal as separate numbers, so __init__ crashes", dataset(init='''
        class0 = rng.normal(1.0, 0.1, n_per_class, 4)
        class1 = rng.normal(0.5, 0.1, n_per_class, 4)
        self.data = np.vstack([class0, class1])
        self.labels = np.concatenate([np.zeros(n_per_class, dtype=int), np.ones(n_per_class, dtype=int)])
'''), loses=("test_dataset_arrays", "test_dataset_classes")),
    Variant("__len__ counts one class only", dataset(access='''
    def __len__(self):
        return len(self.labels) // 2

    def __getitem__(self, idx):
        return self.data[idx], self.labels[idx]
'''), loses=("test_dataset_access",)),
    Variant("__getitem__ returns the features only", dataset(access='''
    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.data[idx]
'''), loses=("test_dataset_access",)),

    Variant("__getitem__ returns the label first", dataset(access='''
    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.labels[idx], self.data[idx]
'''), loses=("test_dataset_access",)),

    # -- mistakes: DataLoader ---------------------------------------------
    Variant("len() rounds down", loader(length='''
    def __len__(self):
        return len(self.dataset) // self.batch_size
'''), loses=("test_loader_len",)),
    Variant("short last batch dropped", loader(iterate='''
    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n - self.batch_size + 1, self.batch_size):
            samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
            yield np.array([x for x, _ in samples]), np.array([y for _, y in samples])
'''), loses=("test_loader_epoch",)),
    Variant("batches cut with np.array_split into len(self) pieces", loader(iterate='''
    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for chunk in np.array_split(order, len(self)):
            samples = [self.dataset[i] for i in chunk]
            yield np.array([x for x, _ in samples]), np.array([y for _, y in samples])
'''), loses=("test_loader_epoch",)),
    Variant("shuffle=False ignored", loader(iterate='''
    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n)
        for start in range(0, n, self.batch_size):
            samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
            yield np.array([x for x, _ in samples]), np.array([y for _, y in samples])
'''), loses=("test_loader_epoch",)),
    Variant("batches as Python lists", loader(iterate='''
    def __iter__(self):
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
            yield [x for x, _ in samples], [y for _, y in samples]
'''), loses=("test_loader_epoch",)),
    Variant("shuffled only once, in __init__, as in the lab session", loader(init='''
        self.indices = np.arange(len(dataset))
        if shuffle:
            np.random.default_rng(seed).shuffle(self.indices)
''', iterate='''
    def __iter__(self):
        for start in range(0, len(self.dataset), self.batch_size):
            batch_indices = self.indices[start:start + self.batch_size]
            batch = [self.dataset[i] for i in batch_indices]
            data, labels = zip(*batch)
            yield np.array(data), np.array(labels)
'''), loses=("test_loader_shuffle",)),
    Variant("generator re-created from the seed on every pass", loader(init='''
        self.seed = seed
''', iterate='''
    def __iter__(self):
        n = len(self.dataset)
        order = np.arange(n)
        if self.shuffle:
            order = np.random.default_rng(self.seed).permutation(n)
        for start in range(0, n, self.batch_size):
            samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
            yield np.array([x for x, _ in samples]), np.array([y for _, y in samples])
'''), loses=("test_loader_shuffle",)),
    Variant("order from np.random.shuffle, seed ignored", loader(init='''
        self.seed = seed
''', iterate='''
    def __iter__(self):
        n = len(self.dataset)
        order = np.arange(n)
        if self.shuffle:
            np.random.shuffle(order)
        for start in range(0, n, self.batch_size):
            samples = [self.dataset[i] for i in order[start:start + self.batch_size]]
            yield np.array([x for x, _ in samples]), np.array([y for _, y in samples])
'''), loses=("test_loader_shuffle",)),
    Variant("features and labels shuffled separately", loader(iterate='''
    def __iter__(self):
        n = len(self.dataset)
        data = np.array([self.dataset[i][0] for i in range(n)])
        labels = np.array([self.dataset[i][1] for i in range(n)])
        if self.shuffle:
            data = data[self.rng.permutation(n)]
            labels = labels[self.rng.permutation(n)]
        for start in range(0, n, self.batch_size):
            yield data[start:start + self.batch_size], labels[start:start + self.batch_size]
'''), loses=("test_loader_shuffle",)),

    # -- correct alternatives ---------------------------------------------
    Variant("data set with standard_normal, np.repeat and a shuffled order", dataset(init='''
        n = n_per_class
        data = np.concatenate([1.0 + 0.1 * rng.standard_normal((n, 4)),
                               0.5 + 0.1 * rng.standard_normal((n, 4))], axis=0)
        labels = np.repeat([0, 1], n)
        order = rng.permutation(2 * n)
        self.data, self.labels = data[order], labels[order]
''', access='''
    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, idx):
        x = self.data[idx]
        y = self.labels[idx]
        return (x, y)
''')),
    Variant("loader with a while loop, integer ceiling and fancy indexing of the data set",
            loader(length='''
    def __len__(self):
        return (len(self.dataset) + self.batch_size - 1) // self.batch_size
''', iterate='''
    def __iter__(self):
        indices = np.arange(len(self.dataset))
        if self.shuffle:
            self.rng.shuffle(indices)
        start = 0
        while start < len(indices):
            chunk = indices[start:start + self.batch_size]
            data, labels = self.dataset[chunk]
            yield np.asarray(data), np.asarray(labels)
            start += self.batch_size
''')),
    Variant("loader as in the lab session, with the order drawn in __iter__", loader(init='''
        self.generator = np.random.default_rng(seed)
''', length='''
    def __len__(self):
        return int(np.ceil(len(self.dataset) / self.batch_size))
''', iterate='''
    def __iter__(self):
        self.indices = np.arange(len(self.dataset))
        if self.shuffle:
            self.generator.shuffle(self.indices)
        for start_idx in range(0, len(self.dataset), self.batch_size):
            batch_indices = self.indices[start_idx:start_idx + self.batch_size]
            batch_data = [self.dataset[i] for i in batch_indices]
            data, labels = zip(*batch_data)
            yield np.array(data), np.array(labels)
''')),
    Variant("__getitem__ returns a list [features, label]", dataset(access='''
    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, idx):
        return [self.data[idx], self.labels[idx]]
''')),
    Variant("__len__ from the n_per_class kept by __init__", dataset(init=DATASET_INIT + '''
        self.n_per_class = n_per_class
''', access='''
    def __len__(self):
        return 2 * self.n_per_class

    def __getitem__(self, idx):
        features = self.data[idx, :]
        return features, int(self.labels[idx])
''')),
]

#: Every graded function or method of the notebook, with the grade cells that
#: test it: each stub of it (see utils.submissions.STUB_KINDS) must score 0 there.
STUBS = {
    "MyDataset.__init__": ("test_dataset_arrays", "test_dataset_classes"),
    # __len__ returns a number, and __getitem__(i) a 1-D row and a label: a transpose
    # changes none of them.
    "MyDataset.__len__": Stub(("test_dataset_access",), kinds=("zeros", "ones", "doubled")),
    "MyDataset.__getitem__": Stub(("test_dataset_access",), kinds=("zeros", "ones", "doubled")),
    # len(loader) is a number: a transpose does not change it.
    "DataLoader.__len__": Stub(("test_loader_len",), kinds=("zeros", "ones", "doubled")),
    "DataLoader.__iter__": ("test_loader_epoch", "test_loader_shuffle"),
}
