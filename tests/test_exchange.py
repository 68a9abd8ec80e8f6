"""nbgrader's exchange, round trip, with real unprivileged users.

One scratch course with one small assignment, a scratch exchange (mode 1777,
as nbgrader expects) and two student users of the machine, whose login names
are their student ids.  The instructor (root, the kit's environment) releases,
collects, autogrades, writes and releases feedback; each student, in the
environment every user can run (``make shared-env``) and with their own home,
fetches, submits and fetches feedback, and cannot read the other's
feedback page in the exchange.  A student forging a submission in the
other's name is refused at collect, and a damaged submission_secret.txt or a
feedback folder without timestamp.txt costs only that student their feedback.
"""
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import notebook_hash

from conftest import KIT
from utils import grading
from utils.course import Course, make_scratch_course
from utils.grader import acl
from utils.grader.feedback_release import SECRET, TIMESTAMP
from utils.student_setup import student_config
from utils.submissions import fill_answers, solution_answers

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("useradd"),
    reason="needs root (to create the student users and run commands as them) and "
           "runuser/useradd")

ASSIGNMENT, NOTEBOOK = "lab1", "01_single_neuron"
COURSE_ID = "nn-from-scratch"
ANA, BEN = "nnkit-ana", "nnkit-ben"
#: The environment every user can run, as ``make shared-env`` builds it.
SHARED_BIN = KIT / "build" / "shared" / "venv" / "bin"
INSTRUCTOR_BIN = Path(sys.executable).parent


@dataclass
class Trip:
    """The scratch course, its exchange and the students' homes."""
    course: Course
    exchange: Path
    homes: dict

    def instructor(self, *args, check=True):
        """An instructor's command (root, the kit's environment) in the course."""
        return _run(list(args), cwd=self.course.root, check=check)

    def nbgrader(self, *args, check=True):
        return self.instructor(str(INSTRUCTOR_BIN / "nbgrader"), *args, check=check)

    def student(self, user, *args, check=True):
        """``nbgrader ARGS`` as the student ``user``, with their own home."""
        home = self.homes[user]
        env = ["env", "-i", f"HOME={home}", f"USER={user}", f"LOGNAME={user}",
               f"PATH={SHARED_BIN}:/usr/bin:/bin", "LANG=C.UTF-8"]
        return _run(["runuser", "-u", user, "--", *env, str(SHARED_BIN / "nbgrader"), *args],
                    cwd=home, check=check)

    def assignment_folder(self, user):
        return self.homes[user] / COURSE_ID / ASSIGNMENT

    def times(self):
        return json.loads((self.course.root / "submission_times.json").read_text())[ASSIGNMENT]


def _run(command, cwd, check=True):
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and done.returncode:
        pytest.fail(f"{' '.join(map(str, command[:6]))} failed ({done.returncode}):\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def _user(name):
    """The uid of the unprivileged system user ``name``, created if needed."""
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        name], check=True)
        return pwd.getpwnam(name).pw_uid


def _cat_as(user, path):
    """``cat path`` as ``user``: (return code, what it printed)."""
    done = subprocess.run(["runuser", "-u", user, "--", "cat", str(path)], capture_output=True,
                          timeout=60)
    return done.returncode, done.stdout


def _write_as(user, path, notebook):
    """Write a notebook into a student's folder as that student's own file."""
    nbformat.write(notebook, str(path))
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def shared_environment():
    """Build (once) the environment every user can run, or fail the test."""
    made = subprocess.run(["make", "-s", "shared-env"], cwd=KIT, capture_output=True,
                          text=True, timeout=1800)
    if made.returncode or not (SHARED_BIN / "nbgrader").exists():
        pytest.fail(f"make shared-env failed:\n{made.stdout[-2000:]}\n{made.stderr[-2000:]}")


