"""The HTML class report and its terminal summary (utils/grader/class_report.py).

Most tests read the report of the ``class_view`` class (tests/conftest.py):
ada (solutions), blank, mistake-1, copier-a and copier-b (one answer copied
and renamed), late-lea (30 % off), ext-eve (late, but within an extension),
broken (a notebook cut off halfway) and rosa (on the roster, nothing handed in).
"""
import base64
import copy
import json
import re
from pathlib import Path

import pytest

from utils.course import Course, CourseError, make_scratch_course
from utils.grader import class_report
from utils.grader.class_report import ClassView, Exercise, normalise_message
from utils.grader.deadlines import Lateness
from utils.grader.report import GRADED, NOT_GRADED, NotebookScore, StudentRecord

KIT = Course(Path(__file__).resolve().parent.parent)

HOSTILE_ID = "<script>alert(1)</script>"
HOSTILE_TEXT = '"><img src=x onerror=alert(2)>'


def sections(page):
    """``{section id: its HTML}`` of a report."""
    return dict(re.findall(r'<section id="([\w-]+)">(.*?)</section>', page, re.S))


def plain(fragment):
    """The text of an HTML fragment, tags removed and spacing collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


@pytest.fixture(scope="module")
def view_data(class_view):
    """The records and look-alike pairs of the class, computed once."""
    from utils.grader import report, similarity
    return report.class_records(class_view, "lab1"), similarity.lookalikes(class_view, "lab1")


@pytest.fixture(scope="module")
def page(class_view, view_data, tmp_path_factory):
    """The report of the class, as written by write_report."""
    records, pairs = view_data
    path = class_report.write_report(class_view, "lab1",
                                     tmp_path_factory.mktemp("report") / "lab1.html",
                                     records=records, pairs=pairs)
    return path.read_text(encoding="utf-8")


def test_default_path_and_computed_inputs(class_view):
    path = class_report.write_report(class_view, "lab1")
    assert path == class_view.root / "reports" / "lab1.html"
    text = path.read_text(encoding="utf-8")
    assert "copier-a" in sections(text)["lookalikes"]      # pairs computed when not given
    assert "rosa" in sections(text)["missing"]              # records computed too
    again, said = class_report.write_with_summary(class_view, "lab1")
    assert again == path and path.read_text(encoding="utf-8").count("copier-a") > 1
    assert said.splitlines()[0] == "lab1: 9 enrolled, 7 graded, 1 not graded, 1 missing"
    assert said.endswith(f"report: {path}")


def test_header_counts_and_totals(page):
    header = plain(page.split("<nav>")[0])
    assert "9 enrolled 7 graded 1 not graded 1 missing" in header
    # totals of the 7 graded: 16 16 16 11 11 0 0 before, late-lea loses 4.8 after
    assert "after late penalties 9.31 11 16" in header
    assert "before late penalties 10 11 16" in header
    assert "out of 16 points" in header


def test_charts_are_embedded_pngs(page):
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    assert [alt for alt, _ in images] == ["histogram of the final totals",
                                         "pass rate per exercise"]
    for _, data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(page) < 400_000


def test_pass_rates(page):
    table = plain(sections(page)["exercises"])
    # 01: everyone graded but blank and mistake-1 passes (5 of 7); 02: copier-a
    # and copier-b did not hand it in, so only 5 count and 3 pass
    assert "01_single_neuron test_relu 2 71 % 5/7 1.43" in table
    assert "02_layer test_layer_forward_values 3 60 % 3/5 1.8" in table


def test_failure_messages_counted(page):
    failures = plain(sections(page)["failures"])
    assert ("CheckFailed: relu(Z) has the right shape but wrong values (# of # entries "
            "differ): expected # at index (#, #), got #. 1 mistake-1") in failures
    assert "CheckFailed: relu is not written yet: write it in its cell. 1 blank" in failures
    assert "01_single_neuron: test_relu: 2 failed, 2 different message(s)" in failures


def test_not_graded_and_flagged(page):
    flagged = plain(sections(page)["flagged"])
    assert "broken not graded 01_single_neuron.ipynb is not valid JSON" in flagged
    for student in ("ada", "late-lea", "copier-a", "rosa"):
        assert student not in flagged


def test_late_submissions(page):
    late = sections(page)["late"]
    rows = re.findall(r"<tr>(.*?)</tr>", late)
    assert [plain(r) for r in rows[1:]] == [
        "late-lea 2026-10-19 03:00 CEST (01:00 UTC) 2026-10-16 23:59 CEST (21:59 UTC) "
        "2 days 3 h 1 min 30 % 4.8"]
    assert "Extensions: ext-eve (until 2026-10-20 12:00 CEST (10:00 UTC))" in plain(late)
    assert "mistake-1" not in late                  # 6 minutes late: within the grace time
    assert "unknown" not in late                    # rosa submitted nothing: not "unknown"


def test_manual_grading_versions_time_missing(page, class_view):
    parts = sections(page)
    assert "Nothing waits for grading by hand" in parts["by-hand"]
    from utils.grader.report import current_test_versions
    versions = current_test_versions(class_view, "lab1")
    table = plain(parts["versions"])
    assert f"01_single_neuron {versions['01_single_neuron'][:8]} 7 0 0" in table
    assert f"02_layer {versions['02_layer'][:8]} 5 0 0" in table
    assert "Slowest" in parts["timing"] and "7 student(s)" in parts["timing"]
    assert plain(parts["missing"]).endswith("rosa Roster, Rosa rosa@example.org")


def test_lookalikes_side_by_side(page):
    pairs = sections(page)["lookalikes"]
    assert "never changes a score" in pairs
    assert "01_single_neuron: neurons — copier-a &amp; copier-b" in pairs
    assert pairs.count("<pre>") == 2
    assert "# my own loops" in pairs                 # copier-b's answer, as submitted


def test_self_contained(page):
    lowered = page.lower()
    for banned in ("<script", "http://", "https://", "<link", "@import", "url("):
        assert banned not in lowered
    assert "<style>" in page


def test_summary(class_view, view_data, tmp_path):
    records, pairs = view_data
    text = class_report.summary(class_view, "lab1", tmp_path / "r.html", records, pairs)
    lines = text.splitlines()
    assert 6 <= len(lines) <= 15
    assert lines[0] == "lab1: 9 enrolled, 7 graded, 1 not graded, 1 missing"
    assert "  scores: mean 9.3/16 (median 11, max 16) after late penalties; mean 10.0 before" \
        in lines
    assert "  late: 1 (late-lea; 4.8 point(s) taken)" in lines
    assert "  not graded or flagged: 1 (broken)" in lines
    assert "  missing: rosa" in lines
    assert ("  look-alike pairs: 1 (highest: copier-a & copier-b, 100 %, "
                         "01_single_neuron: neurons)") in lines
    assert lines[-1] == f"  report: {tmp_path / 'r.html'}"
    hardest = next(line for line in lines if line.startswith("  hardest: "))
    assert hardest.startswith("  hardest: 02_layer: test_layer_forward_columns (60 % pass)")


def test_student_data_is_escaped(class_view, view_data, tmp_path):
    records, _ = view_data
    records = copy.deepcopy(records)
    broken = next(r for r in records if r.student == "broken")
    broken.student = HOSTILE_ID + "\x1b[31m"
    broken.message = HOSTILE_TEXT
    rosa = next(r for r in records if r.student == "rosa")
    rosa.first_name, rosa.email = HOSTILE_TEXT, HOSTILE_ID
    pair = class_report_pair(students=(HOSTILE_ID, "x\x07y"),
                             code=("</pre><script>alert(3)</script>", HOSTILE_TEXT))
    path = class_report.write_report(class_view, "lab1", tmp_path / "r.html",
                                     records=records, pairs=[pair])
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "\x1b" not in page and "\x07" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sections(page)["flagged"]
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in sections(page)["flagged"]
    assert "&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in sections(page)["lookalikes"]
    assert "&lt;img src=x onerror=alert(2)&gt;" in sections(page)["missing"]
    text = class_report.summary(class_view, "lab1", records=records, pairs=[pair])
    assert "\x1b" not in text and "\x07" not in text
    assert "not graded or flagged: 1 (<script>alert(1)</script>?[31m)" in text


def class_report_pair(**fields):
    """A look-alike pair as the similarity module makes them."""
    from utils.grader.similarity import Pair
    values = dict(notebook="01_single_neuron", exercise="neurons", students=("a", "b"),
                  similarity=0.97, shared=40, code=("x = 1", "y = 1"))
    values.update(fields)
    return Pair(**values)


def test_hostile_failure_message_is_escaped(tmp_path):
    """A message the student's code raised reaches the page only as text."""
    graded = tmp_path / "01_single_neuron.ipynb"
    graded.write_text(json.dumps({"cells": [{
        "cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test_relu"}},
        "outputs": [{"output_type": "error", "ename": "TestFailed",
                     "evalue": f"CheckFailed: relu(Z) raised ValueError: {HOSTILE_TEXT}"}]}]}))
    said = class_report.failure_messages(graded, ["test_relu"])
    exercise = Exercise("01_single_neuron", "test_relu", 2.0, {"s": 0.0},
                        {said["test_relu"]: [HOSTILE_ID]})
    page = class_report.render(_view([_record("s", 0.0)], [exercise]))
    part = sections(page)["failures"]
    assert "<img" not in part and "<script" not in part
    assert "raised ValueError: &quot;&gt;&lt;img src=x onerror=alert(#)&gt;" in part


