"""Tampering earns nothing and is flagged; tampered test cells are restored."""
import copy

import nbformat
import pytest

from conftest import small_course
from utils.grader import coordinator
from utils.grader.report import cell_scores
from utils.submissions import fill_answers, grade_id, solution_answers, write_submission

NOTEBOOK = "01_single_neuron"
LEAKY = "def relu(Z):\n    return np.maximum(0.01 * Z, Z)\n"

REPLACING = {
    # wrong answer, then np.allclose made to agree with anything
    "fake-allclose": ({"neurons": "def neurons(X, W, B):\n    return X @ W.T\n"
                                  "np.allclose = lambda *a, **k: True\n"},
                      ["test_neurons_values"]),
    # the student's function replaces np.allclose while the test runs
    "tamper-in-test": ({"relu": "def relu(Z):\n    import numpy\n"
                                "    numpy.allclose = lambda *a, **k: True\n    return Z\n"},
                       ["test_relu"]),
    # a check helper redefined in the notebook
    "own-check": ({"relu": LEAKY + "def check_close(*a, **k):\n    return None\n"},
                  ["test_relu"]),
    # the code of a check helper swapped
    "swapped-code": ({"relu": LEAKY + "import utils.checks\n"
                              "utils.checks.check_close.__code__ = (lambda *a, **k: None).__code__\n"},
                     ["test_relu"]),
    # a builtin patched
    "patched-builtin": ({"sigmoid": "def sigmoid(Z):\n    return Z\n"
                                    "import builtins\nbuiltins.isinstance = lambda *a: True\n"},
                        ["test_sigmoid_stable", "test_sigmoid_values"]),
    # the watch switched off first, then np.allclose replaced
    "guard-off": ({"neurons": "def neurons(X, W, B):\n    return X @ W.T + B\n"
                              "get_ipython().events.callbacks['post_run_cell'].clear()\n",
                   "relu": LEAKY + "np.allclose = lambda *a, **k: True\n"},
                  ["test_relu"]),
}


def _edited(nb):
    for cell in nb.cells:
        if grade_id(cell) == "test_relu":
            cell.source = '"""nothing to see"""\npass'
    return nb


def _retyped(nb):
    for index, cell in enumerate(nb.cells):
        if grade_id(cell) == "test_relu":
            markdown = nbformat.v4.new_markdown_cell(cell.source)
            markdown.metadata = cell.metadata
            nb.cells[index] = markdown
    return nb


def _duplicated(nb):
    for index, cell in enumerate(nb.cells):
        if grade_id(cell) == "test_relu":
            twin = copy.deepcopy(cell)
            twin.source = '"""mine"""\npass'
            twin["id"] = "twin"
            nb.cells.insert(index, twin)
            break
    return nb


EDITING = {"edited-test": _edited, "retyped-test": _retyped, "duplicated-test": _duplicated}


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    course = small_course(tmp_path_factory.mktemp("tamper") / "course")
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"
    for student, (changes, _) in REPLACING.items():
        write_submission(course, student, "lab1",
                         {NOTEBOOK: fill_answers(release, {**solutions, **changes})})
    for student, edit in EDITING.items():
        nb = fill_answers(release, {**solutions, "relu": LEAKY})
        write_submission(course, student, "lab1", {NOTEBOOK: edit(nb)})
    outcomes = coordinator.autograde(course, "lab1", jobs=2, progress=lambda *_: None)
    return course, {o.student: o for o in outcomes}


def _lost(course, student):
    scores = cell_scores(course, "lab1", student, NOTEBOOK)
    return sorted(cell for cell, (score, top) in scores.items() if score < top)


@pytest.mark.parametrize("student", sorted(REPLACING))
def test_replacing_what_tests_use_earns_nothing_and_is_flagged(tampered, student):
    """The wrong answer loses its points as if nothing were replaced; the rest is
    graded honestly, and the outcome says TAMPERING."""
    course, outcomes = tampered
    assert outcomes[student].graded
    assert _lost(course, student) == REPLACING[student][1]
    assert "TAMPERING" in outcomes[student].message


@pytest.mark.parametrize("student", sorted(EDITING))
def test_edited_test_cells_are_graded_from_the_instructor_copy(tampered, student):
    """An edited, retyped or duplicated test cell is restored: the leaky ReLU still loses."""
    course, outcomes = tampered
    assert outcomes[student].graded
    assert _lost(course, student) == ["test_relu"]
    scores = cell_scores(course, "lab1", student, NOTEBOOK)
    assert scores["test_relu"] == (0.0, 2.0)
