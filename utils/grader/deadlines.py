"""Due dates, extensions and late penalties, and when each student submitted.

The settings live in ``nbgrader_config.py`` (:class:`Deadlines`)::

    c.Deadlines.due = {"lab1": "2026-10-16 23:59"}
    c.Deadlines.extensions = {"lab1": {"bob": "2026-10-18 23:59"}}
    c.Deadlines.timezone = "Europe/Berlin"
    c.Deadlines.grace_minutes = 10
    c.Deadlines.penalty_per_day = 0.1      # 10 % of the score per started day
    c.Deadlines.max_penalty = 0.5

When a student submitted is never read from the submission itself (its
``timestamp.txt`` is a file the student writes).  It comes from the course's
record, ``submission_times.json`` beside ``nbgrader_config.py``, which the
kit writes where the time is known to the instructor's side:

- ``nbgrader collect`` (:class:`RecordingCollect`): the latest time the
  file system changed any file of the submission in the exchange (its
  inode change time, which no user can set back);
- ``python -m utils import-zips``: the time the learning platform stamped on
  the student's files in its download.

An instructor may also write a time there by hand (source ``"instructor"``).
A submission with no recorded time is reported as such, never as late.

The penalty goes into nbgrader's gradebook as each notebook's late
submission penalty (:class:`PerDayPenalty`, nbgrader's own
``AssignLatePenalties`` step), so formgrader shows it too.
"""
import datetime as dt
import json
import math
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float, Unicode, validate
from traitlets.config import Configurable

from ..course import CourseError

#: The course's record of submission times, beside ``nbgrader_config.py``.
TIMES_FILE = "submission_times.json"

#: Where a recorded time came from.
EXCHANGE, LMS, INSTRUCTOR = "exchange", "lms download", "instructor"


