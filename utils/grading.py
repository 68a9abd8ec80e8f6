"""Release, autograde and feedback, through nbgrader's own Python API.

Each function works on a :class:`utils.course.Course` and one assignment.
Problems the instructor must fix raise :class:`utils.course.CourseError`
with one clear line; a problem with one student's submission never stops
the rest of the class: it is returned as that student's :class:`Outcome`.
"""
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import CourseError, copy_student_modules
from .execution import stopped_cells
from .guard import tampering_notes

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


def _validator(course, invert=False):
    from nbgrader.validator import Validator
    validator = Validator(config=course.config())
    validator.invert = invert
    return validator


def _cell_names(cells):
    names = []
    for cell in cells:
        first = cell["source"].strip().splitlines()[0] if cell["source"].strip() else ""
        names.append(first[:70])
    return names


def _in_worker(work, root, args, item):
    from .course import Course, prepare_environment
    prepare_environment()
    return work(Course(root), *args, item)


def _each(course, work, args, items, jobs, done=lambda item, result: None):
    """``{item: work(course, *args, item)}`` for every item, ``jobs`` at a time.

    With ``jobs > 1`` each item runs in its own process (``work`` must be a
    module-level function).  An item whose work raises gets the exception as
    its result, so one bad item never stops the others; ``done(item,
    result)`` is called as each item finishes.
    """
    results = {}
    if jobs <= 1 or len(items) <= 1:
        for item in items:
            try:
                results[item] = work(course, *args, item)
            except Exception as err:  # noqa: BLE001 - reported by the caller
                results[item] = err
            done(item, results[item])
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_in_worker, work, str(course.root), args, item): item
                       for item in items}
            for future in as_completed(futures):
                item = futures[future]
                try:
                    results[item] = future.result()
                except Exception as err:  # noqa: BLE001 - a crashed worker, reported
                    results[item] = err
                done(item, results[item])
    return {item: results[item] for item in items}


# -- release --------------------------------------------------------------

def _validate_notebook(course, invert, path):
    return _validator(course, invert).validate(str(path))


def _validate_all(course, paths, invert, jobs):
    """``{path: nbgrader validation result}``, ``jobs`` notebooks at a time."""
    results = _each(course, _validate_notebook, (invert,), paths, jobs)
    for path, result in results.items():
        if isinstance(result, Exception):
            raise CourseError(f"could not validate {path.name}: {result}")
    return results


def validate_source(course, assignment, jobs=1, progress=print):
    """Run every source notebook with its solutions; return the problems found.

    A source notebook must pass every one of its tests: otherwise a correct
    student answer could not get full marks.
    """
    course.check_assignment(assignment)
    names = course.notebooks(assignment)
    progress(f"  validating the source of {assignment}: {', '.join(names)}")
    paths = [course.source / assignment / f"{n}.ipynb" for n in names]
    problems = []
    for path, result in _validate_all(course, paths, False, jobs).items():
        for kind in ("type_changed", "changed", "failed"):
            for cell in result.get(kind, []):
                detail = cell.get("raw_error", "").strip().splitlines()
                problems.append(f"{assignment}/{path.stem}: a test {kind.replace('_', ' ')} "
                                f"with the solutions: {_cell_names([cell])[0]!r}"
                                + (f": {detail[-1]}" if detail else ""))
    return problems


def check_release_fails(course, assignment, jobs=1, progress=print):
    """Run every released notebook untouched; return the tests that pass.

    An untouched release must fail every test, or a student would get
    points for nothing.
    """
    progress(f"  checking that the untouched release of {assignment} earns nothing")
    paths = [course.release / assignment / f"{n}.ipynb" for n in course.notebooks(assignment)]
    problems = []
    for path, result in _validate_all(course, paths, True, jobs).items():
        for cell in result.get("passed", []):
            problems.append(f"{assignment}/{path.stem}: this test passes on the untouched "
                            f"release: {_cell_names([cell])[0]!r}")
    return problems


