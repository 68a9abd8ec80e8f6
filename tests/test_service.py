"""The grading service, with real users and nbgrader's own exchange.

One scratch course of lab1's first notebook, released to a scratch exchange;
two unprivileged students fetch and submit with nbgrader's own commands, as
themselves (the shared environment of ``make shared-env``).  The service
(``python -m utils serve``) grades what they hand in; each student fetches
the page of their own submission and reads what the checks found, and
neither can read the other's page or anything of the course.  Then: a
submission forged in another student's name, the service killed while it
grades, and the rate limit (on a clock of the test's own, the service run in
this process).
"""
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from nbgrader.utils import notebook_hash

from test_exchange import (ANA, ASSIGNMENT, BEN, COURSE_ID, NOTEBOOK, _cat_as, _write_as,
                           make_trip)
from utils.course import KIT_ROOT
from utils.grader import acl
from utils.grader.feedback_release import SECRET
from utils.grader.report import cell_scores
from utils.submissions import fill_answers, solution_answers

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not subprocess.run(["which", "runuser"], capture_output=True).stdout,
    reason="needs root (to create the student users and run commands as them) and runuser")

LEAKY = "def relu(Z):\n    return np.maximum(0.01 * Z, Z)\n"
#: Two graded submissions per hour: the rate limit test needs few.
SETTINGS = "c.LiveGrading.per_window = 2\nc.LiveGrading.poll_seconds = 0.5\n"
PATIENCE = 600


@pytest.fixture(scope="module")
def live():
    base = Path(tempfile.mkdtemp(prefix="nn-kit-service-"))
    try:
        trip = make_trip(base, SETTINGS)
        trip.course.root.chmod(0o700)            # the course is the grader's alone
        yield trip
    finally:
        subprocess.run(["rm", "-rf", str(base)])


def hand_in(trip, user, changes=None):
    """``user`` writes the solutions (with ``changes``) and submits as themselves."""
    notebook = trip.course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    answers = {**solution_answers(notebook), **(changes or {})}
    _write_as(user, trip.assignment_folder(user) / f"{NOTEBOOK}.ipynb",
              fill_answers(trip.course.release / ASSIGNMENT / f"{NOTEBOOK}.ipynb", answers))
    trip.student(user, "submit", ASSIGNMENT)
    time.sleep(1.1)                   # nbgrader names submissions to the second


def serve(trip, *args, check=True):
    return trip.instructor(sys.executable, "-m", "utils", "serve", "--as-root", *args,
                           check=check)


def fetched_page(trip, user):
    """The newest page ``user`` fetched for the notebook (their latest submission)."""
    trip.student(user, "fetch_feedback", ASSIGNMENT)
    pages = sorted((trip.assignment_folder(user) / "feedback").glob(f"*/{NOTEBOOK}.html"))
    assert pages, f"{user} fetched no page"
    return pages[-1].read_text()


def latest_secret(trip, user):
    cache = Path(trip.homes[user]) / ".local" / "share" / "jupyter" / "nbgrader_cache"
    folders = sorted((cache / COURSE_ID).glob(f"{user}+{ASSIGNMENT}+*"))
    return (folders[-1] / SECRET).read_text()


def queue_rows(trip):
    with sqlite3.connect(trip.course.root / "service" / "queue.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM submissions ORDER BY id")]


