"""The student-facing checks: messages a beginner can act on."""
import subprocess
import sys

import numpy as np
import pytest

from utils.checks import (CheckFailed, call, check_array, check_close, check_scalar,
                          check_shape, check_unchanged, run_quietly, uses)


def message(func, *args, **kwargs):
    with pytest.raises(CheckFailed) as info:
        func(*args, **kwargs)
    return str(info.value)


def test_transposed_shape_is_recognised():
    text = message(check_shape, "W", np.zeros((4, 2)), (2, 4))
    assert "(2, 4)" in text and "(4, 2)" in text and "transpose" in text


def test_missing_dimension_is_recognised():
    assert "keepdims" in message(check_shape, "dB", np.zeros(3), (1, 3))


def test_not_an_array_and_none_are_named():
    assert "list" in message(check_array, "Z", [1, 2])
    assert "return" in message(check_array, "Z", None)


def test_scalars_of_every_kind_are_accepted_and_arrays_are_not():
    for value in (0.5, 1, np.float64(0.5), np.float32(0.5), np.array(0.5)):
        check_scalar("s", value)
    assert ".item()" in message(check_scalar, "s", np.array([0.5]))
    message(check_scalar, "s", True)


def test_wrong_values_name_the_first_difference():
    text = message(check_close, "Z", np.array([[1.0, 2.0], [3.0, 4.0]]), [[1, 2], [3, 5]])
    assert "index (1, 1)" in text and "1 of 4" in text
    assert "should be 0.5, but it is 0.3" in message(check_close, "s", 0.3, 0.5)


def test_close_values_pass_and_shapes_never_broadcast():
    check_close("Z", np.array([1.0, 2.0 + 1e-9]), [1.0, 2.0])
    message(check_close, "Z", np.array([[1.0, 2.0]]), [1.0, 2.0])


def test_call_explains_unwritten_and_crashing_code():
    def stub(X, W):
        raise NotImplementedError()

    def crash(X, W):
        return X @ W

    assert "not written yet" in message(call, "f(X, W)", stub, 1, 2)
    text = message(call, "f(X, W)", crash, np.ones((1, 4)), np.ones((2, 4)))
    assert "ValueError" in text and "X is an array of shape (1, 4)" in text


def test_run_quietly_turns_overflow_into_advice():
    text = message(run_quietly, "sigmoid(Z)", lambda z: 1 / (1 + np.exp(-z)), np.array([-1000.0]))
    assert "overflow" in text and "np.exp" in text
    assert run_quietly("f", lambda: np.exp(-1000.0)) == 0.0   # underflow is fine


def test_unchanged_input():
    check_unchanged("Z", np.ones(3), np.ones(3))
    assert "Z.copy()" in message(check_unchanged, "Z", np.ones(3), np.zeros(3))


SHELL = '''import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
for source in sys.argv[1:]:
    print("@@ cell")
    shell.run_cell(source, store_history=True)
'''


