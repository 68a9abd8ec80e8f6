"""Points go only to values: a stub of the right shape earns nothing.

Every graded function and method is listed in the ``STUBS`` of its notebook's
variant file with the grade cells that test it.  The synthetic class (see
``conftest.py``) holds one student per stub: the solutions with that one
function wrapped so that it returns zeros, shapes and types unchanged
(``selftest --stubs`` adds all ones, transposed and doubled outputs).
Each listed cell must score 0.
"""
import numpy as np
import pytest

from utils.selftest import stub_problems
from utils.submissions import STUB_KINDS, stub_answers, unstubbed

ASSIGNMENTS = ("lab1", "lab2", "hw1", "hw2")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_function_has_stubs(graded, assignment):
    """Each function or class an answer cell defines is listed in STUBS."""
    missing = {notebook: unstubbed(graded.course, assignment, notebook)
               for notebook in graded.course.notebooks(assignment)}
    assert not any(missing.values()), {k: v for k, v in missing.items() if v}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_stub_earns_a_point(graded, assignment):
    """Zeros stubs score 0 in every cell that tests them."""
    planned = graded.stubs[assignment]
    assert planned, f"{assignment} has no stubs to grade"
    problems = stub_problems(graded.course, assignment, planned)
    assert not problems, "\n".join(problems)


def _defined(code, name):
    namespace = {"np": np}
    exec(code, namespace)                                    # noqa: S102 - test data
    return namespace[name]


SOLUTION = {"f": "def f(x):\n    return x @ np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])\n",
            "k": "class K:\n    def __init__(self):\n        self.w = np.ones((2, 3))\n"
                 "        self.n = 3\n    def step(self):\n        self.w = self.w + 1\n"
                 "        self.grads = {'dw': np.full((2, 3), 0.5)}\n"
                 "    def refresh(self):\n        self.grads['dw'] = self.w * 3\n"
                 "    def __iter__(self):\n        yield self.w, 7\n"}


def test_stub_kinds_keep_shape_and_type_and_change_values():
    """Each stub kind keeps what a shape or type check sees and changes the values."""
    x = np.array([[1.0, -1.0]])
    right = _defined(SOLUTION["f"], "f")(x)
    for kind in STUB_KINDS:
        code = stub_answers(SOLUTION, "f", kind)["f"]
        got = _defined(code, "f")(x)
        assert isinstance(got, np.ndarray) and got.dtype == right.dtype
        assert got.shape == (right.T.shape if kind == "transposed" else right.shape)
        assert not np.array_equal(got, right), kind


def test_method_stubs_change_what_the_call_set_and_yielded():
    """A method stub changes the attributes the call set or changed; a generator
    method's items are changed; what the call did not touch stays."""
    code = stub_answers(SOLUTION, "K.step", "zeros")["k"]
    k = _defined(code, "K")()
    k.step()
    assert not k.w.any() and not k.grads["dw"].any() and k.n == 3
    code = stub_answers(SOLUTION, "K.refresh", "ones")["k"]
    k = _defined(code, "K")()
    k.step()
    k.refresh()                       # a new array in a dict the call did not replace
    assert (k.grads["dw"] == 1).all() and (k.w == 2).all()
    code = stub_answers(SOLUTION, "K.__init__", "doubled")["k"]
    k = _defined(code, "K")()
    assert k.n == 6 and (k.w == 2).all()
    code = stub_answers(SOLUTION, "K.__iter__", "ones")["k"]
    k = _defined(code, "K")()
    (w, seven), = list(k)
    assert (w == 1).all() and seven == 1
