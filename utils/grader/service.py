"""The grading service: every submission graded within minutes, while the
assignment is open (``python -m utils serve``).

The same unit of work as ``autograde``, fed by a queue instead of a class::

    exchange inbound / LMS drop ──▶ arrivals ──▶ durable queue ──▶ coordinator ──▶ executor
        ──▶ result checked ──▶ gradebook ──▶ the submission's pages ──▶ student fetches them

- :mod:`~utils.grader.arrivals` finds new submissions and takes each in (its
  student is the owner of its folder, never the name written in it);
- :mod:`~utils.grader.submission_queue` keeps them across a killed service
  and says which goes next (fair between students, within the rate limit of
  :mod:`~utils.grader.live_settings`);
- :func:`utils.grader.coordinator.autograde` grades them exactly as after the
  deadline (the local pool, or Dask with ``--scheduler``), so the
  ``autograde`` an instructor runs later on the collected submissions gives
  the same scores, reusing what is stored;
- :mod:`~utils.grader.live_pages` writes each submission's pages into the
  exchange for its student alone: where it stands, then what the checks found;
- the class report (``reports/<assignment>.html``) is written again as
  results come in, and :func:`status_lines` tells the instructor how the
  queue stands (``python -m utils serve --status``).

The service runs as the grader account: the course folder, the gradebook
and the spool are its own, unreadable by students.  One service per course
(a lock file); a second one is refused.
"""
import contextlib
import datetime as dt
import fcntl
import os
import shutil
import signal
import time

from ..course import CourseError
from . import acl, deadlines, intake
from .arrivals import Arrivals, spool_name
from .live_pages import (Publisher, Standing, exercises, late_text, limited_text,
                         remaining_text, status_page, verdict_page)
from .live_settings import live_settings
from .submission_queue import FAILED, GRADED, GRADING, QUEUED, Queue, SUPERSEDED

#: The service's own folder in the course: queue, spool of taken-in copies,
#: the pages written, its lock.  Only the grader account can enter it.
FOLDER = "service"

#: Seconds a notebook is expected to take when nothing has been graded yet.
FIRST_GUESS_SECONDS = 60.0

#: Submissions handed to the coordinator at once, per job: a few keep the
#: workers and their kernels busy between batches (one per job grades a burst
#: at about half the speed of autograde), without making a student who
#: arrives during a batch wait long (the fairest are picked each time).
BATCH_PER_JOB = 3

#: How long ``--once`` waits for submission folders that are still changing.
ONCE_PATIENCE = 30.0


def service_folder(course):
    return course.root / FOLDER