def test_normalise_message():
    assert normalise_message("CheckFailed: expected 0.1192 at index (0, 1), got -2e-05.\n"
                             "a second line") == "CheckFailed: expected # at index (#, #), got #."
    assert normalise_message("got [0.1 0.2 0.3] of dtype float64") == "got [#…] of dtype float64"
    assert normalise_message("") == "failed without an error message"
    assert normalise_message("\n\n  x\x1b[0m  y ") == "x?[0m y"
    long = normalise_message("word " * 100)
    assert len(long) == class_report.MESSAGE_CHARS and long.endswith("…")


@pytest.mark.parametrize("content", [
    "{not json", "[]", '{"cells": 5}', '{"cells": [7, {"metadata": 3}]}',
    '{"cells": [{"metadata": {"nbgrader": {"grade_id": ["test_relu"]}}}]}'])
def test_unreadable_graded_copies_give_no_message(tmp_path, content):
    path = tmp_path / "nb.ipynb"
    path.write_text(content)
    assert class_report.failure_messages(path, ["test_relu"]) == {}


def test_graded_copy_that_is_a_link_or_too_large(tmp_path, monkeypatch):
    real = tmp_path / "real.ipynb"
    real.write_text(json.dumps({"cells": [{"metadata": {"nbgrader": {"grade_id": "t"}},
                                           "outputs": "not a list"}]}))
    assert class_report.failure_messages(real, ["t"]) == {"t": "failed without an error message"}
    link = tmp_path / "link.ipynb"
    link.symlink_to(real)
    assert class_report.failure_messages(link, ["t"]) == {}
    monkeypatch.setattr(class_report, "MAX_NOTEBOOK_BYTES", 10)
    assert class_report.failure_messages(real, ["t"]) == {}


