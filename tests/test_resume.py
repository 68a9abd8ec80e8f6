"""Grading resumes where it stopped: a notebook already graded from the same
submission and the same tests keeps its scores; a resubmission, a fixed test
or a gradebook made anew is graded again.  Each graded copy records the
content hash and the test version it was graded from."""
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import small_course
from utils import grading
from utils.grader import coordinator
from utils.grader.report import cell_scores
from utils.submissions import synthetic_class, write_submission

NOTEBOOKS = ("01_single_neuron",)


@pytest.fixture
def course(tmp_path):
    course = small_course(tmp_path / "course", "lab1", NOTEBOOKS)
    students, _ = synthetic_class(course, "lab1", mistake_students=0, alternative_students=0)
    for student in ("correct", "blank"):
        write_submission(course, student, "lab1", students[student])
    course.prepared = students
    return course


def _grade(course, **options):
    lines = []
    outcomes = coordinator.autograde(course, "lab1", progress=lines.append, **options)
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    return lines


def _graded_notebooks(lines):
    """How many notebooks a run graded, from its first progress line."""
    first = next(line for line in lines if "notebook(s) of" in line)
    return int(first.split("grading ")[1].split(" ")[0])


def _record(course, student, notebook):
    path = course.autograded / student / "lab1" / f"{notebook}.ipynb"
    return nbformat.read(str(path), 4).metadata["nnkit"]


def test_an_unchanged_class_is_not_graded_again(course):
    assert _graded_notebooks(_grade(course)) == 2
    before = {s: cell_scores(course, "lab1", s, NOTEBOOKS[0]) for s in ("correct", "blank")}
    record = _record(course, "correct", NOTEBOOKS[0])
    assert len(record["content_hash"]) == 16 and len(record["test_version"]) == 16
    lines = _grade(course)
    assert _graded_notebooks(lines) == 0
    assert any("graded before from the same submission and tests, kept" in line
               for line in lines)
    assert {s: cell_scores(course, "lab1", s, NOTEBOOKS[0]) for s in before} == before
    assert _graded_notebooks(_grade(course, regrade=True)) == 2


def test_a_resubmission_is_graded_again(course):
    _grade(course)
    # blank hands in the solutions of the first notebook
    solved = course.prepared["correct"][NOTEBOOKS[0]]
    write_submission(course, "blank", "lab1", {**course.prepared["blank"], NOTEBOOKS[0]: solved})
    assert _graded_notebooks(_grade(course)) == 1
    scores = cell_scores(course, "lab1", "blank", NOTEBOOKS[0])
    assert all(score == most for score, most in scores.values())


def test_a_fixed_test_grades_its_notebook_again(course):
    _grade(course)
    source = course.source / "lab1" / f"{NOTEBOOKS[0]}.ipynb"   # the instructor fixes
    nb = nbformat.read(str(source), 4)                          # a test and releases again
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "test_relu")
    cell.source += "\n# fixed"
    nbformat.write(nb, str(source))
    grading.release(course, "lab1", validate=False, progress=lambda *_: None)
    version = _record(course, "correct", NOTEBOOKS[0])["test_version"]
    assert _graded_notebooks(_grade(course)) == 2          # that notebook, both students
    assert _record(course, "correct", NOTEBOOKS[0])["test_version"] != version


def test_a_new_gradebook_means_grading_again(course):
    _grade(course)
    course.gradebook.unlink()
    grading.release(course, "lab1", validate=False, progress=lambda *_: None)
    assert _graded_notebooks(_grade(course)) == 2


def test_an_interrupted_run_resumes_where_it_stopped(course):
    # Stop the command (as Ctrl-C does) once the first notebook is stored.
    command = [sys.executable, "-m", "utils", "--course", str(course.root), "autograde",
               "lab1", "--jobs", "1"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    graded = course.autograded / "blank" / "lab1"
    deadline = time.monotonic() + 300
    while not (graded.is_dir() and any(graded.glob("*.ipynb"))):
        assert run.poll() is None, run.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    output = run.communicate(timeout=120)[0]
    assert run.returncode != 0, output
    stored = len(list(course.autograded.rglob("*.ipynb")))
    assert stored == 1, output
    lines = _grade(course)
    assert _graded_notebooks(lines) == 1
    for student in ("correct", "blank"):
        for notebook in NOTEBOOKS:
            scores = cell_scores(course, "lab1", student, notebook)
            full = all(score == most for score, most in scores.values())
            assert full == (student == "correct"), (student, notebook, scores)


@pytest.mark.fast
def test_ctrl_c_is_never_taken_for_a_kernel_that_did_not_answer():
    """The grader's steps that catch every failure of a kernel still let an
    instructor's Ctrl-C through (a swallowed one let the run go on)."""
    from utils.grader import execute

    def stopped(code, expression):
        raise KeyboardInterrupt

    def broken(code, expression):
        raise RuntimeError("no kernel")
    step = execute.GradedExecute()
    step._transport = broken
    assert "no answer" in step._guard_report()
    step._transport = stopped
    with pytest.raises(KeyboardInterrupt):
        step._guard_report()
