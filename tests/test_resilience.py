"""A cell that kills the kernel or ignores the interrupt costs only itself."""
import pytest

from conftest import small_course
from utils.grader import coordinator
from utils.grader.report import cell_scores
from utils.submissions import fill_answers, solution_answers, write_submission

NOTEBOOK = "01_single_neuron"

EXITS = '''
def relu(Z):
    return np.maximum(0, Z)

import os
os._exit(1)
'''

STUBBORN = '''
def sigmoid(Z):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(Z, dtype=float)))

import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
'''


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """lab1's first notebook graded for students whose code stops the kernel."""
    course = small_course(tmp_path_factory.mktemp("crash") / "course", config="c.Execute.timeout = 4")
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"
    for student, changes in (("exits", {"relu": EXITS}), ("stubborn", {"sigmoid": STUBBORN})):
        write_submission(course, student, "lab1",
                         {NOTEBOOK: fill_answers(release, {**solutions, **changes})})
    outcomes = {o.student: o
                for o in coordinator.autograde(course, "lab1", progress=lambda *_: None)}
    return course, outcomes


def _lost(course, student):
    scores = cell_scores(course, "lab1", student, NOTEBOOK)
    return sorted(cell for cell, (score, top) in scores.items() if score < top)


def test_os_exit_costs_only_its_own_exercise(crashed):
    course, outcomes = crashed
    assert outcomes["exits"].graded
    assert _lost(course, "exits") == ["test_relu"]


def test_loop_that_ignores_the_interrupt_costs_only_its_own_exercise(crashed):
    course, outcomes = crashed
    assert outcomes["stubborn"].graded
    assert _lost(course, "stubborn") == ["test_sigmoid_stable", "test_sigmoid_values"]


def test_report_names_the_cell_that_stopped_the_kernel(crashed):
    course, outcomes = crashed
    for student, name in (("exits", "def relu"), ("stubborn", "def sigmoid")):
        assert "stopped the kernel" in outcomes[student].message
        assert name in outcomes[student].message
