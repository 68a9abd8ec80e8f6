"""The examples hw2's tests try earlier exercises on (see utils/prerequisites).

Each check builds the class as the visible test of its exercise does, runs its
methods on the same small inputs, and compares with the numbers that test
expects.  It returns None when all is right, else a few words on the first
thing that is wrong.
"""
import numpy as np

from utils.prerequisites import as_array, differs, wrong

# The layer of the tests of exercises 1 and 4: three inputs, two outputs, four samples.
W = [[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]]
B = [[0.5], [-1.0]]
A = [[1.0, 0.0, 2.0, -1.0], [0.0, 1.0, 1.0, 2.0], [1.0, 1.0, 0.0, 0.5]]
G = [[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 0.0, -1.0]]


def _in(method, problem):
    """'gives wrong values of gW' -> 'gives wrong values of gW in backward'."""
    return f"{problem} in {method}" if problem else None


def _three(out, names, method):
    """None when ``out`` holds three things (a tuple or a list), else the words."""
    if isinstance(out, (tuple, list)) and len(out) == 3:
        return None
    return f"does not return the three arrays {names} from {method}"


def _shape(value, shape, what, method):
    if as_array(value) is None or np.shape(value) != shape:
        return f"gives {what} of the wrong shape in {method}"
    return None


def _one_number(value, expected, method):
    """The test of a loss asks for one number (a 0-d array will do), then its value."""
    if isinstance(value, (bool, np.bool_)) or as_array(value) is None or np.shape(value) != ():
        return f"does not give one number from {method}"
    if differs(value, expected):
        return f"gives a wrong number from {method}"
    return None


def linear_update(LinearUpdate):
    lin = LinearUpdate(3, 2, W=np.array(W), b=np.array(B))
    problem = _in("forward", wrong(lin.forward(np.array(A)),
                                   [[4.5, 3.5, 2.5, 1.0], [2.0, -1.0, 2.0, -4.5]], "values"))
    if problem:
        return problem
    out = lin.backward(np.array(A), np.array(G))
    problem = _three(out, "(gA, gW, gb)", "backward")
    if problem:
        return problem
    gA, gW, gb = out
    return (_in("backward", wrong(gA, [[2.0, 2.0, -1.0, 0.0], [-0.5, -1.0, 0.0, 1.0],
                                       [3.5, 1.0, -3.0, 5.0]], "values of gA"))
            or _in("backward", wrong(gW, [[-3.0, 1.5], [3.0, -1.0], [2.0, 1.0]], "values of gW"))
            or _in("backward", wrong(gb, [[2.0], [0.5]], "values of gb")))


def logistic_update(LogisticUpdate):
    logistic = LogisticUpdate()
    problem = _in("forward", wrong(
        logistic.forward(np.array([[-2.0, 0.0], [1.0, 4.0]])),
        [[0.11920292202211755, 0.5], [0.7310585786300049, 0.9820137900379085]], "values"))
    return problem or _in("backward", wrong(
        logistic.backward(np.array([[0.5, 0.25], [0.9, 0.1]]), np.array([[1.0, 2.0], [-1.0, 0.5]])),
        [[0.25, 0.375], [-0.09, 0.045]], "values"))


def softmax_classifier(SoftmaxClassifier):
    classifier = SoftmaxClassifier()
    problem = _in("forward", wrong(
        classifier.forward(np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 0.0]])),
        [[0.09003057, 0.11731043], [0.24472847, 0.86681333], [0.66524096, 0.01587624]],
        "probabilities"))
    P, T = [[0.2, 0.7], [0.5, 0.2], [0.3, 0.1]], [1, 0]
    return (problem
            or _one_number(classifier.cross_entropy(np.array(P), np.array(T)),
                           0.5249110622493389, "cross_entropy")
            or _in("backward", wrong(classifier.backward(np.array(P), np.array(T)),
                                     [[0.1, -0.15], [-0.25, 0.1], [0.15, 0.05]], "values")))


def layer(Layer):
    layer = Layer(3, 2, seed=0)
    layer.linear.W, layer.linear.b = np.array(W), np.array(B)
    # What forward gives for A, rounded to 8 decimals; backward gets it as Y.
    Y = [[0.98901306, 0.97068777, 0.92414182, 0.73105858],
         [0.88079708, 0.26894142, 0.88079708, 0.01098694]]
    problem = _in("forward", wrong(layer.forward(np.array(A)), Y, "values"))
    if problem:
        return problem
    out = layer.backward(np.array(A), np.array(Y), np.array(G))
    problem = _three(out, "(gA, gW, gb)", "backward")
    if problem:
        return problem
    gA, gW, gb = out
    return (_in("backward", wrong(gW, [[-0.5225650711, 0.0633630191],
                                       [0.7163440139, 0.1748794783],
                                       [0.2074781598, 0.243675611]], "values of gW"))
            or _in("backward", wrong(gb, [[0.3339863758], [0.2382424974]], "values of gb"))
            or _in("backward", wrong(gA, [[0.115859811, 0.3932238652, -0.0701037165, 0.3714914109],
                                          [-0.0524967919, -0.1966119326, 0.0, 0.0108662271],
                                          [0.0850954734, 0.1966119326, -0.2103111496,
                                           1.1688053685]], "values of gA")))