def _in_ipython(*cells):
    """What each cell shows in an IPython shell that imported utils.checks."""
    done = subprocess.run([sys.executable, "-c", SHELL, "import utils.checks", *cells],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [shown.strip() for shown in done.stdout.split("@@ cell\n")[2:]]


def test_a_name_an_unwritten_exercise_did_not_make_is_one_line_and_a_typo_is_not():
    """Once a cell stopped at an unwritten exercise, a later cell that needs what it
    would have made shows one line; a misspelt name, and a name still missing after
    the exercise was written, keep their NameError traceback."""
    unwritten = "class Net:\n    def __init__(self):\n        raise NotImplementedError()"
    written = "class Net:\n    def __init__(self):\n        self.w = 1"
    shown = _in_ipython(unwritten, "network = Net()\nsize = 3", "copy = network",
                        "print(copy)", "print(netwrok)", written, "print(network.w)",
                        "network = Net()", "print(network.w)")
    assert shown[:4] == ["", "Net.__init__ is not written yet: write it in its cell.",
                         "network is not made yet: Net.__init__ is not written yet.",
                         "copy is not made yet: Net.__init__ is not written yet."]
    for typo in shown[4], shown[6]:
        assert "Traceback" in typo and "NameError" in typo, typo
    assert shown[8] == "1"
    for line in shown[1:4]:
        assert len(line) <= 80 and "`" not in line


def test_every_line_about_unwritten_work_fits_80_columns():
    """The longest names of the course still fit: nbgrader validate cuts longer lines."""
    from utils.checks import not_made, not_written
    lines = [not_written("SoftmaxClassifier.cross_entropy"), not_written(None),
             not_written("SimpleNeuralNetwork.forward", "03_network"),
             not_made("train_loader", "SimpleNeuralNetwork.__init__")]
    assert all(len(line) <= 80 and "`" not in line for line in lines), lines


@pytest.mark.fast
def test_run_quietly_names_the_kind_of_warning_and_adds_the_tests_hint():
    """An np.where sigmoid hears that np.where computes both branches; 0/0 after an
    underflow is not called an overflow; the test's own hint follows."""
    def where_sigmoid(x):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    assert "np.where" in message(run_quietly, "sigmoid(x)", where_sigmoid, np.array([-1e3, 1e3]))

    def global_shift(z):
        e = np.exp(z - z.max())
        return e / e.sum(axis=0, keepdims=True)
    with pytest.raises(CheckFailed) as info:
        run_quietly("softmax(Z)", global_shift, np.array([[0.0, -2000.0], [1.0, -2001.0]]),
                    hint="Subtract the largest score of each column.")
    text = str(info.value)
    assert "0/0" in text and "underflow" in text and "overflowed" not in text
    assert text.endswith("Subtract the largest score of each column.")
    assert info.value.public.startswith("softmax(Z) triggered a NumPy warning (an invalid value).")
    assert "np.log got 0" in message(run_quietly, "f", lambda: np.log(np.zeros(1)))

    def stub(x):
        raise NotImplementedError
    assert message(run_quietly, "sigmoid(x)", stub, 0.0) == \
        "sigmoid is not written yet: write it in its cell."


@pytest.mark.fast
def test_a_matrix_product_the_wrong_way_round_gets_advice():
    text = message(call, "layer.forward(A)", lambda A: A @ np.ones((3, 4)), np.ones((4, 2)))
    assert "columns in A as rows in B" in text and "order of the two factors" in text


@pytest.mark.fast
def test_an_input_that_may_change_must_be_put_back():
    text = message(check_unchanged, "parameters['W1']", np.ones(3), np.zeros(3), put_back=True)
    assert "must put it back" in text and "new array" not in text


def _table(**checks):
    import types
    module = types.ModuleType("utils.prerequisites.testing")
    module.CHECKS = checks
    sys.modules[module.__name__] = module
    return module


@pytest.mark.fast
def test_uses_names_the_first_earlier_exercise_that_is_wrong():
    """Each earlier exercise is tried in the order given; the first wrong, unwritten
    or crashing one is named, in the same words for the notebook and the feedback
    page; printing, warnings and the random state are left as they were."""
    from utils.prerequisites import wrong
    _table(double=lambda f: wrong(f(np.arange(3.0)), [0.0, 2.0, 4.0], "values"),
           halve=lambda f: wrong(f(np.ones(2)), [0.5, 0.5]))

    def loud_double(x):
        print("hello")
        np.random.rand(5)
        return 2 * x + np.exp(1000.0)

    np.random.seed(4)
    state = np.random.get_state()[1].copy()
    with pytest.raises(CheckFailed) as info:
        uses("testing", double=loud_double, halve=lambda x: x / 3)
    assert str(info.value) == (
        "This test uses your double, which gives wrong values on a small example: make "
        "the test of double pass first, then run this test again.")
    assert info.value.public == str(info.value) and info.value.kind == "earlier"
    assert (np.random.get_state()[1] == state).all()
    with pytest.raises(CheckFailed, match="your halve, which gives wrong values"):
        uses("testing", double=lambda x: 2 * x, halve=lambda x: x / 3)
    with pytest.raises(CheckFailed, match="your halve, which gives values of the wrong shape"):
        uses("testing", halve=lambda x: x[:1] / 2)
    with pytest.raises(CheckFailed, match="your halve, which raises TypeError on a small"):
        uses("testing", halve=lambda x: x / "2")

    def halve(x):
        raise NotImplementedError
    assert message(uses, "testing", double=lambda x: 2 * x, halve=halve) == \
        "halve is not written yet: write it in its cell."
    uses("testing", double=lambda x: x + x, halve=lambda x: x * 0.5)
    with pytest.raises(KeyError):
        uses("testing", triple=lambda x: 3 * x)


@pytest.mark.fast
def test_uses_sends_a_student_to_the_notebook_an_answer_came_from():
    from utils.prerequisites import wrong
    _table(relu=lambda f: wrong(f(np.array([-1.0, 2.0])), [0.0, 2.0]))
    space = {"np": np}
    exec(compile("def relu(z):\n    return z\n", "<01_single_neuron.ipynb>", "exec"), space)
    assert message(uses, "testing", relu=space["relu"]) == (
        "This test uses your relu from 01_single_neuron, which gives wrong values on a "
        "small example: make its test pass in 01_single_neuron first, then load it again.")