class Deadlines(Configurable):
    """The course's due dates, extensions and late penalty (``c.Deadlines``)."""

    due = Dict(value_trait=Unicode(), help=(
        "Due date of each assignment, e.g. {'lab1': '2026-10-16 23:59'}; a time without "
        "a zone is in Deadlines.timezone.  An assignment without one is never late.")
    ).tag(config=True)
    extensions = Dict(value_trait=Dict(value_trait=Unicode()), help=(
        "A later due date for some students: {'lab1': {'bob': '2026-10-18 23:59'}}.")
    ).tag(config=True)
    timezone = Unicode("UTC", help=(
        "The zone of due dates written without one, and of the times a learning "
        "platform stamps on its downloads.")).tag(config=True)
    grace_minutes = Float(0.0, min=0.0, help=(
        "Minutes after the due date a submission still counts as on time (a clock a "
        "little off, an upload that took a while).")).tag(config=True)
    penalty_per_day = Float(0.0, min=0.0, max=1.0, help=(
        "Fraction of each notebook's score taken per started day late (0: late "
        "submissions are marked, never penalised).")).tag(config=True)
    max_penalty = Float(1.0, min=0.0, max=1.0, help=(
        "The largest fraction of a score a late submission can lose.")).tag(config=True)

    @validate("timezone")
    def _known_zone(self, proposal):
        try:
            ZoneInfo(proposal["value"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CourseError(f"c.Deadlines.timezone: unknown time zone "
                              f"{proposal['value']!r} (e.g. 'UTC', 'Europe/Berlin')") from None
        return proposal["value"]

    def parse(self, text, what):
        """A due date written in the config, as an aware UTC datetime."""
        try:
            when = dt.datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise CourseError(f"{what}: {text!r} is not a date and time like "
                              "'2026-10-16 23:59' or '2026-10-16T23:59+02:00'") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(self.timezone))
        return when.astimezone(dt.timezone.utc)

    def due_date(self, assignment, student=None):
        """``(due date, extended)`` of a student's assignment (``(None, False)``
        when the assignment has no due date)."""
        extension = self.extensions.get(assignment, {}).get(student) if student else None
        if extension:
            where = f"c.Deadlines.extensions[{assignment!r}][{student!r}]"
            return self.parse(extension, where), True
        if assignment in self.due:
            return self.parse(self.due[assignment], f"c.Deadlines.due[{assignment!r}]"), False
        return None, False

    def penalty(self, seconds_late):
        """The fraction of a score lost for ``seconds_late`` (after the grace)."""
        late = seconds_late - 60 * self.grace_minutes
        if late <= 0:
            return 0.0
        return min(self.max_penalty, self.penalty_per_day * math.ceil(late / 86400))

    def check(self, assignments):
        """Refuse settings that name an unknown assignment or a bad date, at once."""
        for name in list(self.due) + list(self.extensions):
            if name not in assignments:
                raise CourseError(f"c.Deadlines names {name!r}, which is not an assignment "
                                  f"of this course ({', '.join(assignments)})")
        for assignment in self.extensions:
            if self.extensions[assignment] and assignment not in self.due:
                raise CourseError(f"c.Deadlines.extensions gives {assignment!r} extensions "
                                  "but c.Deadlines.due gives it no due date")
            for student in self.extensions[assignment]:
                self.due_date(assignment, student)
        for assignment in self.due:
            self.due_date(assignment)


def deadlines_of(course, config=None):
    """The course's :class:`Deadlines`, read from its ``nbgrader_config.py``
    (or the ``config`` already loaded from it) and checked."""
    book = Deadlines(config=course.config() if config is None else config)
    book.check(course.assignments())
    return book


@dataclass
class Lateness:
    """When one student submitted one assignment, against its due date."""
    due: dt.datetime = None          # the student's due date (UTC), extension included
    extended: bool = False
    submitted: dt.datetime = None    # from the course's record (UTC), None if unknown
    source: str = ""                 # where that time came from
    seconds_late: float = 0.0        # after the grace time; 0 when on time or unknown
    penalty: float = 0.0             # fraction of each score taken
    zone: str = "UTC"                # the course's time zone, for showing times

    @property
    def late(self):
        return self.seconds_late > 0

    def describe(self):
        """``"late by 1 day 2 h 5 min; due 2026-10-16 23:59 CEST (21:59 UTC), extended;
        penalty 20 %"``."""
        if self.due is None:
            return "no due date"
        due = f"due {shown(self.due, self.zone)}" + (", extended" if self.extended else "")
        if self.submitted is None:
            return f"submission time unknown; {due}"
        if not self.late:
            return f"on time; {due}"
        text = f"late by {span(self.seconds_late)}; {due}"
        return text + (f"; penalty {self.penalty:.0%}" if self.penalty else "")


def span(seconds):
    """``"2 days 3 h 5 min"``, ``"1 day 12 min"``, ``"5 h 10 min"``, ``"12 min"``:
    to the minute (at least 1 min)."""
    minutes = max(1, round(seconds / 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day{'s' if days > 1 else ''}" if days else "",
             f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p)


def shown(moment, zone="UTC"):
    """An aware time as the course reads it: ``"2026-10-16 23:59 CEST (21:59 UTC)"``
    in the course's time ``zone`` with UTC beside it (with its date when that
    differs), or ``"2026-10-16 21:59 UTC"`` for a course in UTC."""
    utc = moment.astimezone(dt.timezone.utc)
    if zone in ("UTC", "Etc/UTC", ""):
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    local = moment.astimezone(ZoneInfo(zone))
    beside = f"{utc:%H:%M}" if utc.date() == local.date() else f"{utc:%Y-%m-%d %H:%M}"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({beside} UTC)"


def lateness(book, times, assignment, student):
    """The :class:`Lateness` of a submission, from the :class:`Deadlines`
    ``book`` and the recorded ``times`` (:func:`read_times`)."""
    due, extended = book.due_date(assignment, student)
    entry = times.get(assignment, {}).get(student) or {}
    submitted = _recorded(entry.get("time"))
    result = Lateness(due, extended, submitted, entry.get("source", "") if submitted else "",
                      zone=book.timezone)
    if due is not None and submitted is not None:
        seconds = (submitted - due).total_seconds()
        if seconds > 60 * book.grace_minutes:
            result.seconds_late = seconds
            result.penalty = book.penalty(seconds)
    return result


def _recorded(text):
    """A recorded time (ISO 8601, UTC if no zone) as an aware datetime, or None."""
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).astimezone(
        dt.timezone.utc)


def read_times(course):
    """``{assignment: {student: {"time": ISO, "source": ...}}}`` of the course's record."""
    path = course.root / TIMES_FILE
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CourseError(f"{path} cannot be read ({err}); fix or remove it") from None
    return record if isinstance(record, dict) else {}


def record_times(course, assignment, times, source):
    """Record ``{student: aware datetime}`` as submission times of ``assignment``."""
    record = read_times(course)
    entries = record.setdefault(assignment, {})
    for student, when in times.items():
        entries[student] = {"time": when.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
                            "source": source}
    path = course.root / TIMES_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def changed_time(folder):
    """The latest inode change time of a folder and everything in it (links
    not followed), as an aware UTC datetime: when the file system last
    changed it, which its owner cannot set back."""
    latest = os.lstat(folder).st_ctime
    for top, folders, files in os.walk(folder):
        for name in folders + files:
            latest = max(latest, os.lstat(os.path.join(top, name)).st_ctime)
    return dt.datetime.fromtimestamp(latest, dt.timezone.utc)


class RecordingCollect(ExchangeCollect):
    """nbgrader's collect, which also records when each collected submission
    reached the exchange (:func:`changed_time`) in the course's record."""

    def do_copy(self, src, dest):
        """Copy as nbgrader does, then record the submission's time."""
        super().do_copy(src, dest)
        from ..course import Course
        course = Course(self.coursedir.root)
        student = os.path.basename(os.path.dirname(os.path.normpath(dest)))
        record_times(course, self.coursedir.assignment_id, {student: changed_time(src)}, EXCHANGE)


def naive_utc(when):
    """An aware datetime as nbgrader's gradebook keeps times: naive, in UTC."""
    return None if when is None else when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def stamp_submission(gb, assignment, student, late, due):
    """Write a submission's row with the time the course recorded (never the
    submission's own ``timestamp.txt``) and the student's extension beyond
    the assignment's due date ``due``: nbgrader then knows how late it is."""
    extension = late.due - due if late.extended and due is not None else None
    return gb.update_or_create_submission(assignment, student, timestamp=naive_utc(late.submitted),
                                          extension=extension)


def stamp_from_record(coursedir, config, assignment, student):
    """:func:`stamp_submission` for stock nbgrader's autograde: the course's
    due date and recorded time of the student's submission into its gradebook."""
    from nbgrader.api import Gradebook
    from ..course import Course
    book = Deadlines(config=config)
    late = lateness(book, read_times(Course(coursedir.root)), assignment, student)
    due = book.due_date(assignment)[0]
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        gb.update_or_create_assignment(assignment, duedate=naive_utc(due))
        stamp_submission(gb, assignment, student, late, due)


def apply_penalty(course, assignment, student, late):
    """Set the late penalty of each of a student's graded notebooks in the
    gradebook: the :class:`Lateness` ``late``'s share of its score (none when
    on time), as nbgrader stores it, so formgrader shows it too."""
    from .gradebook import open_gradebook
    with open_gradebook(course) as gb:
        submission = gb.find_submission(assignment, student)
        for nb in submission.notebooks:
            share = late.penalty if late is not None else 0.0
            nb.late_submission_penalty = round(nb.score * share, 6) if share else None
        gb.db.commit()


class PerDayPenalty(LateSubmissionPlugin):
    """nbgrader's late-penalty step, with the course's :class:`Deadlines`:
    a share of the notebook's score per started day late, up to a cap."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        """Points taken from a notebook scoring ``score``."""
        book = Deadlines(parent=self)
        return round((score or 0.0) * book.penalty(total_seconds_late), 6)
