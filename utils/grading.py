"""Feedback for the graded outcomes, each student's written in its own process.

Autograding is the coordinator's (:mod:`utils.grader.coordinator`), which
gives one :class:`utils.grader.outcome.Outcome` per submission; feedback is
written for the graded outcomes through nbgrader's own Python API.  A
problem with one student's feedback never stops the rest of the class.

The release and its check live in :mod:`utils.release`; ``release`` and
``validate_release`` are importable from here as well.
"""
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .course import Course, prepare_environment
from .grader import intake
from .grader import progress as timing
from .release import last_error_line, release, validate_release  # noqa: F401


def _in_worker(work, root, args, item):
    """``(result, seconds)`` of one item's work, in a worker process."""
    started = time.monotonic()
    prepare_environment()
    return work(Course(root), *args, item), time.monotonic() - started


def _each(course, work, args, items, jobs, done=lambda item, result, seconds: None,
          waiting=lambda items, seconds: None):
    """``{item: work(course, *args, item)}`` for every item, ``jobs`` at a time.

    With ``jobs > 1`` each item runs in its own process (``work`` must be a
    module-level function).  An item whose work raises gets the exception as
    its result, so one bad item never stops the others; ``done(item, result,
    seconds)`` is called as each item finishes, and ``waiting(items,
    seconds)`` every :data:`utils.grader.progress.HEARTBEAT_SECONDS` in which
    none did (items still running or queued, seconds since the start).
    """
    results = {}
    started = time.monotonic()
    if jobs <= 1 or len(items) <= 1:
        for item in items:
            begun = time.monotonic()
            try:
                results[item] = work(course, *args, item)
            except Exception as err:  # noqa: BLE001 - reported by the caller
                results[item] = err
            done(item, results[item], time.monotonic() - begun)
    else:
        course.api()   # loads the course config here, so the workers share its runtime folder
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_in_worker, work, str(course.root), args, item): item
                       for item in items}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=timing.HEARTBEAT_SECONDS,
                                         return_when=FIRST_COMPLETED)
                if not finished:
                    waiting([futures[f] for f in futures if f in pending],
                            time.monotonic() - started)
                for future in sorted(finished, key=lambda f: items.index(futures[f])):
                    item = futures[future]
                    try:
                        results[item], seconds = future.result()
                    except Exception as err:  # noqa: BLE001 - a crashed worker, reported
                        results[item], seconds = err, None
                    done(item, results[item], seconds)
    return {item: results[item] for item in items}


def _still(progress, what):
    """A ``waiting`` callback for :func:`_each`: one line naming what still runs."""
    def line(items, seconds):
        names = ", ".join(intake.safe_text(str(i), 40) for i in items[:4])
        more = f" and {len(items) - 4} more" if len(items) > 4 else ""
        progress(f"  ... {timing.duration(seconds)} so far; still {what}: {names}{more}")
    return line


def _feedback_of(course, assignment, student):
    """Generate one student's feedback; return nbgrader's error line, or None."""
    result = course.api().generate_feedback(assignment, student, force=True)
    return None if result["success"] else last_error_line(result)


def feedback(course, assignment, outcomes, jobs=1, progress=print):
    """Write feedback HTML for every graded outcome; return the feedback folders.

    With ``jobs > 1`` that many students' feedback is written at once, each in
    its own process (it only reads the gradebook).  A student whose feedback
    could not be written has it said in the outcome's ``feedback_error``.
    """
    graded = [o for o in outcomes if o.graded]
    errors = {}

    def report(student, error, seconds):
        if isinstance(error, Exception):   # one student's feedback must not stop the others
            error = f"feedback crashed: {error}"
        errors[student] = error
        progress(f"  [{len(errors)}/{len(graded)}] feedback for "
                 f"{intake.safe_text(student)} / {assignment}"
                 + (f": {error}" if error else "")
                 + (f", {timing.duration(seconds)}" if seconds is not None else "")
                 + timing.time_left(started, len(errors), len(graded)))

    started = time.monotonic()
    _each(course, _feedback_of, (assignment,), [o.student for o in graded], jobs, report,
          _still(progress, "writing feedback for"))
    folders = []
    for outcome in graded:
        if errors[outcome.student]:
            outcome.feedback_error = errors[outcome.student]
        else:
            folders.append(course.feedback / outcome.student / assignment)
    return folders
