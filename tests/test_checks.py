"""The student-facing checks: messages a beginner can act on."""
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
