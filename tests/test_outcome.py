"""The typed record of one submission (utils/grader/outcome.py): its remark text
is rendered from its fields, it goes through grading_status.json whole, an
older record keeps its text, and the class report's flags come from the
fields, never from the text."""
import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from utils.course import Course
from utils.grader import class_report, coordinator, exports
from utils.grader.class_report import ClassView
from utils.grader.deadlines import Lateness
from utils.grader.outcome import GRADED, NOT_GRADED, Late, Outcome, load_outcomes, save_outcomes
from utils.grader import report
from utils.grader.report import NOT_SUBMITTED, NotebookRow, NotebookScore, StudentRecord

pytestmark = pytest.mark.fast

KIT = Course(Path(__file__).resolve().parent.parent)


def _full():
    """A graded outcome with something in every field."""
    return Outcome(
        "ada", "lab1", GRADED,
        problems={"03_network": "03_network: not graded: the kernel died"},
        missing=["04_training"],
        left_out={"notes/big.bin": "notes/big.bin: larger than 20 MB"},
        unreadable=[],
        stopped=[("02_layer", 7, "import os")],
        tampering=[("01_single_neuron", (4, 9), "np.dot was replaced"),
                   ("02_layer", (12,), "the warning filters were changed")],
        changed=[("01_single_neuron", ("test_relu", "intro"))],
        late=Late("late by 2 days 3 h 1 min; due 2026-10-16 21:59 UTC; penalty 30 %",
                  0.3, 183660.0),
        seconds=12.5,
        content_hashes={"01_single_neuron": "0123456789abcdef", "02_layer": "fedcba9876543210"})


def test_the_remark_is_rendered_from_the_fields():
    """The same one line the terminal has always printed: problems, files left
    out, per notebook the stopped cells then tampering, changed cells, what
    was not submitted, the lateness."""
    assert _full().remarks() == [
        "03_network: not graded: the kernel died",
        "left out: notes/big.bin: larger than 20 MB",
        "TAMPERING in 01_single_neuron, cells 4, 9: np.dot was replaced",
        "02_layer: cell 7 ('import os') stopped the kernel",
        "TAMPERING in 02_layer, cell 12: the warning filters were changed",
        "01_single_neuron: changed locked cell(s) test_relu, intro (graded in the "
        "instructor's version)",
        "not submitted (scored 0): 04_training",
        "late by 2 days 3 h 1 min; due 2026-10-16 21:59 UTC; penalty 30 %",
    ]
    assert _full().message == "; ".join(_full().remarks())
    assert Outcome("bo", "lab1", GRADED).message == ""
    assert Outcome("bo", "lab1", NOT_GRADED, "01_single_neuron.ipynb is empty",
                   left_out={"x": "x: a link"}).message == "01_single_neuron.ipynb is empty"
    many = Outcome("bo", "lab1", GRADED, missing=["a", "b", "c", "d"])
    assert many.message == "not submitted (scored 0): a, b and 2 more"
    failed = Outcome("bo", "lab1", GRADED, feedback_error="nbgrader failed")
    assert failed.message == "no feedback: nbgrader failed"


def test_late_only_when_late():
    due = dt.datetime(2026, 10, 16, 21, 59, tzinfo=dt.timezone.utc)
    assert Late.of(None) is None
    assert Late.of(Lateness(due, submitted=due)) is None
    late = Lateness(due, submitted=due + dt.timedelta(hours=2), seconds_late=7200, penalty=0.1)
    assert Late.of(late) == Late(late.describe(), 0.1, 7200.0)
    assert Late.of(late).description.startswith("late by 2 h; due 2026-10-16 21:59 UTC")


def test_an_outcome_goes_through_its_record_whole():
    outcome = _full()
    record = json.loads(json.dumps(outcome.to_record()))
    assert record["message"] == outcome.message           # for a person reading the file
    assert Outcome.from_record("ada", "lab1", record) == outcome
    failed = Outcome("bo", "lab1", NOT_GRADED, "the submission folder cannot be read",
                     problems={"01_single_neuron": "01_single_neuron.ipynb is empty"},
                     unreadable=["01_single_neuron"], left_out={"a.bin": "a.bin: a link"})
    again = Outcome.from_record("bo", "lab1", json.loads(json.dumps(failed.to_record())))
    assert again == failed and again.message == failed.message


def test_an_older_record_keeps_its_text():
    """Records written before the fields existed: status, message, problems,
    missing and seconds only."""
    graded = {"status": "graded", "message": "01_single_neuron: cell 3 ('x = 1') stopped "
              "the kernel; not submitted (scored 0): 02_layer",
              "problems": {}, "missing": ["02_layer"], "seconds": 4.2}
    outcome = Outcome.from_record("ada", "lab1", graded)
    assert outcome.graded and outcome.notes == [graded["message"]]
    assert outcome.message == graded["message"]           # said once, not twice
    assert outcome.missing == ["02_layer"] and outcome.seconds == 4.2 and outcome.reason == ""
    failed = {"status": "not graded", "message": "01_single_neuron.ipynb is not valid JSON",
              "problems": {"01_single_neuron": "01_single_neuron.ipynb is not valid JSON"},
              "missing": []}
    outcome = Outcome.from_record("bo", "lab1", failed)
    assert not outcome.graded and outcome.reason == failed["message"]
    assert outcome.message == failed["message"] and outcome.problems == failed["problems"]
    assert outcome.seconds == 0.0
    # and again through the new layout, nothing lost
    assert Outcome.from_record("bo", "lab1", outcome.to_record()) == outcome