def _record(student, score, state=GRADED, lateness=None):
    return StudentRecord(student, "lab1", state, notebooks=[
        NotebookScore("01_single_neuron", score, 2.0, GRADED if state == GRADED else NOT_GRADED)],
        lateness=lateness)


def _view(records, exercises=(), pairs=()):
    import datetime as dt
    return ClassView(KIT, "lab1", list(records), list(pairs), list(exercises), {},
                     dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))


def test_empty_course_renders(tmp_path):
    """Nobody graded, no gradebook, no due date, no pairs: every section says so."""
    course = make_scratch_course(KIT, tmp_path / "course")
    course.keep_only("lab1", ["01_single_neuron"])
    path = class_report.write_report(course, "lab1", records=[], pairs=[])
    page = path.read_text(encoding="utf-8")
    parts = sections(page)
    assert len(parts) == 10
    assert "Nobody has been graded yet" in parts["histogram"]
    assert "No exercise has been graded yet" in parts["exercises"]
    assert "No test failed" in parts["failures"]
    assert "This assignment has no due date" in parts["late"]
    assert "No look-alike answers" in parts["lookalikes"]
    assert "Every enrolled student submitted" in parts["missing"]
    assert "data:image/png" not in page
    assert not (course.root / "gradebook.db").exists()
    text = class_report.summary(course, "lab1", records=[], pairs=[])
    assert text.splitlines() == ["lab1: 0 enrolled, 0 graded, 0 not graded, 0 missing",
                                 "  scores: nobody graded yet", "  late: no due date",
                                 "  look-alike pairs: none"]


def test_all_passed_and_unknown_submission_time():
    import datetime as dt
    due = dt.datetime(2026, 10, 16, 21, 59, tzinfo=dt.timezone.utc)
    exercise = Exercise("01_single_neuron", "test_relu", 2.0, {"a": 2.0, "b": 2.0})
    records = [_record("a", 2.0, lateness=Lateness(due)),
               _record("b", 2.0, lateness=Lateness(due, submitted=due))]
    page = class_report.render(_view(records, [exercise]))
    parts = sections(page)
    assert "No test failed" in parts["failures"]
    assert "100 % 2/2" in plain(parts["exercises"])
    assert "No submission was late" in parts["late"]
    assert "Submission time unknown" in parts["late"] and "a." in plain(parts["late"])
    assert "late: 0; submission time unknown: 1" in class_report.summary_of(
        _view(records, [exercise]))


def test_unknown_assignment(tmp_path):
    course = make_scratch_course(KIT, tmp_path / "course")
    with pytest.raises(CourseError, match="unknown assignment 'lab9'"):
        class_report.write_report(course, "lab9", records=[], pairs=[])
    assert not (course.root / "reports").exists()
