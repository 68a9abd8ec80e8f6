"""The autograde coordinator: submissions in, units of work out, results checked and stored once.

Each submission is taken in (:mod:`utils.grader.intake`) and sorted into
notebooks that can be graded and notebooks that cannot; each gradable
notebook becomes one unit of work (:mod:`utils.grader.unit`) run by an
executor (:mod:`utils.grader.executors`: this process, a local pool, a Dask
cluster).  What comes back is not trusted: this process alone checks it
(:func:`check_result`) and stores it once, in the gradebook and in
``autograded/``.

A problem the instructor must fix raises :class:`utils.course.CourseError`
with one clear line; a problem with one student's submission never stops the
rest of the class: it is that student's :class:`~utils.grader.outcome.Outcome`,
the one typed record of what happened to the submission.
"""
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..course import CourseError
from . import intake
from . import progress as timing
from .execute import flagged_cells, stopped_cells
from .outcome import GRADED, NOT_GRADED, Late, Outcome
from .progress import ProgressBar, duration


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


def forget_scores(course, assignment, student, notebooks):
    """Drop the automatic scores and graded copies of ``notebooks`` of a submission.

    Called when a (re)submission cannot be graded, so that no score from an
    earlier grading survives as if it were this submission's.  Scores an
    instructor gave by hand are kept.
    """
    from nbgrader.api import MissingEntry
    from .gradebook import exists, open_gradebook
    if not notebooks or not exists(course):
        return
    with open_gradebook(course) as gb:
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


# -- the coordinator: submissions in, units of work out, results stored -----

@dataclass
class Plan:
    """One student's submission, taken in and sorted, before grading."""
    student: str
    outcome: Outcome = None          # set when nothing of it can be graded
    tasks: list = field(default_factory=list)
    reused: list = field(default_factory=list)      # tasks graded before, unchanged
    problems: dict = field(default_factory=dict)   # notebook -> why it cannot be graded
    unreadable: list = field(default_factory=list)  # notebooks that are not readable notebooks
    missing: list = field(default_factory=list)
    refused: dict = field(default_factory=dict)     # file -> why intake left it out
    files: list = field(default_factory=list)       # (relative path, bytes) of other files
    lateness: object = None         # deadlines.Lateness, from the course's record
    results: dict = field(default_factory=dict)     # notebook -> True, or why not graded
    seconds: float = 0.0                            # its notebooks' grading time