class Service:
    """The grading service of one course."""

    def __init__(self, course, jobs=1, scheduler=None, security=None, log=print,
                 clock=time.time, sleep=time.sleep):
        self.course, self.jobs, self.scheduler, self.security = course, max(1, jobs), \
            scheduler, security
        self.log, self.clock, self.sleep = log, clock, sleep
        self.config = course.config()
        self.settings = live_settings(course, self.config)
        self.book = deadlines.deadlines_of(course, self.config)
        self.folder = service_folder(course)
        self.folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.folder, 0o700)
        self.queue = Queue(self.folder / "queue.sqlite", self.settings)
        self.released = [a for a in course.assignments() if (course.release / a).is_dir()]
        self.arrivals = Arrivals(course, self.config, self.queue, self.settings,
                                 self.folder / "spool", self.released, clock)
        self.publisher = Publisher(self.arrivals.inbound.parent / "feedback",
                                   self.folder / "pages")
        self._shown = {}             # (entry id, notebook) -> the standing last written
        self._report_due = {}        # assignment -> whether its report is out of date
        self._last_report = 0.0
        self._stop = False
        self._tests = {}
        self._unready = set()          # released assignments not yet generated (said once)
        self._median = None          # median grading time so far (None: not read yet)

    # -- running --------------------------------------------------------------------
    def run(self, once=False):
        """Grade until stopped (SIGTERM or SIGINT: after the batch being
        graded), or with ``once`` until nothing more can be graded now."""
        with self._lock():
            self._check_course_private()
            try:
                if not self.publisher.prepare():
                    self.log(f"  note: the exchange has no folder {self.publisher.folder.parent} "
                             "(nothing released through it yet): pages are kept in "
                             f"{self.publisher.archive} only")
            except acl.AclUnsupported as err:
                raise CourseError(str(err)) from None
            requeued, given_up = self.queue.recover(self.clock())
            if requeued:
                self.log(f"  {len(requeued)} submission(s) whose grading was cut short are "
                         "queued again")
            for number in given_up:
                entry = self.queue.entry(number)
                self.log(intake.safe_text(f"  FAILED: {entry.student} / {entry.assignment}: "
                                          f"{entry.note}", 500))
                self._pages(entry)
            self.log(f"Grading service for {', '.join(self.released) or 'no released assignment'}"
                     f": watching {self.arrivals.inbound} and {self.arrivals.drop}"
                     + (" (until the queue is empty)" if once else ""))
            previous = {signal.SIGTERM: signal.getsignal(signal.SIGTERM)}
            try:
                signal.signal(signal.SIGTERM, self._stop_soon)
            except ValueError:          # not the main thread: stopped by its caller
                previous = {}
            try:
                self._loop(once)
            except KeyboardInterrupt:
                self.log("Stopped.")
            finally:
                for number, handler in previous.items():
                    signal.signal(number, handler)
                self._report(force=True)

    def _stop_soon(self, *_):
        self._stop = True

    def _loop(self, once):
        began = self.clock()
        while not self._stop:
            self.take_in()
            batch = self.queue.next_batch(self.clock(), BATCH_PER_JOB * self.jobs,
                                          self.deadline_of)
            self.refresh_pages()
            if batch:
                self.grade(batch)
                continue
            self._report(force=True)
            # --once waits for folders still being written, but not for ever: a
            # folder its student keeps changing is taken in by a later run
            if once and (not self.arrivals.pending or self.clock() - began > ONCE_PATIENCE):
                return
            self.sleep(self.settings.poll_seconds)

    @contextlib.contextmanager
    def _lock(self):
        path = self.folder / "lock"
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "?"
            handle.close()
            raise CourseError(f"a grading service already runs for this course (process "
                              f"{intake.safe_text(other, 20)}): one is enough") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.close()

    def _check_course_private(self):
        """Refuse a course folder that other users may read or enter."""
        for path in (self.course.root, self.folder):
            mode = os.stat(path).st_mode
            if mode & 0o007:
                raise CourseError(
                    f"{path} can be entered by every user of this machine: students could read "
                    "source/, the gradebook, autograded/ and the service's queue. Make it "
                    f"private to the grader account first: chmod o-rwx {path}")

    # -- arrivals ------------------------------------------------------------------
    def take_in(self):
        """Queue what arrived; refuse (and report once) what cannot be taken.
        An assignment released since the service started is watched too, and
        tests released again are read again."""
        self.released = self._generated([a for a in self.course.assignments()
                                         if (self.course.release / a).is_dir()])
        self.arrivals.released = set(self.released)
        self._tests = {}
        arrivals, refusals = self.arrivals.look()
        now = self.clock()
        for refused in refusals:
            self.queue.refuse(refused.origin, refused.why, now)
            self.log(intake.safe_text(f"  REFUSED: {refused.why}", 600))
        for arrival in arrivals:
            entry = self.queue.add(arrival.assignment, arrival.student, arrival.received,
                                   arrival.origin, arrival.content_hash, arrival.secret,
                                   arrival.notebooks, self.tests(arrival.assignment), now,
                                   left_out_note(arrival.left_out))
            self._trim(entry)
            if entry.state == GRADED:
                self.log(f"  {intake.safe_text(entry.student)} / {entry.assignment}: the same "
                         "as the submission graded before; its result again")
                self._remove_copy(entry)
            else:
                self.log(intake.safe_text(
                    f"  received {entry.student} / {entry.assignment} "
                    f"({len(entry.notebooks)} notebook(s))"
                    + (f"; {entry.note}" if entry.note else ""), 1000))
            self._pages(entry)

    def _generated(self, released):
        """The assignments of ``released`` whose notebooks the gradebook knows
        (generated by ``python -m utils release``); each other one is said
        once, and its submissions wait in the exchange until it is."""
        from .gradebook import open_gradebook
        with open_gradebook(self.course) as gb:
            known = {a.name: {n.name for n in a.notebooks} for a in gb.assignments}
        ready = []
        for assignment in released:
            missing = set(self.course.notebooks(assignment)) - known.get(assignment, set())
            if not missing:
                ready.append(assignment)
                self._unready.discard(assignment)
            elif assignment not in self._unready:
                self._unready.add(assignment)
                self.log(f"  {assignment} is in release/ but the gradebook lacks "
                         f"{', '.join(sorted(missing))}: run python -m utils release "
                         f"{assignment}; its submissions wait until then")
        return ready

    def _trim(self, entry):
        """A student never has more copies waiting than can be graded in one
        window, plus the latest: older ones are replaced (the latest wins)."""
        waiting = self.queue.entries(QUEUED, entry.student, entry.assignment)
        keep = self.settings.per_window + 1
        if len(waiting) > keep:
            self.queue._supersede(waiting[:-keep], waiting[-1], self.clock())
            for old in waiting[:-keep]:
                self._remove_copy(old)
                self._pages(self.queue.entry(old.id))

    def tests(self, assignment):
        """The version of an assignment's tests, as the coordinator stamps results."""
        if assignment not in self._tests:
            from .gradebook import open_gradebook
            from .unit import MasterNotebook
            with open_gradebook(self.course) as gb:
                self._tests[assignment] = ",".join(
                    MasterNotebook.from_gradebook(gb, name, assignment).version
                    for name in self.course.notebooks(assignment))
        return self._tests[assignment]

    def deadline_of(self, assignment, student):
        due = self.book.due_date(assignment, student)[0]
        return None if due is None else due.timestamp() + 60 * self.book.grace_minutes

    # -- grading --------------------------------------------------------------------
    def grade(self, batch):
        """Grade a batch of queued submissions (different students)."""
        from . import coordinator
        by_assignment = {}
        for entry in batch:
            by_assignment.setdefault(entry.assignment, []).append(entry)
        for assignment, entries in by_assignment.items():
            started = []
            for entry in entries:
                if not self.queue.start(entry.id, self.clock()):
                    continue
                try:
                    self._put_in_place(entry)
                except (OSError, intake.IntakeError) as err:
                    self._fail(entry, f"its copy could not be put in place "
                                      f"({intake.safe_text(err, 200)})")
                    continue
                started.append(self.queue.entry(entry.id))
                self._pages(started[-1])
            if not started:
                continue
            mine = {e.student: e for e in started}
            try:
                coordinator.autograde(
                    self.course, assignment, [e.student for e in started],
                    jobs=min(self.jobs, sum(len(e.notebooks) for e in started)),
                    scheduler=self.scheduler, security=self.security,
                    progress=lambda line: self.log(intake.safe_text(line, 2000)),
                    on_outcome=lambda outcome: self._graded(mine[outcome.student], outcome))
            except CourseError as err:
                for entry in started:
                    self._fail(entry, f"the course cannot grade it: {err}")
            except Exception as err:  # noqa: BLE001 - the queue goes on; reported
                for entry in started:
                    self._fail(entry, f"grading crashed ({type(err).__name__}: "
                                      f"{intake.safe_text(err, 300)})")
            for entry in started:    # what the coordinator did not report on
                if self.queue.entry(entry.id).state == GRADING:
                    self._fail(entry, "grading ended without a result")

    def _put_in_place(self, entry):
        """The submission's copy becomes ``submitted/<student>/<assignment>``,
        with its time in the course's record, as ``collect`` leaves it."""
        copy = self.arrivals.spool / spool_name(entry.origin)
        if not copy.is_dir():
            raise intake.IntakeError("the service's copy of it is gone")
        target = self.course.submitted / entry.student / entry.assignment
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = target.with_name(f".{entry.assignment}.incoming")
        outgoing = target.with_name(f".{entry.assignment}.outgoing")
        for stale in (incoming, outgoing):
            if stale.exists():
                shutil.rmtree(stale)
        shutil.copytree(copy, incoming)
        if target.exists():
            target.rename(outgoing)
        incoming.rename(target)
        shutil.rmtree(outgoing, ignore_errors=True)
        source = deadlines.LMS if entry.origin.startswith("lms:") else deadlines.EXCHANGE
        deadlines.record_times(self.course, entry.assignment, {
            entry.student: dt.datetime.fromtimestamp(entry.received, dt.timezone.utc)}, source)

    def _graded(self, entry, outcome):
        """Store how one submission's grading ended and write its pages."""
        from .outcome import save_outcomes
        state = GRADED if outcome.graded else FAILED
        note = "" if outcome.graded else outcome.message
        self.queue.finish(entry.id, state, self.clock(), outcome.to_record(),
                          self.tests(entry.assignment), note)
        save_outcomes(self.course, [outcome])
        self._median = None
        self._report_due[entry.assignment] = True
        self._remove_copy(entry)
        done = self.queue.entry(entry.id)
        self.log(intake.safe_text(
            f"  {state}: {entry.student} / {entry.assignment}, "
            f"{_seconds(done.finished - done.received)} after it arrived"
            + (f" ({note})" if note else ""), 2000))
        self._pages(done, outcome)
        self._report()

    def _fail(self, entry, why):
        self.queue.finish(entry.id, FAILED, self.clock(), None, self.tests(entry.assignment), why)
        self._remove_copy(entry)
        self.log(intake.safe_text(f"  FAILED: {entry.student} / {entry.assignment}: {why}", 2000))
        self._pages(self.queue.entry(entry.id))

    def _remove_copy(self, entry):
        shutil.rmtree(self.arrivals.spool / spool_name(entry.origin), ignore_errors=True)

    # -- pages -------------------------------------------------------------------------
    def standing(self, entry):
        """Where a submission that is not graded stands, for its page."""
        now = self.clock()
        if entry.state == SUPERSEDED:
            later = self.queue.entry(entry.same_as) if entry.same_as else None
            when = f" (received {_clock(later.received, self.book.timezone)})" if later else ""
            return Standing("superseded", "A later submission of yours" + when + " replaced "
                            "this one before it was graded: that one is graded instead.")
        if entry.state == FAILED:
            return Standing("failed", "This submission could not be graded: "
                            f"{intake.safe_text(entry.note, 400)}. Your instructor is told; "
                            "fix it and submit again if you can.")
        typical = self._typical_seconds(entry)
        if entry.state == GRADING:
            return Standing("grading", "It is being graded now.",
                            (entry.started or now) + typical)
        allowance = self.queue.allowance(entry.student, entry.assignment, now)
        if allowance.left <= 0 and entry.counted:
            due = self.deadline_of(entry.assignment, entry.student)
            if not (due is not None and now >= due and entry.received <= due):
                eta = allowance.next_at if not allowance.exhausted else due
                return Standing("limited", limited_text(allowance, self.settings,
                                                        self.book.timezone, due), eta)
        ahead = self.queue.waiting_ahead(entry)
        text = ("It is next in line to be graded." if not ahead else
                f"It is waiting to be graded: {ahead} submission(s) of other students "
                "came before it.")
        return Standing("waiting", text, now + typical * (ahead // self.jobs + 1))

    def _typical_seconds(self, entry):
        """How long grading a submission takes: the median so far, or a guess."""
        if self._median is None:
            self._median = self.queue.summary()["grading_median"] or 0.0
        return self._median or FIRST_GUESS_SECONDS * max(1, len(entry.notebooks))

    def _pages(self, entry, outcome=None):
        """Write (again) the pages of one submission, if what they say changed."""
        now, zone = self.clock(), self.book.timezone
        if entry.state == GRADED:
            source = self.queue.entry(entry.same_as) if entry.same_as else entry
            problems = (source.outcome or {}).get("problems", {}) if outcome is None \
                else outcome.problems
            due = self.deadline_of(entry.assignment, entry.student)
            show = self.settings.shows(entry.assignment) if due is None or now < due \
                else "points"
            allowance = self.queue.allowance(entry.student, entry.assignment, now)
            remaining = remaining_text(allowance, self.settings, zone, now)
            late = late_text(deadlines.lateness(self.book, deadlines.read_times(self.course),
                                                entry.assignment, entry.student))
        for notebook in entry.notebooks:
            if entry.state == GRADED and notebook not in problems:
                key = ("graded", entry.same_as or entry.id)
                if self._shown.get((entry.id, notebook)) == key:
                    continue
                try:
                    found = exercises(self.course, entry.assignment, entry.student, notebook)
                except (OSError, ValueError) as err:
                    self.log(intake.safe_text(f"  no page for {entry.student} / {notebook}: "
                                              f"{err}", 400))
                    continue
                text = verdict_page(entry, notebook, found, show, remaining, late, zone, now,
                                    entry.note)
            else:
                if entry.state == GRADED:
                    standing = Standing("failed", "This notebook could not be graded: "
                                        f"{intake.safe_text(problems[notebook], 400)}")
                else:
                    standing = self.standing(entry)
                key = (standing.state, standing.text,
                       None if standing.eta is None else round(standing.eta / 60))
                if self._shown.get((entry.id, notebook)) == key:
                    continue
                text = status_page(entry, notebook, standing, zone, now)
            try:
                self.publisher.publish(entry, notebook, text)
            except (acl.UnknownUser, acl.AclUnsupported, OSError) as err:
                self.log(intake.safe_text(f"  the page of {entry.student} / {notebook} is kept "
                                          f"in {self.publisher.archive} only: {err}", 400))
            self._shown[(entry.id, notebook)] = key

    def refresh_pages(self):
        """Pages of waiting submissions say where they stand now; one that a
        later submission replaced says so, and its copy goes."""
        for state in (QUEUED, GRADING, SUPERSEDED):
            for entry in self.queue.entries(state):
                if state == SUPERSEDED:
                    if all(self._shown.get((entry.id, n)) for n in entry.notebooks):
                        continue
                    self._remove_copy(entry)
                self._pages(entry)

    # -- the instructor's view -------------------------------------------------------------
    def _report(self, force=False):
        """Write the class report of assignments with new results (at most every
        ``report_seconds`` while grading goes on)."""
        now = self.clock()
        due = [a for a, stale in self._report_due.items() if stale]
        if not due or (not force and now - self._last_report < self.settings.report_seconds):
            return
        from .class_report import write_with_summary
        for assignment in due:
            try:
                path, _ = write_with_summary(self.course, assignment)
                self.log(f"  class report: {path}")
            except Exception as err:  # noqa: BLE001 - grading goes on without it
                self.log(intake.safe_text(f"  WARNING: the class report of {assignment} could "
                                          f"not be written: {type(err).__name__}: {err}", 600))
            self._report_due[assignment] = False
        self._last_report = now
        self._write_status()

    def _write_status(self):
        status = self.folder / "status.txt"
        status.write_text("\n".join(status_lines(self.course, self.queue)) + "\n")


def left_out_note(lines):
    """The note kept with a submission whose folder held files not taken in."""
    return ("left out: " + "; ".join(lines)) if lines else ""


def _seconds(value):
    from .progress import duration
    return duration(max(0.0, value))


def _clock(seconds, zone):
    return deadlines.shown(dt.datetime.fromtimestamp(seconds, dt.timezone.utc), zone)


def status_lines(course, queue=None):
    """Lines for the instructor: per assignment, how many submissions wait,
    are being graded, graded and failed; the time from arrival to result
    (median and 95th percentile); each failure and refusal."""
    own = queue is None
    if own:
        path = service_folder(course) / "queue.sqlite"
        if not path.is_file():
            return ["The grading service has not run for this course yet."]
        queue = Queue(path, live_settings(course))
    try:
        lines = []
        for assignment in course.assignments():
            summary = queue.summary(assignment)
            counts = summary["counts"]
            if not any(counts.values()):
                continue
            p50, p95 = summary["latency_p50"], summary["latency_p95"]
            lines.append(
                f"{assignment}: {counts[QUEUED]} waiting, {counts[GRADING]} grading, "
                f"{counts[GRADED]} graded, {counts[FAILED]} failed, {counts[SUPERSEDED]} "
                "replaced by a later one"
                + (f"; arrival to result p50 {_seconds(p50)}, p95 {_seconds(p95)}"
                   if p50 is not None else ""))
            for entry in summary["failed"]:
                lines.append(intake.safe_text(f"  failed: {entry.student}: {entry.note}", 400))
        for refused in queue.refusals():
            if refused["why"] != "imported":
                lines.append(intake.safe_text(f"refused: {refused['why']}", 400))
        return lines or ["No submission has arrived yet."]
    finally:
        if own:
            queue.close()


def status_json(course):
    """The queue's state as data (for a page or a monitor)."""
    path = service_folder(course) / "queue.sqlite"
    if not path.is_file():
        return {}
    queue = Queue(path, live_settings(course))
    try:
        return {a: {k: v for k, v in queue.summary(a).items() if k != "failed"}
                for a in course.assignments()}
    finally:
        queue.close()


def pages_of(course, number):
    """The archived pages of queue entry ``number`` (for the instructor)."""
    folder = service_folder(course) / "pages" / str(number)
    return sorted(folder.glob("*.html")) if folder.is_dir() else []