def test_each_student_fetches_what_the_hidden_checks_found(live):
    hand_in(live, ANA, {"relu": LEAKY})
    hand_in(live, BEN)
    done = serve(live, "--once")
    said = done.stdout + done.stderr
    assert "Traceback" not in said
    ana, ben = fetched_page(live, ANA), fetched_page(live, BEN)
    # ana: test_relu failed, in the grader's words; the other checks passed; points shown
    assert re.search(r"test_relu</td><td><span class=\"fail\">failed", ana)
    assert re.search(r"test_neurons_values</td><td><span class=\"pass\">passed", ana)
    assert "4 of 5 checked exercises passed" in ana
    assert "0 / 2" in ana and "9 of 11 points" in ana
    assert "more submission(s) graded now" in ana
    assert "5 of 5 checked exercises passed" in ben and "class=\"fail\"" not in ben
    assert "11 of 11 points" in ben
    # the page holds nothing of the hidden tests
    source = (live.course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" in source and "HIDDEN" not in ana
    # each page in the exchange is its student's alone
    outbound = live.exchange / COURSE_ID / "feedback"
    for user, other in ((ANA, BEN), (BEN, ANA)):
        page = outbound / f"{notebook_hash(secret=latest_secret(live, user), notebook_id=NOTEBOOK)}.html"
        assert acl.readers(page) == (user,)
        assert _cat_as(user, page)[0] == 0
        code, out = _cat_as(other, page)
        assert code != 0 and out == b""
    # and nothing of the course is readable by a student
    for path in (live.course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb", live.course.gradebook,
                 live.course.root / "service" / "queue.sqlite",
                 live.course.autograded / ANA / ASSIGNMENT / f"{NOTEBOOK}.ipynb"):
        assert path.exists(), path
        assert _cat_as(BEN, path)[0] != 0, f"a student reads {path}"
    # the class so far, for the instructor
    report = (live.course.root / "reports" / f"{ASSIGNMENT}.html").read_text()
    assert ANA in report and BEN in report
    status = serve(live, "--status").stdout
    assert f"{ASSIGNMENT}: 0 waiting, 0 grading, 2 graded, 0 failed" in status
    # collect and autograde afterwards give the same scores, reusing what is stored
    graded = {u: cell_scores(live.course, ASSIGNMENT, u, NOTEBOOK) for u in (ANA, BEN)}
    live.nbgrader("collect", ASSIGNMENT)
    again = live.instructor(sys.executable, "-m", "utils", "autograde", ASSIGNMENT, check=False)
    assert "graded before from the same submission and tests" in again.stdout
    for user in (ANA, BEN):
        assert cell_scores(live.course, ASSIGNMENT, user, NOTEBOOK) == graded[user]


def test_a_submission_in_another_students_name_is_refused(live):
    before = len(queue_rows(live))
    live.student(BEN, "submit", ASSIGNMENT, "--student", ANA)
    done = serve(live, "--once")
    said = done.stdout + done.stderr
    assert f"owned by {BEN}" in said and "REFUSED" in said
    assert len(queue_rows(live)) == before
    status = serve(live, "--status").stdout
    assert "refused:" in status and f"owned by {BEN}" in status


def test_killing_the_service_loses_nothing_and_grades_each_once(live):
    hand_in(live, ANA)                               # ana's mistake mended
    hand_in(live, BEN, {"relu": LEAKY})              # ben's now wrong
    before = {r["id"] for r in queue_rows(live)}
    process = subprocess.Popen(
        [sys.executable, "-m", "utils", "serve", "--as-root"], cwd=live.course.root,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + PATIENCE
        while not any(r["state"] == "grading" for r in queue_rows(live)
                      if r["id"] not in before):
            assert process.poll() is None, process.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the service never started grading"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)       # the service and its workers
        process.wait()
    cut_short = [r for r in queue_rows(live) if r["id"] not in before and r["state"] == "grading"]
    assert cut_short
    serve(live, "--once")
    new = [r for r in queue_rows(live) if r["id"] not in before]
    assert sorted(r["student"] for r in new) == [ANA, BEN]
    assert all(r["state"] == "graded" for r in new), new
    for row in cut_short:
        assert queue_rows(live)[[r["id"] for r in queue_rows(live)].index(row["id"])][
            "attempts"] == 2
    # each result once, and the right one
    assert "4 of 5 checked exercises passed" in fetched_page(live, BEN)
    assert "5 of 5 checked exercises passed" in fetched_page(live, ANA)
    assert cell_scores(live.course, ASSIGNMENT, ANA, NOTEBOOK)["test_relu"][0] == 2
    assert cell_scores(live.course, ASSIGNMENT, BEN, NOTEBOOK)["test_relu"][0] == 0


def test_beyond_the_rate_limit_the_latest_waits_and_is_graded_when_the_window_opens(live):
    """ana has had two submissions graded this hour (the limit): two more wait,
    the first is replaced by the second, her page says when; an hour later
    (the service's clock) the latest is graded."""
    from utils.course import Course, prepare_environment
    from utils.grader.service import Service
    prepare_environment()
    wrong_sign = "def sigmoid(Z):\n    return 1 / (1 + np.exp(Z))\n"
    hand_in(live, ANA, {"relu": LEAKY, "sigmoid": wrong_sign})    # not graded before
    hand_in(live, ANA, {"sigmoid": wrong_sign})
    course = Course(live.course.root)
    lines = []
    Service(course, log=lines.append).run(once=True)
    page = fetched_page(live, ANA)
    assert "You have had 2 submissions graded in the last 60 minutes" in page, page
    assert "Expected by about" in page
    rows = [r for r in queue_rows(live) if r["student"] == ANA]
    assert [r["state"] for r in rows[-2:]] == ["superseded", "queued"]
    an_hour_on = lambda: time.time() + 3601              # noqa: E731
    Service(course, log=lines.append, clock=an_hour_on).run(once=True)
    rows = [r for r in queue_rows(live) if r["student"] == ANA]
    assert rows[-1]["state"] == "graded"
    page = fetched_page(live, ANA)
    assert re.search(r"test_sigmoid_values</td><td><span class=\"fail\">failed", page), page
    assert re.search(r"test_relu</td><td><span class=\"pass\">passed", page)


def test_an_assignment_released_but_not_generated_is_said_once_and_waits(tmp_path):
    """release/<a> copied in without `python -m utils release` (the gradebook
    has no notebooks for it): the service says so once and leaves its
    submissions waiting, instead of stopping at each one."""
    from utils.course import Course, make_scratch_course
    from utils.grader.service import Service
    course = make_scratch_course(Course(KIT_ROOT), tmp_path / "course")
    course.keep_only(ASSIGNMENT, [NOTEBOOK])
    (course.release / ASSIGNMENT).mkdir(parents=True)
    course.root.chmod(0o700)
    lines = []
    service = Service(course, log=lines.append)
    assert service._generated([ASSIGNMENT]) == []
    assert service._generated([ASSIGNMENT]) == []
    said = [line for line in lines if "gradebook lacks" in line]
    assert len(said) == 1 and f"python -m utils release {ASSIGNMENT}" in said[0], lines
    service.queue.close()
