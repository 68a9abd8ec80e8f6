"""New submissions, found and taken in for the grading service.

Two places bring submissions while an assignment is open:

- the exchange's ``inbound/`` folder, where ``nbgrader submit`` (and the
  Assignments tab) writes ``<student>+<assignment>+<time>+<random>/``;
- the course's drop folder (:attr:`~utils.grader.live_settings.LiveGrading.drop_folder`),
  where an instructor or a script drops a learning platform's download,
  ``<drop folder>/<assignment>/<name>.zip``.

The rule: a submission folder is data, never a path to follow.  An inbound
folder is taken in only when it is complete (both files ``nbgrader submit``
writes last are there and nothing changed for :data:`SETTLE_SECONDS`), names
a released assignment of the course, and is owned by the system user whose
login name is the student it names (:mod:`utils.grader.ownership`); anything
else is refused once, with one line saying why, and never looked at again.
What is taken in is a private copy (:func:`utils.grader.intake.take_in`) in
the service's spool, with the time the course records for it (the time the
file system last changed it, as ``collect`` records), a hash of its content
(without the two receipt files, which differ on every submit: an identical
resubmission has the same hash) and its submission secret, which names its
pages in the exchange.  A download is imported as the course's ``import-zips``
imports it (:mod:`utils.grader.downloads`: every upload vetted, per student)
and each student's notebooks are taken in from there.
"""
import datetime as dt
import hashlib
import os
import pwd
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..course import CourseError
from . import deadlines, downloads, intake
from .feedback_release import SECRET, TIMESTAMP, ReceiptError, read_receipt
from .ownership import refusal

#: An inbound folder must be unchanged this long before it is taken in
#: (``nbgrader submit`` copies the notebooks, then writes its two files).
SETTLE_SECONDS = 2.0

#: What ``nbgrader submit`` names an inbound folder.
INBOUND_NAME = re.compile(r"^(?P<student>[^+]+)\+(?P<assignment>[^+]+)\+(?P<time>[^+]+)"
                          r"(?:\+(?P<random>[^+]+))?$")

#: The two files ``nbgrader submit`` writes last, different on every submit.
RECEIPT_FILES = (TIMESTAMP, SECRET)


@dataclass(frozen=True)
class Arrival:
    """A submission taken in: its private copy and what is known of it."""
    origin: str            # where it came from, unique: "exchange:<folder>", "lms:..."
    student: str
    assignment: str
    received: float        # epoch seconds, as the course records it
    source: str            # deadlines.EXCHANGE or deadlines.LMS
    copy: Path             # the private copy in the spool
    content_hash: str
    secret: str            # "" when it came without nbgrader's receipt files
    notebooks: tuple
    left_out: tuple        # lines about files that were not taken in


@dataclass(frozen=True)
class Refusal:
    """A submission that is not taken in, and why (for the instructor)."""
    origin: str
    student: str
    why: str


def spool_name(origin):
    """The spool folder name of a submission (its origin can be any text)."""
    return hashlib.sha256(origin.encode("utf-8", "replace")).hexdigest()[:24]


def submission_hash(folder):
    """A hash of a taken-in copy's files, the receipt files left out."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and relative not in RECEIPT_FILES:
            digest.update(relative.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def inbound_folder(course, config):
    """The exchange's inbound folder of the course."""
    from nbgrader.exchange.default import Exchange
    exchange = Exchange(config=config)
    return Path(exchange.root) / config.CourseDirectory.course_id / "inbound"