def test_the_status_file_holds_old_and_new_records(tmp_path):
    course = SimpleNamespace(root=tmp_path)
    (tmp_path / "grading_status.json").write_text(json.dumps({"lab1": {
        "old": {"status": "graded", "message": "an old remark", "problems": {},
                "missing": [], "seconds": 1.0}}}))
    save_outcomes(course, [_full()])
    loaded = {o.student: o for o in load_outcomes(course, "lab1")}
    assert loaded["ada"] == _full()
    assert loaded["old"].message == "an old remark"
    assert load_outcomes(course, "lab2") == []


def _record(outcome, state=GRADED):
    status = GRADED if state == GRADED else NOT_GRADED
    return StudentRecord(outcome.student, "lab1", state, message=outcome.message,
                         outcome=outcome,
                         notebooks=[NotebookScore("01_single_neuron", 2.0, 2.0, status)])


def _flagged(records):
    view = ClassView(KIT, "lab1", records, [], [], {},
                     dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    page = class_report.render(view)
    section = re.search(r'<section id="flagged">(.*?)</section>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", section).split()), class_report.summary_of(view)


def test_the_class_reports_flags_come_from_the_fields():
    sly = _record(Outcome("sly", "lab1", GRADED,
                          tampering=[("01_single_neuron", (5,), "np.sum")]))
    sly.message = "all fine"         # whatever the text says, the field flags it
    shown, summary = _flagged([sly])
    assert "sly replaced what the tests use (tampering) all fine" in shown
    assert "not graded or flagged: 1 (sly)" in summary

    words = Outcome("wordy", "lab1", GRADED,
                    notes=["TAMPERING in 01_single_neuron, cell 5: stopped the kernel; "
                           "changed locked cell(s) x; left out: y; not valid JSON"])
    shown, summary = _flagged([_record(words)])
    assert "wordy" not in shown and "nothing was flagged" in shown
    assert "flagged" not in summary

    every = Outcome("every", "lab1", GRADED, left_out={"a": "a: a link"},
                    unreadable=["02_layer"], stopped=[("01_single_neuron", 3, "x")],
                    changed=[("01_single_neuron", ("intro",))])
    shown, _ = _flagged([_record(every)])
    assert ("every changed locked cells, a cell stopped the kernel, a file was left out, "
            "a notebook could not be read") in shown


def test_exports_say_why_from_the_reason():
    failed = Outcome("bo", "lab1", NOT_GRADED, "01_single_neuron.ipynb is empty")
    record = _record(failed, NOT_GRADED)
    record.message = "shown text that the exports do not read"
    assert exports.export_result(record).state == "not graded: 01_single_neuron.ipynb is empty"


def test_a_notebooks_status_is_rendered_from_its_fields():
    """The status texts shown and exported, as they have always read."""
    assert NotebookRow("01", 5.0, 8.0, GRADED, by_hand=3.0).status == \
        "graded, 3 point(s) to grade by hand"
    assert NotebookRow("01", 8.0, 8.0, GRADED).status == "graded"
    assert NotebookRow("01", 0.0, 8.0, NOT_SUBMITTED).status == "not submitted"
    assert NotebookRow("01", None, 8.0, NOT_GRADED, reason="the kernel died").status == \
        "not graded: the kernel died"
    score = NotebookScore("01", 5.0, 8.0, GRADED, 1.5, reason="")
    assert score.status == "graded, 1.5 point(s) to grade by hand"
    assert NotebookScore("01", None, 8.0, NOT_GRADED, reason="x").status == "not graded: x"


def test_the_points_line_is_summed_from_the_fields(monkeypatch):
    """The progress line's points come from the rows' numbers: a reason that
    reads like points to grade by hand is only a reason."""
    rows = [NotebookRow("01", 5.0, 8.0, GRADED, by_hand=3.0),
            NotebookRow("02", 10.0, 10.0, GRADED),
            NotebookRow("03", None, 4.0, NOT_GRADED,
                        reason="its file says: graded, 9 point(s) to grade by hand")]
    monkeypatch.setattr(report, "notebook_rows", lambda course, outcome: rows)
    outcome = Outcome("ada", "lab1", GRADED)
    assert coordinator._points(None, outcome) == ", 15/22 points (3 to grade by hand)"
    assert coordinator.points_summary(rows[1:]) == ", 10/14 points"


def test_the_class_report_and_exports_read_a_notebooks_state_not_its_status():
    """A notebook not graded, whose reason reads like a status, is not graded."""
    odd = "graded: see the log"
    record = _record(Outcome("bo", "lab1", GRADED))
    record.notebooks = [NotebookScore("01_single_neuron", None, 2.0, NOT_GRADED, reason=odd)]
    assert exports.export_result(record).state == f"not graded: 01_single_neuron: {odd}"
    assert class_report._flags(record) == ["a notebook was not graded"]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    from conftest import small_course
    return small_course(tmp_path_factory.mktemp("outcome") / "course")


def test_autograde_hands_each_final_outcome_over(released):
    """A submission that cannot be graded starts no kernel; its outcome is
    handed to on_outcome as soon as it is final, and is the one returned."""
    folder = released.submitted / "broken" / "lab1"
    folder.mkdir(parents=True)
    (folder / "01_single_neuron.ipynb").write_text('{"cells": [')
    seen, lines = [], []
    outcomes = coordinator.autograde(released, "lab1", ["broken"], progress=lines.append,
                                     on_outcome=seen.append)
    assert seen == outcomes and len(seen) == 1
    outcome = seen[0]
    assert not outcome.graded and outcome.unreadable == ["01_single_neuron"]
    assert "not valid JSON" in outcome.reason and outcome.content_hashes == {}
    assert lines[-1].startswith("  [1/1] broken / lab1: not graded (01_single_neuron.ipynb "
                                "is not valid JSON")