def make_trip(base, config=""):
    """In the new folder ``base``: an exchange, both students' homes, and a
    scratch course of one notebook (with ``config`` added to its settings),
    released to the exchange and fetched by both students."""
    shared_environment()
    base.chmod(0o755)                     # students reach the exchange and their homes
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    homes = {}
    for user in (ANA, BEN):
        uid = _user(user)
        home = homes[user] = base / "home" / user
        home.mkdir(parents=True)
        (home / ".jupyter").mkdir()
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            student_config(COURSE_ID, exchange))
        for path in (home, home / ".jupyter", home / ".jupyter" / "nbgrader_config.py"):
            os.chown(path, uid, pwd.getpwnam(user).pw_gid)
        home.chmod(0o700)
    course = make_scratch_course(Course(KIT), base / "course")
    course.keep_only(ASSIGNMENT, [NOTEBOOK])
    with open(course.root / "nbgrader_config.py", "a") as handle:
        handle.write(f"c.Exchange.root = {str(exchange)!r}\n{config}\n")
    grading.release(course, ASSIGNMENT, validate=False, progress=lambda *_: None)
    trip = Trip(course, exchange, homes)
    trip.nbgrader("release_assignment", ASSIGNMENT)
    for user in (ANA, BEN):
        trip.student(user, "fetch_assignment", ASSIGNMENT)
    return trip


