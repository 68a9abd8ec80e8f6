"""The release, and its check: the solutions earn every point, the untouched release none.

``release`` generates ``release/<assignment>`` through nbgrader's own Python
API, after :func:`validate_release` has graded, in a scratch course and the
way students are graded (:mod:`utils.grader.coordinator`), two hand-ins:
the source's solutions, which must pass every test (otherwise a correct
student answer could not get full marks), and the release as it was given
out, which must fail every one (otherwise a student would get points for
nothing).  :func:`reference_problems` says which grade cells break either
rule; the self-test and the demo ask it of their own classes too.

Problems the instructor must fix raise :class:`utils.course.CourseError`
with one clear line.
"""
import os
import shutil
import tempfile
import time

import nbformat

from .answers import reference_class, write_submission
from .course import CourseError, copy_student_modules, make_scratch_course
from .grader import coordinator, report
from .grader import progress as timing


def last_error_line(result):
    """The most useful line of an nbgrader API result that failed."""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "ERROR" in line or "Error" in line or "Exception" in line:
            return line.split("] ", 1)[-1]
    return lines[-1] if lines else "nbgrader gave no reason"


def grade_cells(course, assignment, notebook):
    """``{grade_id: points}`` of a notebook's autograded test cells."""
    nb = nbformat.read(str(course.source / assignment / f"{notebook}.ipynb"), 4)
    return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points", 0)
            for c in nb.cells if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("grade")}


def reference_problems(course, assignment, notebooks=None, correct="correct", blank="blank"):
    """Grade cells that the solutions do not pass or the untouched release does.

    ``correct`` and ``blank`` are the graded students who handed in the
    solutions and the release as it was given out.  Empty when every test
    gives the solutions full marks and the blank release none.
    """
    problems = []
    for notebook in notebooks or course.notebooks(assignment):
        full = report.cell_scores(course, assignment, correct, notebook)
        empty = report.cell_scores(course, assignment, blank, notebook)
        for cell in grade_cells(course, assignment, notebook):
            if full[cell][0] < full[cell][1]:
                problems.append(f"{assignment}/{notebook}: the solutions lose points in {cell} "
                                "(the source does not pass its own tests)")
            if empty[cell][0] > 0:
                problems.append(f"{assignment}/{notebook}: the untouched release earns "
                                f"points in {cell} (the test gives points for nothing)")
    return problems


def validate_release(course, assignment, jobs=1, progress=print):
    """Grade the solutions and the untouched release; return the problems found.

    The source must pass every one of its tests and the untouched release
    must fail every one.  Both are graded the way students are, in a scratch
    course, since test cells run in the grader and not in a kernel of their
    own.
    """
    course.check_assignment(assignment)
    progress(f"  checking {assignment}: grading its solutions (correct: every point) and "
             "its untouched release (blank: none)")
    with tempfile.TemporaryDirectory(prefix="nn-kit-validate-") as scratch:
        trial = make_scratch_course(course, os.path.join(scratch, "course"))
        for other in trial.assignments():
            if other != assignment:
                shutil.rmtree(trial.source / other)
        release(trial, assignment, validate=False, progress=lambda *_: None)
        for student, notebooks in reference_class(trial, assignment).items():
            write_submission(trial, student, assignment, notebooks)
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
                          f"{last_error_line(result)}")
    copy_student_modules(course.release / assignment)
    progress(f"  generated release/{assignment} in "
             f"{timing.duration(time.monotonic() - started)}")
    return course.release / assignment
