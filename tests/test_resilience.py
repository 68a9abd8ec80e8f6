"""A cell that kills the kernel or ignores the interrupt costs only itself."""
import pytest

from conftest import KIT
from utils import grading
from utils.course import Course
from utils.demo import make_scratch_course
from utils.report import cell_scores
from utils.submissions import synthetic_class, write_submission

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
    course = make_scratch_course(Course(KIT), tmp_path_factory.mktemp("crash") / "course")
    for path in (course.source / "lab1").glob("*.ipynb"):
        if path.stem != NOTEBOOK:
            path.unlink()
    for other in course.assignments():
        if other != "lab1":
            import shutil
            shutil.rmtree(course.source / other)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.Execute.timeout = 4\n")
    grading.release(course, "lab1", validate=False, progress=lambda *_: None)
    students, _ = synthetic_class(course, "lab1", mistake_students=0, alternative_students=0)
    from utils.submissions import fill_answers, solution_answers
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"
    for student, changes in (("exits", {"relu": EXITS}), ("stubborn", {"sigmoid": STUBBORN})):
        write_submission(course, student, "lab1",
                         {NOTEBOOK: fill_answers(release, {**solutions, **changes})})
    outcomes = {o.student: o for o in grading.autograde(course, "lab1", progress=lambda *_: None)}
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