class Arrivals:
    """Finds and takes in new submissions for one course."""

    def __init__(self, course, config, queue, settings, spool, released, now=time.time):
        self.course, self.config, self.queue = course, config, queue
        self.settings, self.spool, self.now = settings, Path(spool), now
        self.released = set(released)          # assignments with a release
        self.inbound = inbound_folder(course, config)
        drop = Path(settings.drop_folder)
        self.drop = drop if drop.is_absolute() else course.root / drop
        self._sizes = {}                       # download -> size seen at the last look
        self.pending = 0                       # folders not complete at the last look

    # -- the exchange ---------------------------------------------------------
    def inbound_names(self):
        """The entries of the inbound folder, or none when it does not exist."""
        try:
            return sorted(os.listdir(self.inbound))
        except FileNotFoundError:
            return []

    def look(self):
        """``(arrivals, refusals)`` found since the last look."""
        arrivals, refusals = [], []
        self.pending = 0
        for name in self.inbound_names():
            origin = f"exchange:{name}"
            if self.queue.known(origin):
                continue
            try:
                found = self._inbound(name, origin)
            except (OSError, KeyError, intake.IntakeError) as err:   # KeyError: user gone
                found = Refusal(origin, "?", f"{intake.safe_text(name, 120)}: cannot be read "
                                            f"({intake.safe_text(err, 200)})")
            if isinstance(found, Refusal):
                refusals.append(found)
            elif found is None:
                self.pending += 1
            else:
                arrivals.append(found)
        for download in self._downloads():
            arrivals_, refusals_ = self._import(download)
            arrivals += arrivals_
            refusals += refusals_
        return arrivals, refusals

    def _inbound(self, name, origin):
        """An :class:`Arrival`, a :class:`Refusal`, or None (not complete yet)."""
        path = self.inbound / name
        shown = intake.safe_text(name, 120)
        match = INBOUND_NAME.match(name)
        if not match:
            return Refusal(origin, "?", f"{shown} is not named like a submission "
                                        "(student+assignment+time)")
        student, assignment = match["student"], match["assignment"]
        try:
            intake.check_name("student id", student)
        except intake.IntakeError as err:
            return Refusal(origin, "?", f"{shown}: {err}")
        if assignment not in self.released:
            return Refusal(origin, student, f"{shown}: {intake.safe_text(assignment, 60)} is not "
                                            "a released assignment of this course")
        info = os.lstat(path)
        if not os.path.isdir(path) or os.path.islink(path):
            return Refusal(origin, student, f"{shown} is not a folder")
        if self.settings.check_owner:
            refused = refusal(student, str(path))
            if refused is not None:
                return Refusal(origin, student, refused.describe())
        if not all(os.path.lexists(path / f) for f in RECEIPT_FILES):
            return None if self.now() - info.st_ctime < 3600 else Refusal(
                origin, student, f"{shown} holds no {' or '.join(RECEIPT_FILES)} an hour "
                                 "after it appeared (not written by nbgrader submit)")
        changed = deadlines.changed_time(path)
        if self.now() - changed.timestamp() < SETTLE_SECONDS:
            return None
        owner = pwd.getpwnam(student).pw_uid if self.settings.check_owner else None
        return self._take(origin, student, assignment, path, changed.timestamp(),
                          deadlines.EXCHANGE, owner)

    def _take(self, origin, student, assignment, path, received, source, owner=None):
        """Copy a submission into the spool and describe it (with ``owner``, a
        uid, the folder and its files must still be that user's as they are
        read: a folder swapped after the checks above is refused)."""
        target = self.spool / spool_name(origin)
        partial = target.with_name(target.name + ".partial")
        for stale in (partial, target):
            if stale.exists():
                shutil.rmtree(stale)
        self.spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            refused = intake.take_in(str(path), str(partial), owner)
        except intake.IntakeError as err:
            shutil.rmtree(partial, ignore_errors=True)
            return Refusal(origin, student, f"{intake.safe_text(path.name, 120)}: {err}")
        secret = ""
        try:
            receipt = read_receipt(str(partial))
            secret = receipt.secret if receipt is not None else ""
        except ReceiptError as err:
            refused["submission_secret.txt"] = f"its receipt files are damaged ({err})"
        notebooks = tuple(n for n in self.course.notebooks(assignment)
                          if (partial / f"{n}.ipynb").is_file())
        if not notebooks:
            shutil.rmtree(partial, ignore_errors=True)
            why = "; ".join(refused.values()) or "it holds none of the assignment's notebooks"
            return Refusal(origin, student, f"{intake.safe_text(path.name, 120)}: nothing to "
                                            f"grade: {intake.safe_text(why, 300)}")
        partial.rename(target)
        return Arrival(origin, student, assignment, received, source, target,
                       submission_hash(target), secret, notebooks,
                       tuple(intake.safe_text(w, 200) for w in refused.values()))

    # -- a learning platform's downloads ----------------------------------------
    def _downloads(self):
        """Downloads in the drop folder that stopped growing since the last look."""
        ready = []
        for assignment in sorted(self.released):
            folder = self.drop / assignment
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.zip")):
                if path.is_symlink() or not path.is_file():
                    continue
                info = path.stat()
                key = (assignment, path.name, info.st_size, info.st_mtime_ns)
                origin = f"lms:{assignment}/{path.name}:{info.st_size}:{info.st_mtime_ns}"
                if self.queue.known(origin):
                    continue
                if self._sizes.get(path) == key:
                    ready.append((assignment, path, origin))
                else:
                    self._sizes[path] = key
                    self.pending += 1
        return ready

    def _import(self, download):
        """Import one download (course's import-zips) and take each student in."""
        assignment, path, origin = download
        try:
            results = downloads.import_zips(self.course, assignment, path)
        except CourseError as err:
            self.queue.refuse(origin, str(err), self.now())
            return [], [Refusal(origin, "?", f"{intake.safe_text(path.name, 120)}: "
                                             f"{intake.safe_text(err, 300)}")]
        self.queue.refuse(origin, "imported", self.now())     # looked at: never again
        arrivals, refusals = [], []
        for result in results:
            student_origin = f"{origin}:{result.student}"
            if result.refused or not result.notebooks:
                refusals.append(Refusal(student_origin, result.student,
                                        intake.safe_text(result.refused or "no notebooks", 300)))
                continue
            received = (dt.datetime.fromisoformat(result.submitted).timestamp()
                        if result.submitted else self.now())
            found = self._take(student_origin, result.student, assignment,
                               self.course.submitted / result.student / assignment,
                               received, deadlines.LMS)
            (refusals if isinstance(found, Refusal) else arrivals).append(found)
        return arrivals, refusals