def _read_files(folder):
    """``[(relative path, bytes)]`` of the regular files of a taken-in copy."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append((path.relative_to(folder).as_posix(), path.read_bytes()))
    return found


def _graded_record(course, task):
    """What the graded copy on record says it was graded from (``{}`` if none)."""
    path = course.autograded / task.student / task.assignment / f"{task.notebook}.ipynb"
    try:
        return json.loads(path.read_text()).get("metadata", {}).get("nnkit", {}) or {}
    except (OSError, ValueError, AttributeError):
        return {}


def _graded_before(course, task):
    """Whether the graded copy on record is of this very submission and tests."""
    record = _graded_record(course, task)
    return (record.get("content_hash") == task.content_hash
            and record.get("test_version") == task.master.version)


def _scores_kept(gb, course, task):
    """Whether the gradebook still holds the scores stored with that graded copy
    (not, say, a gradebook made anew since)."""
    from nbgrader.api import MissingEntry
    try:
        row = gb.find_submission_notebook(task.notebook, task.assignment, task.student)
    except MissingEntry:
        return False
    return _graded_record(course, task).get("submission_notebook") == row.id


def plan_submission(course, assignment, student, masters, config, regrade=False):
    """Take one submission in and turn each gradable notebook into a Task."""
    from . import unit
    plan = Plan(student)
    try:
        intake.check_name("student id", student)
    except intake.IntakeError as err:
        plan.outcome = Outcome(student, assignment, NOT_GRADED, str(err))
        return plan
    private = tempfile.mkdtemp(prefix="nn-kit-intake-")
    try:
        copy = os.path.join(private, student, assignment)
        os.makedirs(os.path.dirname(copy))
        try:
            plan.refused = intake.take_in(str(course.submitted / student / assignment), copy)
        except OSError as err:
            plan.outcome = Outcome(student, assignment, NOT_GRADED,
                                   f"the submission folder cannot be read: {intake.safe_text(err)}")
            return plan
        gradable, plan.problems, plan.missing = inspect_submission(course, assignment, copy)
        plan.unreadable = list(plan.problems)
        for path, why in plan.refused.items():
            if path.endswith(".ipynb") and path[:-len(".ipynb")] in course.notebooks(assignment):
                plan.problems[path[:-len(".ipynb")]] = why
                plan.missing = [m for m in plan.missing if f"{m}.ipynb" != path]
        plan.files = [(name, data) for name, data in _read_files(copy)
                      if not name.endswith(".ipynb")]
        sandboxed = os.environ.get("NN_KIT_SANDBOX", "on") != "off"
        for name in gradable:
            text = (Path(copy) / f"{name}.ipynb").read_text(encoding="utf-8")
            task = unit.Task(student, assignment, name, text, tuple(plan.files), masters[name],
                             config, sandboxed)
            if not regrade and _graded_before(course, task):
                plan.reused.append(task)
            else:
                plan.tasks.append(task)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if not gradable:
        reason = "; ".join(plan.problems.values()) or "no notebook of this assignment was submitted"
        plan.outcome = _not_graded(assignment, plan, reason, plan.problems)
    return plan


def _left_out(plan, problems):
    """The files intake left out, but for notebooks already reported as problems."""
    return {path: why for path, why in plan.refused.items()
            if path[:-len(".ipynb")] not in problems}


def _not_graded(assignment, plan, reason, problems):
    """The Outcome of a submission of which nothing could be graded."""
    return Outcome(plan.student, assignment, NOT_GRADED, reason, dict(problems),
                   list(plan.missing), left_out=_left_out(plan, problems),
                   unreadable=list(plan.unreadable), seconds=plan.seconds)


def check_result(task, result):
    """Why a worker's ``result`` for ``task`` cannot be stored, or ``""``.

    Workers are not trusted: the result must be this task's, its scores
    those of the instructor's test cells and within their points, its graded
    notebook a notebook holding those cells, with test verdicts of the types
    the grader writes.
    """
    from . import unit
    if not isinstance(result, unit.Result):
        return "the worker returned something that is not a grading result"
    if (result.student, result.assignment, result.notebook) != \
            (task.student, task.assignment, task.notebook):
        return "the worker returned another notebook's result"
    if (result.content_hash, result.test_version) != (task.content_hash, task.master.version):
        return ("the worker graded another version of the submission or of the tests "
                "(does it run the same version of the kit?)")
    if result.error:
        return intake.safe_text(result.error, 500)
    points = {cell.name: cell.max_score for cell in task.master.grade_cells}
    if not isinstance(result.scores, dict) or set(result.scores) - set(points):
        return "the worker returned scores of cells that are not this notebook's tests"
    for name, score in result.scores.items():
        if score is not None and not (isinstance(score, (int, float))
                                      and 0 <= score <= points[name]):
            return f"the worker returned an impossible score for {intake.safe_text(name)}"
    answers = {c.name for c in task.master.solution_cells + task.master.task_cells}
    if not isinstance(result.comments, dict) or set(result.comments) - answers \
            or any(c not in (None, "No response.") for c in result.comments.values()):
        return "the worker returned comments that are not the grader's"
    if not isinstance(result.graded, str) or len(result.graded) > unit.MAX_GRADED_BYTES:
        return "the worker returned no graded notebook, or one too large"
    try:
        nb = nbformat.reads(result.graded, as_version=4)
    except Exception:  # noqa: BLE001 - nbformat raises several types
        return "the worker returned a graded notebook that is not a notebook"
    found = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    if set(result.scores) != set(points) or not set(points) <= found:
        return "the worker's graded notebook does not hold this notebook's tests"
    for cell in nb.cells:
        verdict = cell.metadata.get("nnkit")
        if verdict is not None and not (isinstance(verdict, dict) and isinstance(
                verdict.get("kernel_stopped", False), bool)):
            return "the worker returned a test verdict that is not the grader's"
    if not isinstance(result.changed, list) or not all(isinstance(c, str) for c in result.changed):
        return "the worker returned an odd list of changed cells"
    if not isinstance(result.seconds, (int, float)) or not 0 <= result.seconds < 10 ** 6:
        return "the worker returned an odd grading time"
    return ""


def _open_submission(gb, assignment, plan, due):
    """Create or update the student and the submission rows (before any score),
    with the submission's time from the course's record (see deadlines)."""
    from nbgrader.api import MissingEntry
    from .deadlines import stamp_submission
    gb.update_or_create_student(plan.student)
    stamp_submission(gb, assignment, plan.student, plan.lateness, due)
    for name in plan.missing:                  # as nbgrader: not submitted scores 0
        try:
            nb = gb.find_submission_notebook(name, assignment, plan.student)
        except MissingEntry:
            continue
        for grade in nb.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
    gb.db.commit()


def _store(gb, course, task, result):
    """Write one checked result: scores and comments, then the graded notebook."""
    assignment = task.assignment
    for name, score in result.scores.items():
        grade = gb.find_grade(name, task.notebook, assignment, task.student)
        grade.auto_score = score
        grade.needs_manual_grade = grade.manual_score is not None or score is None
    for name, comment in result.comments.items():
        gb.find_comment(name, task.notebook, assignment, task.student).auto_comment = comment
    gb.db.commit()
    nb = nbformat.reads(result.graded, as_version=4)
    record = nb.metadata.setdefault("nnkit", {})
    record["changed"] = list(result.changed)
    record["submission_notebook"] = gb.find_submission_notebook(
        task.notebook, assignment, task.student).id
    folder = course.autograded / task.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{task.notebook}.ipynb"
    temporary = folder / f".{task.notebook}.ipynb.partial"
    temporary.write_text(nbformat.writes(nb), encoding="utf-8")
    temporary.replace(target)


def _copy_other_files(course, assignment, plan):
    """The submission's other files and the source's, as nbgrader copies them."""
    folder = course.autograded / plan.student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for relative, data in plan.files:
        target = (folder / relative).resolve()
        if target.is_relative_to(folder.resolve()):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    for path in sorted((course.source / assignment).rglob("*")):
        relative = path.relative_to(course.source / assignment)
        if path.is_file() and path.suffix != ".ipynb" and not any(
                part.startswith(".") or part == "__pycache__" for part in relative.parts):
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _finish(course, assignment, plan):
    """The Outcome of a submission whose notebooks are all graded or given up."""
    failed = {name: why for name, why in plan.results.items() if why is not True}
    graded = [n for n in plan.results if n not in failed] + [t.notebook for t in plan.reused]
    problems = dict(plan.problems, **failed)
    if failed:
        forget_scores(course, assignment, plan.student, list(failed))
    if graded:
        from .deadlines import apply_penalty
        apply_penalty(course, assignment, plan.student, plan.lateness)
    if not graded:
        reason = "; ".join(problems.values()) or "nothing could be graded"
        return _not_graded(assignment, plan, reason, problems)
    stopped, tampering = kernel_reports(course, assignment, plan.student)
    hashes = {t.notebook: t.content_hash for t in plan.tasks + plan.reused
              if t.notebook in graded}
    return Outcome(plan.student, assignment, GRADED, "", problems, list(plan.missing),
                   left_out=_left_out(plan, problems), unreadable=list(plan.unreadable),
                   stopped=stopped, tampering=tampering,
                   changed=changed_cells(course, assignment, plan.student),
                   late=Late.of(plan.lateness), seconds=plan.seconds,
                   content_hashes={n: hashes[n] for n in sorted(hashes)})


def grade_student(course, assignment, student):
    """Autograde one student's submission here; return its :class:`Outcome`."""
    return autograde(course, assignment, [student], jobs=1, progress=lambda *_: None)[0]