@pytest.fixture(scope="module")
def trip():
    """The course released and fetched by both students (the round trip's start)."""
    base = Path(tempfile.mkdtemp(prefix="nn-kit-exchange-"))
    try:
        yield make_trip(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_students_fetch_and_submit_and_collect_takes_the_resubmission(trip):
    """Both students fetch the release as themselves; ana hands in the blank
    release, then her solutions: collect (with the course's default update)
    takes the resubmission, with its new time."""
    for user in (ANA, BEN):
        fetched = trip.assignment_folder(user) / f"{NOTEBOOK}.ipynb"
        assert fetched.stat().st_uid == pwd.getpwnam(user).pw_uid
    trip.student(ANA, "submit", ASSIGNMENT)
    first_submit = time.monotonic()
    trip.student(BEN, "submit", ASSIGNMENT)
    trip.nbgrader("collect", ASSIGNMENT)
    first = trip.times()[ANA]["time"]
    assert set(trip.times()) == {ANA, BEN}

    time.sleep(max(0.0, 1.2 - (time.monotonic() - first_submit)))  # times in whole seconds
    solved = fill_answers(trip.course.release / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                          solution_answers(trip.course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb"))
    _write_as(ANA, trip.assignment_folder(ANA) / f"{NOTEBOOK}.ipynb", solved)
    trip.student(ANA, "submit", ASSIGNMENT)
    stamp = (trip.course.root / "submitted" / ANA / ASSIGNMENT / TIMESTAMP).read_text()
    collected = trip.nbgrader("collect", ASSIGNMENT)
    assert "Updating submission" in collected.stdout + collected.stderr
    assert trip.times()[ANA]["time"] > first
    assert (trip.course.root / "submitted" / ANA / ASSIGNMENT / TIMESTAMP).read_text() != stamp
    assert (trip.course.root / "submitted" / ANA / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes() \
        == (trip.assignment_folder(ANA) / f"{NOTEBOOK}.ipynb").read_bytes()


def test_a_submission_forged_in_another_students_name_is_refused(trip):
    """ben submits in ana's name (the inbound folder is writable by all):
    collect refuses that folder, names student, folder and owner, and still
    collects everyone's own submissions."""
    before = (trip.course.root / "submitted" / ANA / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes()
    trip.student(BEN, "submit", ASSIGNMENT, "--student", ANA)
    forged = [p.name for p in (trip.exchange / COURSE_ID / "inbound").iterdir()
              if p.name.startswith(f"{ANA}+") and p.stat().st_uid == pwd.getpwnam(BEN).pw_uid]
    assert len(forged) == 1
    done = trip.nbgrader("collect", ASSIGNMENT, check=False)
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert forged[0] in said and f"owned by {BEN}" in said and "not collected" in said
    assert "Traceback" not in said
    # ana's own newest submission stays the one collected; ben's is untouched
    after = (trip.course.root / "submitted" / ANA / ASSIGNMENT / f"{NOTEBOOK}.ipynb").read_bytes()
    assert after == before
    assert (trip.course.root / "submitted" / BEN / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()


def test_feedback_round_trip_reaches_each_student(trip):
    """autograde and feedback (the kit's commands), the course's
    release_feedback, and each student's fetch_feedback finds their own page;
    in the exchange, each page is readable by its student alone (the other
    student's ``cat`` is refused)."""
    trip.instructor(sys.executable, "-m", "utils", "autograde", ASSIGNMENT)
    trip.instructor(sys.executable, "-m", "utils", "feedback", ASSIGNMENT)
    trip.nbgrader("release_feedback", ASSIGNMENT)
    for user in (ANA, BEN):
        folder = trip.course.feedback / user / ASSIGNMENT
        for name in (TIMESTAMP, SECRET):     # as nbgrader submit wrote them
            assert (folder / name).read_bytes() == \
                (trip.course.root / "submitted" / user / ASSIGNMENT / name).read_bytes()
    pages = {}
    for user in (ANA, BEN):
        trip.student(user, "fetch_feedback", ASSIGNMENT)
        fetched = sorted((trip.assignment_folder(user) / "feedback").glob(f"*/{NOTEBOOK}.html"))
        assert len(fetched) == 1, fetched      # ana: only her graded (second) submission
        stamp = (trip.course.root / "submitted" / user / ASSIGNMENT / TIMESTAMP).read_text()
        assert fetched[0].parent.name == stamp
        pages[user] = fetched[0].read_bytes()
        assert pages[user] == (trip.course.feedback / user / ASSIGNMENT
                               / f"{NOTEBOOK}.html").read_bytes()
    assert pages[ANA] != pages[BEN]

    # each page in the exchange is readable by its student alone
    outbound = trip.exchange / COURSE_ID / "feedback"
    assert stat.S_IMODE(outbound.stat().st_mode) == 0o711        # traversable, not listable
    released = sorted(outbound.iterdir())
    assert len(released) == 2, released
    for page in released:
        assert page.stat().st_mode & stat.S_IRWXO == 0
        assert not acl.readable_by_others(page)            # nor the group, by mode or ACL
    for user, other in ((ANA, BEN), (BEN, ANA)):
        secret = (trip.course.feedback / user / ASSIGNMENT / SECRET).read_text()
        page = outbound / f"{notebook_hash(secret=secret, notebook_id=NOTEBOOK)}.html"
        assert acl.readers(page) == (user,)
        assert _cat_as(user, page) == (0, pages[user])
        code, out = _cat_as(other, page)
        assert code != 0 and out == b"", f"{other} reads {user}'s feedback"


def test_damaged_exchange_files_cost_one_student_their_feedback(trip):
    """A damaged submission_secret.txt fails that student's feedback alone,
    and a feedback folder without timestamp.txt is skipped by release_feedback
    while the rest of the class is released."""
    graded = trip.course.autograded / BEN / ASSIGNMENT
    (graded / SECRET).write_text("not a secret\n")
    done = trip.instructor(sys.executable, "-m", "utils", "feedback", ASSIGNMENT, check=False)
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in said, said
    assert f"feedback for {BEN} / {ASSIGNMENT}: no feedback for {BEN}/{ASSIGNMENT}" in said, said
    assert f"{SECRET} is damaged" in said, said
    assert not (trip.course.feedback / BEN / ASSIGNMENT).exists()
    assert (trip.course.feedback / ANA / ASSIGNMENT / SECRET).exists()

    # a page without the exchange files (as an older feedback step left them)
    stale = trip.course.feedback / BEN / ASSIGNMENT
    stale.mkdir(parents=True)
    (stale / f"{NOTEBOOK}.html").write_text("<html></html>")
    outbound = trip.exchange / COURSE_ID / "feedback"
    shutil.rmtree(outbound)
    done = trip.nbgrader("release_feedback", ASSIGNMENT, check=False)
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in said
    assert BEN in said and TIMESTAMP in said
    assert len(list(outbound.glob("*.html"))) == 1           # ana's page is released
