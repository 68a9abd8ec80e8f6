"""Release, autograde and feedback, through nbgrader's own Python API.

Each function works on a :class:`utils.course.Course` and one assignment.
Problems the instructor must fix raise :class:`utils.course.CourseError`
with one clear line; a problem with one student's submission never stops
the rest of the class: it is returned as that student's :class:`Outcome`.
"""
import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import CourseError, copy_student_modules
from .grader import intake
from .grader.execute import flagged_cells, stopped_cells

GRADED = "graded"
FAILED = "not graded"


def _last_error_line(result):
    """The most useful line of an nbgrader API result that failed."""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "ERROR" in line or "Error" in line or "Exception" in line:
            return line.split("] ", 1)[-1]
    return lines[-1] if lines else "nbgrader gave no reason"


def _cell_names(cells):
    names = []
    for cell in cells:
        first = cell["source"].strip().splitlines()[0] if cell["source"].strip() else ""
        names.append(first[:70])
    return names


def _in_worker(work, root, args, item):
    """``(result, seconds)`` of one item's work, in a worker process."""
    from .course import Course, prepare_environment
    started = time.monotonic()
    prepare_environment()
    return work(Course(root), *args, item), time.monotonic() - started


#: Seconds between the "still working on ..." lines while no student finishes:
#: a long run shows it is alive in a log, without a line per second.
HEARTBEAT_SECONDS = 30


