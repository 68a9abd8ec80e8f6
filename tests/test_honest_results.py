"""Honest results: a submission that could not be graded is never a silent 0."""
import csv
import signal
import sqlite3
import subprocess
import sys

import nbformat
import pytest

from conftest import KIT, small_course
from utils import grading
from utils.grader import coordinator, report
from utils.grader.outcome import save_outcomes
from utils.submissions import fill_answers, solution_answers, write_submission

NOTEBOOK = "01_single_neuron"


def _correct(course):
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    return fill_answers(course.release / "lab1" / f"{NOTEBOOK}.ipynb", solutions)


def _path(course, student):
    return course.submitted / student / "lab1" / f"{NOTEBOOK}.ipynb"


@pytest.fixture()
def course(tmp_path):
    return small_course(tmp_path / "course")


def test_failed_regrade_replaces_the_old_score(course, tmp_path):
    """A good submission, then a resubmission that cannot be graded: no old score stays."""
    write_submission(course, "ada", "lab1", {NOTEBOOK: _correct(course)})
    first, = coordinator.autograde(course, "lab1", progress=lambda *_: None)
    assert first.graded and report.notebook_rows(course, first)[0].score == 11
    _path(course, "ada").write_text('{"cells": [')
    second, = coordinator.autograde(course, "lab1", progress=lambda *_: None)
    assert not second.graded and "not valid JSON" in second.message
    row = report.notebook_rows(course, second)[0]
    assert row.score is None and row.state == "not graded" and row.status.startswith("not graded")
    assert all(s is None or s == 0 for s, _ in
               report.cell_scores(course, "lab1", "ada", NOTEBOOK).values())
    assert not (course.autograded / "ada" / "lab1" / f"{NOTEBOOK}.ipynb").exists()
    save_outcomes(course, [second])
    from utils.grader.exports import write_exports
    files = write_exports(course, tmp_path / "grades", ["lab1"])
    row, = list(csv.DictReader(files["notebooks"].open(encoding="utf-8-sig")))
    assert row["score"] == "" and row["status"].startswith("not graded")


BAD = {
    "empty": ("", "is empty"),
    "garbled": ("not json at all", "not valid JSON"),
    "not-a-notebook": ('{"cells": 3}', "not a valid notebook"),
    "foreign": (nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("hi")])), "not this assignment's notebook"),
}


@pytest.fixture(scope="module")
def bad_class(tmp_path_factory):
    course = small_course(tmp_path_factory.mktemp("bad") / "course")
    write_submission(course, "ada", "lab1", {NOTEBOOK: _correct(course)})
    for student, (content, _) in BAD.items():
        write_submission(course, student, "lab1", {NOTEBOOK: content})
    return {o.student: o for o in coordinator.autograde(course, "lab1", jobs=2,
                                                        progress=lambda *_: None)}


@pytest.mark.parametrize("student", sorted(BAD))
def test_bad_notebooks_are_reported_per_student(bad_class, student):
    """Empty, malformed or foreign notebooks are reported by name; the class is graded."""
    assert bad_class["ada"].graded
    outcome = bad_class[student]
    assert not outcome.graded and BAD[student][1] in outcome.message
    assert f"{NOTEBOOK}.ipynb" in outcome.message


def test_gradebook_survives_a_killed_grading_run(course):
    """Killing the grader midway leaves a sound gradebook; running again finishes."""
    students = ["s1", "s2", "s3"]
    for student in students:
        write_submission(course, student, "lab1", {NOTEBOOK: _correct(course)})
    command = [sys.executable, "-m", "utils", "--course", str(course.root),
               "autograde", "lab1", "--jobs", "1"]
    process = subprocess.Popen(command, cwd=KIT, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:       # wait until the first student is done
        if "graded" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(course.gradebook) as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    rerun = subprocess.run(command, cwd=KIT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for student in students:
        scores = report.cell_scores(course, "lab1", student, NOTEBOOK)
        assert all(score == top for score, top in scores.values()), (student, scores)


def test_manual_grades_survive_a_regrade_and_reach_the_feedback(tmp_path):
    """A score and comment given by hand in formgrader stay when the class is
    graded again, and the student's feedback shows them."""
    from nbgrader.api import Gradebook
    course = small_course(tmp_path / "course", "lab2", ("01_neuron",))
    solutions = solution_answers(course.source / "lab2" / "01_neuron.ipynb")
    write_submission(course, "ada", "lab2", {"01_neuron": fill_answers(
        course.release / "lab2" / "01_neuron.ipynb", solutions)})
    coordinator.autograde(course, "lab2", progress=lambda *_: None)
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        grade = gb.find_grade("experiment_answer", "01_neuron", "lab2", "ada")
        grade.manual_score = 2.5
        comment = gb.find_comment("experiment_answer", "01_neuron", "lab2", "ada")
        comment.manual_comment = "Good reasoning about the learning rate."
        gb.db.commit()
    outcomes = coordinator.autograde(course, "lab2", progress=lambda *_: None)
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        assert gb.find_grade("experiment_answer", "01_neuron", "lab2", "ada").score == 2.5
    grading.feedback(course, "lab2", outcomes, progress=lambda *_: None)
    page = (course.feedback / "ada" / "lab2" / "01_neuron.html").read_text()
    assert "Good reasoning about the learning rate." in page
    assert "2.5" in page