def changed_cells(course, assignment, student):
    """``[(notebook, (cell, ...))]``: each graded notebook in which the student
    changed locked cells (they were graded in the instructor's version)."""
    found = []
    for path in sorted((course.autograded / student / assignment).glob("*.ipynb")):
        try:
            changed = json.loads(path.read_text()).get("metadata", {}).get(
                "nnkit", {}).get("changed", [])
        except (OSError, ValueError):
            continue
        if changed:
            found.append((path.stem, tuple(map(str, changed))))
    return found


def kernel_reports(course, assignment, student):
    """``(stopped, tampering)`` of a student's graded notebooks: ``[(notebook,
    cell number, first line)]`` of the cells that stopped the kernel, and
    ``[(notebook, (cell number, ...), reason)]``, one per reason, of what
    replaced what the tests use."""
    stopped, tampering = [], []
    folder = course.autograded / student / assignment
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        stopped += [(path.stem, number, first) for number, first in stopped_cells(nb)]
        reasons = {}                       # one entry per reason, with its cells
        for number, report in flagged_cells(nb):
            reasons.setdefault(report.split(";")[0], []).append(number)
        tampering += [(path.stem, tuple(numbers), reason) for reason, numbers in reasons.items()]
    return stopped, tampering


def default_jobs():
    """How many students to grade at once: one per core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def autograde(course, assignment, students=None, jobs=1, progress=print, scheduler=None,
              security=None, regrade=False, on_outcome=None):
    """Autograde every submitted student (or ``students``); one Outcome each, in
    the order of ``students``.

    Each submitted notebook is one unit of work (:mod:`utils.grader.unit`):
    graded by ``jobs`` local processes, or by the Dask cluster whose
    scheduler is at ``scheduler``; this process alone checks what comes back
    (:func:`check_result`) and writes the gradebook and ``autograded/``.  A
    notebook already graded from the same submission and the same tests is
    not graded again (an interrupted run resumes) unless ``regrade``.  A
    notebook that cannot be graded is reported and left out; the student's
    other notebooks are still graded, and so is everyone else.

    ``progress`` is called with each line to show; ``on_outcome``, if given,
    with each student's final :class:`~utils.grader.outcome.Outcome` as soon
    as it is final (before the rest of the class is done), after its scores
    are stored and its progress line is shown.  What it raises stops grading.
    """
    from . import deadlines, executors, unit
    from .gradebook import open_gradebook
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
    config = course.config()
    book, times = deadlines.deadlines_of(course, config), deadlines.read_times(course)
    due = book.due_date(assignment)[0]
    from nbgrader.api import MissingEntry
    with open_gradebook(course) as gb:
        gb.update_or_create_assignment(assignment, duedate=deadlines.naive_utc(due))
        try:
            masters = {name: unit.MasterNotebook.from_gradebook(gb, name, assignment)
                       for name in course.notebooks(assignment)}
        except MissingEntry:
            raise CourseError(f"the gradebook does not know {assignment}'s notebooks: "
                              "run release first") from None
    plans = {s: plan_submission(course, assignment, s, masters, config, regrade)
             for s in students}
    for plan in plans.values():
        plan.lateness = deadlines.lateness(book, times, assignment, plan.student)
    with open_gradebook(course) as gb:
        for plan in plans.values():
            if plan.outcome is None:
                _open_submission(gb, assignment, plan, due)
                _copy_other_files(course, assignment, plan)
                for name in plan.missing:   # scored 0 above: no graded copy of old work
                    (course.autograded / plan.student / assignment / f"{name}.ipynb").unlink(
                        missing_ok=True)
                stale = [t for t in plan.reused if not _scores_kept(gb, course, t)]
                plan.reused = [t for t in plan.reused if t not in stale]
                plan.tasks += stale
    for plan in plans.values():
        forget_scores(course, assignment, plan.student, list(plan.problems))
    tasks = [task for plan in plans.values() for task in plan.tasks]
    outcomes = {}
    bar = ProgressBar(len(tasks))

    def report(plan):
        outcome = plan.outcome or _finish(course, assignment, plan)
        outcomes[plan.student] = outcome
        seconds = plan.seconds if plan.tasks else None
        line = (f"  [{len(outcomes)}/{len(students)}] {intake.safe_text(plan.student)} / "
                f"{assignment}: {outcome.status}{_points(course, outcome)}"
                + (f", {duration(seconds)}" if seconds is not None else "")
                + (f", {len(plan.reused)} unchanged" if plan.reused else "")
                + (f"  {bar}" if tasks else ""))
        progress(line + (f" ({intake.safe_text(outcome.message, 2000)})"
                         if outcome.message else ""))
        if on_outcome is not None:
            on_outcome(outcome)

    where = (f"on the Dask cluster at {scheduler}" if scheduler
             else f"{max(1, min(jobs, len(tasks)))} at a time")
    reused = sum(len(p.reused) for p in plans.values())
    progress(f"  grading {len(tasks)} notebook(s) of {len(students)} submission(s) of "
             f"{assignment}, {where}"
             + (f"; {reused} graded before from the same submission and tests, kept"
                if reused else ""))
    for plan in plans.values():
        if plan.outcome is not None or not plan.tasks:
            report(plan)

    def waiting(running):
        names = ", ".join(intake.safe_text(t.key, 60) for t in running[:4])
        more = f" and {len(running) - 4} more" if len(running) > 4 else ""
        progress(f"  ... {duration(bar.elapsed)} so far; still grading: {names}{more}")

    with open_gradebook(course) as gb, executors.stopping_kernels():
        for task, result in executors.run(tasks, jobs, scheduler, security, waiting,
                                          timing.HEARTBEAT_SECONDS):
            plan = plans[task.student]
            why = check_result(task, result)
            if why:
                plan.results[task.notebook] = f"{task.notebook}: not graded: {why}"
            else:
                try:
                    _store(gb, course, task, result)
                    plan.results[task.notebook] = True
                except Exception as err:  # noqa: BLE001 - this notebook only
                    gb.db.rollback()
                    plan.results[task.notebook] = (f"{task.notebook}: its scores could not "
                                                   f"be stored: {intake.safe_text(err, 300)}")
                plan.seconds += result.seconds
            bar.step()
            if len(plan.results) == len(plan.tasks):
                report(plan)
    return [outcomes[s] for s in students]


def _points(course, outcome):
    """``", 15/18 points"`` of a graded outcome (``""`` if the gradebook is busy),
    with the points that wait for a person."""
    if not outcome.graded:
        return ""
    from .report import notebook_rows
    try:
        rows = notebook_rows(course, outcome)
    except Exception:  # noqa: BLE001 - a progress line never stops grading
        return ""
    return points_summary(rows)


def points_summary(rows):
    """``", 15/18 points (3 to grade by hand)"``, summed from the fields of
    notebook rows (:class:`utils.grader.report.NotebookRow`)."""
    score = sum(row.score or 0.0 for row in rows)
    best = sum(row.max_score or 0.0 for row in rows)
    by_hand = sum(row.by_hand for row in rows)
    return f", {score:g}/{best:g} points" + (f" ({by_hand:g} to grade by hand)" if by_hand else "")