def release(course, assignment, validate=True, jobs=None, progress=print):
    """Validate the source, generate ``release/<assignment>`` and check it."""
    course.check_assignment(assignment)
    jobs = default_jobs() if jobs is None else jobs
    if validate:
        problems = validate_source(course, assignment, jobs, progress)
        if problems:
            raise CourseError("the source does not pass its own tests:\n  "
                              + "\n  ".join(problems))
    progress(f"  generating release/{assignment} ...")
    result = course.api().generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(f"nbgrader could not generate {assignment}: "
                          f"{_last_error_line(result)}")
    copy_student_modules(course.release / assignment)
    if validate:
        problems = check_release_fails(course, assignment, jobs, progress)
        if problems:
            raise CourseError("the release gives points for nothing:\n  "
                              + "\n  ".join(problems))
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


def inspect_submission(course, assignment, student):
    """Sort a student's notebooks into gradable, broken and missing ones.

    Returns ``(gradable, problems, missing)``: names that can be graded, a
    ``{name: reason}`` dictionary of notebooks that cannot, and names that
    were not submitted at all.
    """
    folder = course.submitted / student / assignment
    gradable, problems, missing = [], {}, []
    for name in course.notebooks(assignment):
        path = folder / f"{name}.ipynb"
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
    for name in notebooks:
        api.coursedir.notebook_id = name
        try:
            result = api.autograde(assignment, student, force=True, create=True)
        finally:
            api.coursedir.notebook_id = "*"
        if not result["success"]:
            return result
    return result


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
    """Autograde one student's submission; return its :class:`Outcome`."""
    gradable, problems, missing = inspect_submission(course, assignment, student)
    forget_scores(course, assignment, student, list(problems))
    if not gradable:
        reason = "; ".join(problems.values()) or "no notebook of this assignment was submitted"
        return Outcome(student, assignment, FAILED, reason, problems, missing)
    api = course.api()
    result = _run_autograde(api, assignment, student, gradable if problems else None)
    if not result["success"]:
        forget_scores(course, assignment, student, gradable)
        return Outcome(student, assignment, FAILED, _last_error_line(result),
                       problems, missing)
    notes = list(problems.values()) + stopped_kernel_notes(course, assignment, student)
    if missing:
        notes.append(f"not submitted (scored 0): {_names(missing)}")
    return Outcome(student, assignment, GRADED, "; ".join(notes), problems, missing)


def _names(notebooks):
    """A short list of notebook names: the first two and how many more."""
    if len(notebooks) <= 2:
        return ", ".join(notebooks)
    return f"{', '.join(notebooks[:2])} and {len(notebooks) - 2} more"


def stopped_kernel_notes(course, assignment, student):
    """One line per graded cell that stopped the kernel or replaced what tests use."""
    notes = []
    folder = course.autograded / student / assignment
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for number, first in stopped_cells(nb):
            notes.append(f"{path.stem}: cell {number} ({first!r}) stopped the kernel")
        for number, report in tampering_notes(nb):
            notes.append(f"TAMPERING in {path.stem}, cell {number}: {report.split(';')[0]}")
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

    def report(student, outcome):
        if isinstance(outcome, Exception):   # a crashed worker must not stop the class
            outcome = Outcome(student, assignment, FAILED, f"grading crashed: {outcome}")
        outcomes[student] = outcome
        line = f"  [{len(outcomes)}/{len(students)}] {student} / {assignment}: {outcome.status}"
        progress(line + (f" ({outcome.message})" if outcome.message else ""))

    outcomes = {}
    _each(course, grade_student, (assignment,), students, jobs, report)
    return [outcomes[s] for s in students]


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

    def report(student, error):
        if isinstance(error, Exception):   # one student's feedback must not stop the others
            error = f"feedback crashed: {error}"
        errors[student] = error
        progress(f"  [{len(errors)}/{len(graded)}] feedback for {student} / {assignment}"
                 + (f": {error}" if error else ""))

    _each(course, _feedback_of, (assignment,), [o.student for o in graded], jobs, report)
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
