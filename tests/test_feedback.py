"""Feedback files: what failed and why, never the hidden tests or their values."""
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from test_release import HIDDEN, KIT_COURSE, _secret_lines
from utils import grading
from utils.feedback import RedactHiddenTests, failing_line, redact

SOURCE = '''"""checks f"""
check_close("f(1)", f(1), 2.0)
### BEGIN HIDDEN TESTS
secret = 123.456
check_close("f(x) for a fresh x", f(7), secret)
### END HIDDEN TESTS
passed()'''


def _graded_cell(line, message):
    cell = new_code_cell(SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t",
                                 "points": 1, "locked": True, "schema_version": 3}
    cell.outputs = [new_output("error", ename="CheckFailed", evalue=message, traceback=[
        "\x1b[31m---\x1b[39m", f"\x1b[36mCell\x1b[39m \x1b[32mIn[3]\x1b[39m\x1b[32m, line {line}\x1b[39m\n"
        "      4 secret = 123.456\n----> 5 check_close(...)", "CheckFailed: " + message])]
    return cell


def test_hidden_failure_keeps_the_subject_and_drops_the_value():
    cell, _ = RedactHiddenTests().preprocess_cell(
        _graded_cell(5, "f(x) for a fresh x should be 123.456, but it is 3.\nhint from the reference"),
        {}, 0)
    text = cell.source + str(cell.outputs)
    assert "123.456" not in text and "secret" not in text and "hint from" not in text
    assert "A hidden test failed: f(x) for a fresh x" in cell.outputs[0].evalue
    assert "(hidden tests ran here" in cell.source


def test_visible_failure_keeps_its_message_but_not_the_source_lines():
    cell, _ = RedactHiddenTests().preprocess_cell(
        _graded_cell(2, "f(1) should be 2, but it is 3."), {}, 0)
    assert cell.outputs[0].evalue == "f(1) should be 2, but it is 3."
    assert cell.outputs[0].traceback == ["CheckFailed: f(1) should be 2, but it is 3."]
    assert "secret" not in str(cell)


def test_redact_and_failing_line():
    assert failing_line(["x", "\x1b[36mCell\x1b[39m In[12], line 17\n"]) == 17
    assert failing_line(["no cell here"]) is None
    assert "0.5" not in redact("s has the right shape but wrong values: expected 0.5 at index (0,), got 1.")


def test_feedback_of_the_graded_class_holds_no_hidden_test(graded):
    """Every feedback file of the class is free of hidden-test lines and markers."""
    course = graded.course
    for assignment in course.assignments():
        outcomes = grading.load_outcomes(course, assignment)
        folders = grading.feedback(course, assignment, outcomes, jobs=grading.default_jobs(),
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