def neural_net(NeuralNet):
    # forward, as in the test of NeuralNet.forward
    X = np.linspace(-1, 1, 20).reshape(4, 5)
    out = NeuralNet(4, 3, 2, 3, seed=0).forward(X)
    problem = _three(out, "(A1, A2, P)", "forward")
    if problem:
        return problem
    A1, A2, P = out
    problem = (_shape(A1, (3, 5), "A1", "forward") or _shape(A2, (2, 5), "A2", "forward")
               or _shape(P, (3, 5), "P", "forward"))
    if problem:
        return problem
    problem = (_in("forward", wrong(np.sum(P, axis=0), np.ones(5), "column sums of P"))
               or _in("forward", wrong(np.asarray(P)[:, 0], [0.28426798, 0.47504795, 0.24068407],
                                       "values of P")))
    if problem:
        return problem

    # loss, as in the test of NeuralNet.loss
    net = NeuralNet(2, 2, 2, 3, seed=0)
    net.layer1.linear.W[...] = 1.0
    net.layer2.linear.W[...] = 0.5
    net.output.W[...] = -1.0
    net.output.b[...] = np.log([[0.2], [0.5], [0.3]])
    P, T = np.array([[0.2, 0.2], [0.5, 0.5], [0.3, 0.3]]), np.array([1, 0])
    problem = (_one_number(net.loss(P.copy(), T.copy()), 1.1512925464970227, "loss")
               or _one_number(net.loss(P.copy(), T.copy(), 0.4), 1.1512925464970227 + 1.1,
                              "loss with lam"))
    if problem:
        return problem

    # backward, as in the test of NeuralNet.backward (the states of forward, rounded)
    net = NeuralNet(4, 3, 2, 3, seed=0)
    A1 = [[0.6563875786, 0.6649167743, 0.6733396191, 0.68165211, 0.6898505062],
          [0.6253844705, 0.6536107554, 0.6807957982, 0.7068043747, 0.7315294754],
          [0.4897796717, 0.4654741053, 0.4413313944, 0.4174629213, 0.393974994]]
    A2 = [[0.7717723484, 0.7720436872, 0.772230805, 0.7723369166, 0.7723669923],
          [0.2552798751, 0.2494347602, 0.2438388441, 0.2385054005, 0.2334428316]]
    P = [[0.2842679821, 0.2856741983, 0.2870240512, 0.2883138156, 0.2895409494],
         [0.4750479474, 0.4741041396, 0.4731882364, 0.472303308, 0.4714518306],
         [0.2406840705, 0.2402216622, 0.2397877124, 0.2393828764, 0.23900722]]
    grads = net.backward(X, np.array(A1), np.array(A2), np.array(P), np.array([0, 2, 1, 1, 0]), 0.5)
    if not isinstance(grads, dict) or sorted(grads) != ["W1", "W2", "W3", "b1", "b2", "b3"]:
        return "does not return a dict with the keys W1 b1 W2 b2 W3 b3 from backward"
    expected = {
        "b3": [[-0.1130358007], [0.0732190924], [0.0398167083]],
        "W3": [[-0.1311289505, 0.0395439993, -0.0725743385],
               [-0.1100263024, 0.0564358565, 0.0409045786]],
        "b2": [[-0.0006797751], [0.0246524008]],
        "W2": [[0.0775909306, -0.0856481875], [0.0490400691, -0.0545634599],
               [0.0799990884, 0.020134481]],
        "b1": [[-0.0055949092], [-0.0036970245], [0.0004741343]],
        "W1": [[0.029433199, -0.0398076977, -0.0860169515],
               [-0.0883935533, 0.0588800943, 0.0756552623],
               [0.0179285531, 0.0414224209, 0.0075551035],
               [0.0757985141, 0.0554668266, -0.0923480692]],
    }
    for name, values in expected.items():
        problem = _in("backward", wrong(grads[name], values, f"gradients of {name}"))
        if problem:
            return problem
    return None


CHECKS = {"LinearUpdate": linear_update, "LogisticUpdate": logistic_update,
          "SoftmaxClassifier": softmax_classifier, "Layer": layer, "NeuralNet": neural_net}
