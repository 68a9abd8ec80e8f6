"""Release and feedback: the instructor's side of a course, around autograding.

Release and feedback go through nbgrader's own Python API.  Autograding is
the coordinator's (:mod:`utils.grader.coordinator`), which gives one
:class:`utils.grader.outcome.Outcome` per submission; release grades the
solutions and the untouched release with it, and feedback is written for
the graded outcomes.

Each function works on a :class:`utils.course.Course` and one assignment.
Problems the instructor must fix raise :class:`utils.course.CourseError`
with one clear line; a problem with one student's feedback never stops the
rest of the class.
"""
import os
import shutil
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .course import CourseError, copy_student_modules
from .grader import coordinator, intake
from .grader import progress as timing


def _last_error_line(result):
    """The most useful line of an nbgrader API result that failed."""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "ERROR" in line or "Error" in line or "Exception" in line:
            return line.split("] ", 1)[-1]
    return lines[-1] if lines else "nbgrader gave no reason"


def _in_worker(work, root, args, item):
    """``(result, seconds)`` of one item's work, in a worker process."""
    from .course import Course, prepare_environment
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


# -- release --------------------------------------------------------------

def validate_release(course, assignment, jobs=1, progress=print):
    """Grade the solutions and the untouched release; return the problems found.

    The source must pass every one of its tests (otherwise a correct student
    answer could not get full marks) and the untouched release must fail
    every one (otherwise a student would get points for nothing).  Both are
    graded the way students are, in a scratch course, since test cells run in
    the grader and not in a kernel of their own.
    """
    from .course import make_scratch_course
    from .selftest import reference_problems
    from .submissions import synthetic_class, write_submission
    course.check_assignment(assignment)
    progress(f"  checking {assignment}: grading its solutions (correct: every point) and "
             "its untouched release (blank: none)")
    with tempfile.TemporaryDirectory(prefix="nn-kit-validate-") as scratch:
        trial = make_scratch_course(course, os.path.join(scratch, "course"))
        for other in trial.assignments():
            if other != assignment:
                shutil.rmtree(trial.source / other)
        release(trial, assignment, validate=False, progress=lambda *_: None)
        students, _ = synthetic_class(trial, assignment, mistake_students=0,
                                      alternative_students=0)
        for student in ("correct", "blank"):
            write_submission(trial, student, assignment, students[student])
        outcomes = coordinator.autograde(trial, assignment, jobs=jobs,
                                         progress=lambda line: progress("  " + line))
        problems = [f"{o.student}: not graded: {o.reason}" for o in outcomes if not o.graded]
        return problems + reference_problems(trial, assignment)


def release(course, assignment, validate=True, jobs=None, progress=print):
    """Generate ``release/<assignment>``, after checking that its tests are right."""
    course.check_assignment(assignment)
    jobs = coordinator.default_jobs() if jobs is None else jobs
    if validate:
        problems = validate_release(course, assignment, jobs, progress)
        if problems:
            raise CourseError("the tests of the source are not right:\n  "
                              + "\n  ".join(problems))
    progress(f"  generating release/{assignment} ...")
    started = time.monotonic()
    result = course.api().generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"nbgrader could not generate {assignment}: "
                          f"{_last_error_line(result)}")
    copy_student_modules(course.release / assignment)
    progress(f"  generated release/{assignment} in "
             f"{timing.duration(time.monotonic() - started)}")
    return course.release / assignment


def _feedback_of(course, assignment, student):
    """Generate one student's feedback; return nbgrader's error line, or None."""
    result = course.api().generate_feedback(assignment, student, force=True)
    return None if result["success"] else _last_error_line(result)


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