def duration(seconds):
    """A number of seconds for people: ``"8 s"``, ``"2 min 05 s"``."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def time_left(started, done, total):
    """``"; about 2 min 10 s left"`` after ``done`` of ``total`` items begun at
    ``started`` (``time.monotonic()``), or ``""`` when nothing is left."""
    if not 0 < done < total:
        return ""
    return f"; about {duration((time.monotonic() - started) / done * (total - done))} left"


def _each(course, work, args, items, jobs, done=lambda item, result, seconds: None,
          waiting=lambda items, seconds: None):
    """``{item: work(course, *args, item)}`` for every item, ``jobs`` at a time.

    With ``jobs > 1`` each item runs in its own process (``work`` must be a
    module-level function).  An item whose work raises gets the exception as
    its result, so one bad item never stops the others; ``done(item, result,
    seconds)`` is called as each item finishes, and ``waiting(items,
    seconds)`` every :data:`HEARTBEAT_SECONDS` in which none did (items still
    running or queued, seconds since the start).
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
                finished, pending = wait(pending, timeout=HEARTBEAT_SECONDS,
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
        progress(f"  ... {duration(seconds)} so far; still {what}: {names}{more}")
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
        outcomes = autograde(trial, assignment, jobs=jobs,
                             progress=lambda line: progress("  " + line))
        problems = [f"{o.student}: not graded: {o.message}" for o in outcomes if not o.graded]
        return problems + reference_problems(trial, assignment)


def release(course, assignment, validate=True, jobs=None, progress=print):
    """Generate ``release/<assignment>``, after checking that its tests are right."""
    course.check_assignment(assignment)
    jobs = default_jobs() if jobs is None else jobs
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
    progress(f"  generated release/{assignment} in {duration(time.monotonic() - started)}")
    return course.release / assignment


# -- autograde ------------------------------------------------------------

def notebook_problem(path, grade_ids=()):
    """Why the submitted notebook at ``path`` cannot be graded, or ``None``.

    Catches what nbgrader would otherwise fail on with a traceback, and a
    notebook that holds none of the ``grade_ids`` of the notebook it is named
    after (another assignment's notebook saved under this name).
    """
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"{name} is not a text file"
    if not text.strip():
        return f"{name} is empty"
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return (f"{name} is not valid JSON (line {err.lineno}, column "
                f"{err.colno}: {err.msg}); was it edited outside Jupyter?")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        return f"{name} is not a valid notebook: {str(err).splitlines()[0]}"
    found = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    if grade_ids and not found & set(grade_ids):
        return (f"{name} is not this assignment's notebook: none of its exercises "
                "are in it (was another notebook saved under this name?)")
    return None


def grade_ids(course, assignment, notebook):
    """The grade ids of a source notebook's nbgrader cells."""
    nb = nbformat.read(str(course.source / assignment / f"{notebook}.ipynb"), as_version=4)
    return {c.metadata.nbgrader["grade_id"] for c in nb.cells
            if "nbgrader" in c.metadata and "grade_id" in c.metadata.nbgrader}


def inspect_submission(course, assignment, folder):
    """Sort the notebooks of a submission (already taken in) into gradable, broken, missing.

    Returns ``(gradable, problems, missing)``: names that can be graded, a
    ``{name: reason}`` dictionary of notebooks that cannot, and names that
    were not submitted at all.
    """
    gradable, problems, missing = [], {}, []
    for name in course.notebooks(assignment):
        path = Path(folder) / f"{name}.ipynb"
        if not path.is_file():
            missing.append(name)
            continue
        problem = notebook_problem(path, grade_ids(course, assignment, name))
        if problem:
            problems[name] = problem
        else:
            gradable.append(name)
    return gradable, problems, missing


@dataclass
class Outcome:
    """What happened to one student's submission of one assignment."""
    student: str
    assignment: str
    status: str                      # GRADED or FAILED
    message: str = ""                # why it was not graded, or a warning
    problems: dict = field(default_factory=dict)   # notebook -> why not graded
    missing: list = field(default_factory=list)    # notebooks not submitted

    @property
    def graded(self):
        return self.status == GRADED


def _run_autograde(api, assignment, student, notebooks):
    """nbgrader's autograde on the given notebooks (None: all of them)."""
    if notebooks is None:
        return api.autograde(assignment, student, force=True, create=True)
    logs = []
    for name in notebooks:
        api.coursedir.notebook_id = name
        try:
            result = api.autograde(assignment, student, force=True, create=True)
        finally:
            api.coursedir.notebook_id = "*"
        logs.append(result.get("log") or "")
        if not result["success"]:
            break
    return dict(result, log="\n".join(logs))


def forget_scores(course, assignment, student, notebooks):
    """Drop the automatic scores and graded copies of ``notebooks`` of a submission.

    Called when a (re)submission cannot be graded, so that no score from an
    earlier grading survives as if it were this submission's.  Scores an
    instructor gave by hand are kept.
    """
    from nbgrader.api import Gradebook, MissingEntry
    if not notebooks or not course.gradebook.exists():
        return
    with Gradebook(f"sqlite:///{course.gradebook}") as gb:
        for name in notebooks:
            try:
                nb = gb.find_submission_notebook(name, assignment, student)
            except MissingEntry:
                continue
            for grade in nb.grades:
                grade.auto_score = None
            gb.db.commit()
    for name in notebooks:
        stale = course.autograded / student / assignment / f"{name}.ipynb"
        if stale.exists():
            stale.unlink()


def grade_student(course, assignment, student):
    """Autograde one student's submission; return its :class:`Outcome`.

    The submission folder is read once, by :func:`utils.grader.intake.take_in`,
    into a private copy; nbgrader grades that copy.
    """
    try:
        intake.check_name("student id", student)
    except intake.IntakeError as err:
        return Outcome(student, assignment, FAILED, str(err))
    private = tempfile.mkdtemp(prefix="nn-kit-intake-")
    try:
        copy = os.path.join(private, student, assignment)
        os.makedirs(os.path.dirname(copy))
        try:
            refused = intake.take_in(str(course.submitted / student / assignment), copy)
        except OSError as err:
            return Outcome(student, assignment, FAILED,
                           f"the submission folder cannot be read: {intake.safe_text(err)}")
        gradable, problems, missing = inspect_submission(course, assignment, copy)
        for path, why in refused.items():
            if path.endswith(".ipynb") and path[:-len(".ipynb")] in course.notebooks(assignment):
                problems[path[:-len(".ipynb")]] = why
                missing = [m for m in missing if f"{m}.ipynb" != path]
        forget_scores(course, assignment, student, list(problems))
        if not gradable:
            reason = "; ".join(problems.values()) or "no notebook of this assignment was submitted"
            return Outcome(student, assignment, FAILED, reason, problems, missing)
        api = course.api()
        api.coursedir.submitted_directory = private
        result = _run_autograde(api, assignment, student, gradable if problems else None)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if not result["success"]:
        forget_scores(course, assignment, student, gradable)
        return Outcome(student, assignment, FAILED, _last_error_line(result),
                       problems, missing)
    notes = list(problems.values())
    notes += [f"left out: {why}" for path, why in refused.items()
              if path[:-len(".ipynb")] not in problems]
    notes += stopped_kernel_notes(course, assignment, student)
    notes += changed_cell_notes(result.get("log") or "")
    if missing:
        notes.append(f"not submitted (scored 0): {_names(missing)}")
    return Outcome(student, assignment, GRADED, "; ".join(notes), problems, missing)


def _names(notebooks):
    """A short list of notebook names: the first two and how many more."""
    if len(notebooks) <= 2:
        return ", ".join(notebooks)
    return f"{', '.join(notebooks[:2])} and {len(notebooks) - 2} more"


_SANITIZING = re.compile(r"Sanitizing .*?([^/\\]+)\.ipynb\s*$")
_CHANGED = re.compile(r"\[WARNING\] Attribute '(\w+)' for cell (\S+) has changed!")


def changed_cell_notes(log):
    """One line per notebook in which nbgrader found locked cells changed.

    ``log`` is nbgrader's autograde log; it warns only about cells the student
    really changed (see :mod:`utils.grader.sanitize`), and those cells were
    graded in the instructor's version.
    """
    changed, notebook = {}, "?"
    for line in log.splitlines():
        found = _SANITIZING.search(line)
        if found:
            notebook = found.group(1)
            continue
        found = _CHANGED.search(line)
        if found:
            cells = changed.setdefault(notebook, [])
            if found.group(2) not in cells:
                cells.append(found.group(2))
    return [intake.safe_text(f"{name}: changed locked cell(s) {', '.join(cells)} "
                             "(graded in the instructor's version)", 500)
            for name, cells in changed.items()]


def stopped_kernel_notes(course, assignment, student):
    """One line per graded cell that stopped the kernel or replaced what tests use."""
    notes = []
    folder = course.autograded / student / assignment
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for number, first in stopped_cells(nb):
            notes.append(f"{path.stem}: cell {number} ({first!r}) stopped the kernel")
        reasons = {}                       # one line per reason, with its cells
        for number, report in flagged_cells(nb):
            reasons.setdefault(report.split(";")[0], []).append(str(number))
        for reason, numbers in reasons.items():
            cells = f"cell {numbers[0]}" if len(numbers) == 1 else f"cells {', '.join(numbers)}"
            notes.append(f"TAMPERING in {path.stem}, {cells}: {reason}")
    return notes


def default_jobs():
    """How many students to grade at once: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def autograde(course, assignment, students=None, jobs=1, progress=print):
    """Autograde every submitted student (or ``students``); one Outcome each.

    A notebook that cannot be graded (not JSON, not a notebook) is reported
    and left out; the student's other notebooks are still graded, and so is
    everyone else.  With ``jobs > 1`` that many students are graded at once,
    each in its own process (nbgrader's gradebook takes one writer at a time
    and every write is short).
    """
    course.check_assignment(assignment)
    if not (course.release / assignment).is_dir():
        raise CourseError(f"{assignment} has not been released: run release first")
    everyone = course.students(assignment)
    if students is None:
        students = everyone
        if not students:
            raise CourseError(f"no submissions for {assignment}: expected folders "
                              f"{course.submitted}/<student>/{assignment}/")
    else:
        unknown = [s for s in students if s not in everyone]
        if unknown:
            raise CourseError(f"no submission of {assignment} from "
                              f"{', '.join(unknown)} in {course.submitted}")

    def report(student, outcome, seconds):
        if isinstance(outcome, Exception):   # a crashed worker must not stop the class
            outcome = Outcome(student, assignment, FAILED, f"grading crashed: {outcome}")
        outcomes[student] = outcome
        line = (f"  [{len(outcomes)}/{len(students)}] {intake.safe_text(student)} / "
                f"{assignment}: {outcome.status}{_points(course, outcome)}"
                + (f", {duration(seconds)}" if seconds is not None else "")
                + time_left(started, len(outcomes), len(students)))
        progress(line + (f" ({intake.safe_text(outcome.message, 2000)})"
                         if outcome.message else ""))

    outcomes = {}
    started = time.monotonic()
    progress(f"  grading {len(students)} submission(s) of {assignment}, "
             f"{min(jobs, len(students))} at a time")
    _each(course, grade_student, (assignment,), students, jobs, report,
          _still(progress, "grading"))
    return [outcomes[s] for s in students]


def _points(course, outcome):
    """``", 15/18 points"`` of a graded outcome (``""`` if the gradebook is busy),
    with the points that wait for a person."""
    if not outcome.graded:
        return ""
    from .grader.report import BY_HAND, notebook_rows
    try:
        rows = notebook_rows(course, outcome)
    except Exception:  # noqa: BLE001 - a progress line never stops grading
        return ""
    score = sum(score or 0.0 for _, score, _, _ in rows)
    best = sum(most or 0.0 for _, _, most, _ in rows)
    by_hand = sum(float(status.split(", ", 1)[1].split()[0])
                  for *_, status in rows if status.endswith(BY_HAND))
    return f", {score:g}/{best:g} points" + (f" ({by_hand:g} to grade by hand)" if by_hand else "")


def _feedback_of(course, assignment, student):
    """Generate one student's feedback; return nbgrader's error line, or None."""
    result = course.api().generate_feedback(assignment, student, force=True)
    return None if result["success"] else _last_error_line(result)


def feedback(course, assignment, outcomes, jobs=1, progress=print):
    """Write feedback HTML for every graded outcome; return the feedback folders.

    With ``jobs > 1`` that many students' feedback is written at once, each in
    its own process (it only reads the gradebook).
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
                 + (f", {duration(seconds)}" if seconds is not None else "")
                 + time_left(started, len(errors), len(graded)))

    started = time.monotonic()
    _each(course, _feedback_of, (assignment,), [o.student for o in graded], jobs, report,
          _still(progress, "writing feedback for"))
    folders = []
    for outcome in graded:
        if errors[outcome.student]:
            outcome.message = f"no feedback: {errors[outcome.student]}"
        else:
            folders.append(course.feedback / outcome.student / assignment)
    return folders


# -- the record of outcomes -------------------------------------------------

def _status_file(course):
    return course.root / "grading_status.json"


def save_outcomes(course, outcomes):
    """Record outcomes in ``grading_status.json`` (replacing older ones)."""
    path = _status_file(course)
    record = json.loads(path.read_text()) if path.exists() else {}
    for o in outcomes:
        record.setdefault(o.assignment, {})[o.student] = {
            "status": o.status, "message": o.message,
            "problems": o.problems, "missing": o.missing}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True))
    temporary.replace(path)


def load_outcomes(course, assignment):
    """The recorded outcomes of an assignment, one per student, by name."""
    path = _status_file(course)
    record = json.loads(path.read_text()).get(assignment, {}) if path.exists() else {}
    return [Outcome(student, assignment, r["status"], r["message"],
                    r.get("problems", {}), r.get("missing", []))
            for student, r in sorted(record.items())]
