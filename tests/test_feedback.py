"""Feedback files: what failed and why, never the hidden tests or their values."""
import re

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output

from test_release import HIDDEN, _secret_lines
from utils import grading
from utils.grader import coordinator
from utils.grader.outcome import load_outcomes, save_outcomes
from utils import checks
from utils.grader.feedback import FeedbackFromVerdicts
from utils.grader.verdict import diagnose, feedback

SOURCE = '''"""checks f"""
check_close("f(1)", f(1), 2.0)
### BEGIN HIDDEN TESTS
secret = 123.456
check_close("f(x) for a fresh x", f(7), secret)
### END HIDDEN TESTS
passed()'''


def _graded_cell(verdict):
    cell = new_code_cell(SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t",
                                 "points": 1, "locked": True, "schema_version": 3}
    cell.metadata["nnkit"] = verdict
    cell.outputs = [new_output("stream", name="stdout", text="printed by the kernel: 123.456")]
    return cell


def _failure(name, got, expected):
    try:
        checks.check_close(name, got, expected)
    except checks.CheckFailed as err:
        return err
    raise AssertionError("the check should fail")


def test_hidden_failure_says_in_words_what_went_wrong():
    err = _failure("f(x) with L=5 for a fresh x",
                   np.array([-1.0, 2.0, -3.5]), np.array([1.0, -2.0, 3.5]))
    text = feedback(err, hidden=True)
    assert "3.5" not in text and "L=5" not in text
    assert "hidden check failed (f(x))" in text and "sign is flipped" in text


def test_visible_failure_keeps_its_message_but_not_the_value_it_got():
    """The value came from the student's kernel (it may carry what a hidden test
    passed earlier): the feedback keeps the check's words and the expected value
    written in the test, the student sees the rest by running the cell."""
    err = _failure("f(1)", 3.0, 2.0)
    assert feedback(err, hidden=False, source=SOURCE, line=2) == \
        "f(1) should be 2, but it is another number."
    assert "3" not in feedback(err, hidden=False)


def test_diagnose_names_scale_and_offset():
    assert "factor" in diagnose([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert "same amount" in diagnose([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])


def test_feedback_cells_hold_only_the_grader_verdict():
    cell, _ = FeedbackFromVerdicts().preprocess_cell(
        _graded_cell({"passed": False, "feedback": "A hidden check failed (f(x))."}), {}, 0)
    text = cell.source + str(cell.outputs)
    assert "123.456" not in text and "secret" not in text and "kernel" not in text
    assert cell.outputs[0].evalue == "A hidden check failed (f(x))."
    assert "(hidden tests ran here" in cell.source
    student = new_code_cell("print(stolen)")
    student.outputs = [new_output("stream", name="stdout", text="hidden input 123.456")]
    cell, _ = FeedbackFromVerdicts().preprocess_cell(student, {}, 1)
    assert cell.outputs == []


def test_feedback_of_the_graded_class_holds_no_hidden_test(graded):
    """Every feedback file of the class is free of hidden-test lines and markers."""
    course = graded.course
    for assignment in course.assignments():
        # The solutions pass every test cell, the blank release fails every
        # one, and the prepared mistakes fail them in every way a hidden test
        # is described; the stub and alternative students add no kind of page
        # (they fail or pass like those), so they are left out for time.
        outcomes = [o for o in load_outcomes(course, assignment)
                    if not o.student.startswith(("stub-", "alternative-"))]
        folders = grading.feedback(course, assignment, outcomes, jobs=coordinator.default_jobs(),
                                   progress=lambda *_: None)
        assert folders
        secrets = _secret_lines(assignment, HIDDEN)
        for html in (course.feedback).glob(f"*/{assignment}/*.html"):
            text = html.read_text()
            assert "BEGIN HIDDEN TESTS" not in text, html
            plain = re.sub(r"<[^>]+>", "", text)
            plain = plain.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<") \
                .replace("&gt;", ">").replace("&amp;", "&")
            lines = {line.strip() for line in plain.splitlines()}
            leaked = [s for s in secrets if s in lines - _own_lines(course, html)]
            assert not leaked, f"{html}: {leaked[:2]}"


def _own_lines(course, html):
    """Lines the student wrote in the submitted notebook (their own code may match a test's)."""
    student, assignment = html.parts[-3], html.parts[-2]
    submitted = course.submitted / student / assignment / f"{html.stem}.ipynb"
    try:
        cells = nbformat.read(str(submitted), 4).cells
    except Exception:  # noqa: BLE001 - a broken submission has no lines of its own
        return set()
    return {line.strip() for cell in cells for line in cell.source.splitlines()}


def test_what_the_kernel_says_its_code_raised_is_bounded():
    """The error's name and message come from the student's kernel: a name that is
    not one is not repeated, and a long message is cut."""
    from utils.grader.remote import StudentError, student_error
    forged = student_error("\x1b[2JAll tests passed", "x")
    assert isinstance(forged, StudentError) and "\x1b" not in str(forged)
    assert len(str(student_error("ValueError", "y" * 10 ** 6))) == 2000


@pytest.fixture(scope="module")
def written_answers(tmp_path_factory):
    """lab2's first notebook (a written answer of 3 points for a person to
    grade) handed in by one student and autograded."""
    from conftest import small_course
    from utils.submissions import synthetic_class, write_submission
    course = small_course(tmp_path_factory.mktemp("written") / "course", "lab2", ("01_neuron",))
    students, _ = synthetic_class(course, "lab2", mistake_students=0, alternative_students=0)
    write_submission(course, "ada", "lab2", students["correct"])
    outcomes = coordinator.autograde(course, "lab2", jobs=1, progress=lambda *_: None)
    save_outcomes(course, outcomes)
    return course


def _page_text(course):
    html = (course.feedback / "ada" / "lab2" / "01_neuron.html").read_text()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_points_waiting_for_hand_grading_say_so(written_answers, capsys):
    """`feedback` warns which notebooks still wait for hand grading; their pages
    say "not graded yet" with the points instead of a score of 0; once graded
    by hand, the page shows the score."""
    from test_cli import run_cli
    from utils.grader.gradebook import open_gradebook
    course = written_answers
    result = run_cli("feedback", "lab2", course=course.root)
    assert result.returncode == 0, result.stderr[-3000:]
    warning = result.stdout[:result.stdout.index("Wrote feedback")]
    assert "WARNING: 3 point(s) of 1 student(s) still wait for hand grading" in warning
    assert "  ada / 01_neuron: 3 point(s)" in warning
    text = _page_text(course)
    assert "Not graded yet — 3 points to be graded by hand." in text
    assert "Not graded yet: 3 points of this notebook's" in text
    assert "Written response (Score: 0.0 / 3.0)" not in text
    assert "Score: 0.0 / 3.0" not in text

    with open_gradebook(course) as gb:
        nb = gb.find_submission_notebook("01_neuron", "lab2", "ada")
        for grade in nb.grades:
            if grade.needs_manual_grade:     # as formgrader saves a hand-given score
                grade.manual_score = 2.0
                grade.needs_manual_grade = False
        gb.db.commit()
    from utils import cli
    outcomes = load_outcomes(course, "lab2")
    cli._warn_hand_grading(course, "lab2", outcomes)
    assert capsys.readouterr().out == ""
    grading.feedback(course, "lab2", outcomes, progress=lambda *_: None)
    text = _page_text(course)
    assert "Not graded yet" not in text and "Score: 2.0 / 3.0" in text
