"""The student-facing checks: messages a beginner can act on."""
import subprocess
import sys

import numpy as np
import pytest

from utils.checks import (CheckFailed, call, check_array, check_close, check_scalar,
                          check_shape, check_unchanged, run_quietly)


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
