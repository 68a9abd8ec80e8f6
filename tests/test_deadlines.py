"""Due dates, extensions and late penalties: the settings, the rule, and the
time of a submission taken from the course's record, never from the
submission, through the kit's grading and through stock nbgrader."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from conftest import CLASS_VIEW_TIMES, small_course
from utils.grader.outcome import load_outcomes
from utils.course import CourseError
from utils.grader import deadlines
from utils.grader.deadlines import Deadlines, Lateness, lateness, shown, span
from utils.grader.report import gradebook
from utils.submissions import fill_answers, solution_answers, write_submission

UTC = dt.timezone.utc


def _book(**settings):
    config = Config()
    for name, value in settings.items():
        setattr(config.Deadlines, name, value)
    return Deadlines(config=config)


def test_a_date_without_a_zone_is_in_the_course_zone():
    """'2026-10-16 23:59' in Berlin (summer time) is 21:59 UTC; an explicit
    offset wins; an extension replaces the due date for its student only."""
    book = _book(due={"lab1": "2026-10-16 23:59"}, timezone="Europe/Berlin",
                 extensions={"lab1": {"bob": "2026-10-18T12:00+00:00"}})
    assert book.due_date("lab1") == (dt.datetime(2026, 10, 16, 21, 59, tzinfo=UTC), False)
    assert book.due_date("lab1", "ada") == book.due_date("lab1")
    assert book.due_date("lab1", "bob") == (dt.datetime(2026, 10, 18, 12, 0, tzinfo=UTC), True)
    assert book.due_date("hw1") == (None, False)


def test_penalty_per_started_day_after_the_grace_time_up_to_the_cap():
    book = _book(grace_minutes=10, penalty_per_day=0.1, max_penalty=0.25)
    assert book.penalty(9 * 60) == 0.0                    # within the grace time
    assert book.penalty(11 * 60) == pytest.approx(0.1)    # a minute past it: one day started
    assert book.penalty(86400 + 10 * 60) == pytest.approx(0.1)
    assert book.penalty(86400 + 11 * 60) == pytest.approx(0.2)
    assert book.penalty(30 * 86400) == pytest.approx(0.25)
    assert _book().penalty(10 ** 6) == 0.0                 # marked late, never penalised


@pytest.mark.parametrize("settings, says", [
    ({"due": {"lab9": "2026-10-16 23:59"}}, "'lab9', which is not an assignment"),
    ({"due": {"lab1": "16/10/2026"}}, "is not a date and time"),
    ({"extensions": {"lab1": {"bob": "2026-10-18 12:00"}}}, "gives it no due date"),
    ({"due": {"lab1": "2026-10-16 23:59"}, "extensions": {"lab1": {"bob": "soon"}}},
     "c.Deadlines.extensions['lab1']['bob']: 'soon' is not a date"),
])
def test_bad_settings_are_refused_with_what_is_wrong(settings, says):
    with pytest.raises(CourseError, match=None) as error:
        _book(**settings).check(["lab1", "lab2"])
    assert says in str(error.value)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(CourseError, match="unknown time zone 'Mars/Olympus'"):
        _book(timezone="Mars/Olympus")


def test_lateness_reads_the_record_and_describes_itself():
    book = _book(due={"lab1": "2026-10-16 23:59"}, penalty_per_day=0.1)
    times = {"lab1": {"lea": {"time": "2026-10-19T01:00:00+00:00", "source": "exchange"},
                      "odd": {"time": "yesterday", "source": "instructor"}}}
    late = lateness(book, times, "lab1", "lea")
    assert late.late and late.penalty == pytest.approx(0.3) and late.source == "exchange"
    assert late.describe() == "late by 2 days 1 h 1 min; due 2026-10-16 23:59 UTC; penalty 30%"
    for student in ("odd", "nobody"):              # an unreadable or absent time: never late
        unknown = lateness(book, times, "lab1", student)
        assert not unknown.late and unknown.submitted is None
        assert unknown.describe().startswith("submission time unknown")
    assert Lateness().describe() == "no due date"


def test_the_kit_grades_with_the_recorded_time_and_stores_the_penalty(class_view):
    """late-lea's own timestamp.txt says she was on time; the course's record
    says 2 days 3 h late: the gradebook holds the recorded time, and each of
    her notebooks loses 30 % of its score.  mistake-1 (within the grace time)
    and ext-eve (within her extension) lose nothing."""
    with gradebook(class_view) as gb:
        lea = gb.find_submission("lab1", "late-lea")
        assert lea.timestamp == dt.datetime.fromisoformat(
            CLASS_VIEW_TIMES["late-lea"]).replace(tzinfo=None)
        assert lea.notebooks and all(
            nb.late_submission_penalty == pytest.approx(0.3 * nb.score) and nb.score > 0
            for nb in lea.notebooks)
        eve = gb.find_submission("lab1", "ext-eve")
        assert eve.extension == dt.timedelta(days=3, hours=12, minutes=1)
        assert eve.total_seconds_late == 0
        for student in ("ext-eve", "mistake-1", "ada"):
            assert all(not nb.late_submission_penalty
                       for nb in gb.find_submission("lab1", student).notebooks), student
    outcomes = {o.student: o for o in load_outcomes(class_view, "lab1")}
    assert "late by 2 days 3 h" in outcomes["late-lea"].message
    assert "late" not in outcomes["ext-eve"].message


def test_stock_nbgrader_autograde_uses_the_record_and_the_same_penalty(tmp_path):
    """`nbgrader autograde` in the course folder: the submission's own
    timestamp.txt (on time) is replaced by the recorded time (a day late),
    and nbgrader's late-penalty step takes the course's 25 % a day."""
    course = small_course(tmp_path / "course", config=(
        'c.Deadlines.due = {"lab1": "2026-10-16 12:00"}\nc.Deadlines.penalty_per_day = 0.25'))
    notebook = course.notebooks("lab1")[0]
    answers = solution_answers(course.source / "lab1" / f"{notebook}.ipynb")
    write_submission(course, "lea", "lab1", {notebook: fill_answers(
        course.release / "lab1" / f"{notebook}.ipynb", answers)})
    (course.submitted / "lea" / "lab1" / "timestamp.txt").write_text(
        "2026-10-15 12:00:00.000000 UTC")
    recorded = dt.datetime(2026, 10, 17, 9, 0, tzinfo=UTC)
    deadlines.record_times(course, "lab1", {"lea": recorded}, deadlines.EXCHANGE)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "lab1"],
                          cwd=course.root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with gradebook(course) as gb:
        submission = gb.find_submission("lab1", "lea")
        assert submission.timestamp == recorded.replace(tzinfo=None)
        nb = submission.notebooks[0]
        assert nb.score > 0 and nb.late_submission_penalty == pytest.approx(0.25 * nb.score)


def test_times_are_shown_in_the_courses_zone_with_utc_beside_and_spans_to_the_minute():
    """A due date set as 23:59 in Berlin reads as 23:59 CEST (21:59 UTC), not as
    21:59 UTC alone; "late by" keeps its minutes."""
    book = _book(due={"lab1": "2026-10-16 23:59"}, timezone="Europe/Berlin")
    times = {"lab1": {"lea": {"time": "2026-10-18T07:05:00+00:00", "source": "exchange"}}}
    late = lateness(book, times, "lab1", "lea")
    assert late.describe() == \
        "late by 1 day 9 h 6 min; due 2026-10-16 23:59 CEST (21:59 UTC)"
    assert shown(dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "Europe/Berlin") == \
        "2026-12-02 00:30 CET (2026-12-01 23:30 UTC)"
    assert [span(s) for s in (20, 60 * 61, 86400 + 60 * 12, 2 * 86400 + 3 * 3600)] == \
        ["1 min", "1 h 1 min", "1 day 12 min", "2 days 3 h"]
