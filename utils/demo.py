"""The demo: release the course, grade a synthetic class, report.

The class is built in a scratch course folder (``build/demo`` by default,
never committed) from the kit's own material:

- ``ada`` answers everything with the instructor's solutions;
- ``blank`` hands in the release untouched;
- the ``mistake-*`` students make the realistic mistakes kept in
  ``tests/variants`` (several per student, never two in one exercise);
- ``alternative-*`` students solve exercises correctly in other ways;
- ``broken`` hands in one notebook that is no longer valid JSON;
- ``tamperer`` answers nothing but makes ``np.allclose`` agree with anything;
- ``crasher`` answers everything right, but one cell kills the kernel.
"""
import copy
import shutil
import time
from pathlib import Path

import nbformat

from . import grading, report
from .course import KIT_ROOT, Course, prepare_environment
from .submissions import synthetic_class, write_submission

DEMO_CONFIG = '''\
"""The demo course: the kit's settings, with this folder as the course root."""
c = get_config()  # noqa: F821
load_subconfig("{relative}")  # noqa: F821
'''


def make_scratch_course(kit, folder):
    """A fresh course folder that shares the kit's source and settings."""
    folder = Path(folder).resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    relative = Path(*[".."] * len(folder.relative_to(kit.root).parts)) / "nbgrader_config.py" \
        if folder.is_relative_to(kit.root) else kit.root / "nbgrader_config.py"
    (folder / "nbgrader_config.py").write_text(DEMO_CONFIG.format(relative=relative.as_posix()))
    shutil.copytree(kit.source, folder / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return Course(folder)


TAMPERING = "import numpy\nnumpy.allclose = lambda *args, **kwargs: True\n"
CRASH = "\nimport os\nos._exit(1)  # the kernel dies here\n"


def _first_answer(nb):
    """The first answer cell of a notebook."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
                and c.cell_type == "code")


def class_for(course, assignment, mistake_students=2, alternative_students=1):
    """``{student: {notebook: notebook or text}}``: the demo class of one assignment."""
    students, _ = synthetic_class(course, assignment, mistake_students=mistake_students,
                                  alternative_students=alternative_students)
    klass = {"ada" if s == "correct" else s: nbs for s, nbs in students.items()}
    first = next(iter(klass["ada"]))

    broken = copy.deepcopy(klass["ada"])
    text = nbformat.writes(broken[first])
    broken[first] = text[: len(text) // 2]   # a save that was cut off halfway
    klass["broken"] = broken

    tamperer = copy.deepcopy(klass["blank"])  # answers nothing, fakes np.allclose
    cell = _first_answer(tamperer[first])
    cell.source = TAMPERING + cell.source
    klass["tamperer"] = tamperer

    crasher = copy.deepcopy(klass["ada"])     # right answers, one cell kills the kernel
    cell = _first_answer(crasher[first])
    cell.source = cell.source + CRASH
    klass["crasher"] = crasher
    return klass


def run(folder=None, assignments=None, mistake_students=2, alternative_students=1,
        validate=True, progress=print):
    """Run the whole demo; return the scratch course and all outcomes."""
    started = time.monotonic()
    prepare_environment()
    kit = Course(KIT_ROOT)
    assignments = assignments or kit.assignments()
    progress(f"1. Releasing {', '.join(assignments)} into {kit.release}")
    for a in assignments:
        grading.release(kit, a, validate=validate, progress=progress)

    folder = Path(folder) if folder else KIT_ROOT / "build" / "demo"
    progress(f"2. Building a synthetic class in {folder}")
    course = make_scratch_course(kit, folder)
    for a in assignments:
        grading.release(course, a, validate=False, progress=lambda *_: None)
        for student, notebooks in class_for(course, a, mistake_students,
                                            alternative_students).items():
            write_submission(course, student, a, notebooks)

    progress("3. Autograding with nbgrader")
    outcomes = []
    for a in assignments:
        graded = grading.autograde(course, a, jobs=grading.default_jobs(), progress=progress)
        grading.save_outcomes(course, graded)
        outcomes += graded

    progress("4. Feedback and grades")
    for a in assignments:
        grading.feedback(course, a, [o for o in outcomes if o.assignment == a],
                         progress=lambda *_: None)
    csv_path = course.root / "grades.csv"
    report.write_grades_csv(course, outcomes, csv_path)

    progress("")
    for a in assignments:
        progress(report.score_table(course, a, [o for o in outcomes if o.assignment == a]))
        progress("")
    progress(f"Grades:        {csv_path}")
    progress(f"Feedback:      {course.feedback}/<student>/<assignment>/*.html")
    progress(f"Autograded:    {course.autograded}/<student>/<assignment>/")
    progress(f"Gradebook:     {course.gradebook}")
    progress(f"Demo finished in {time.monotonic() - started:.0f} s.")
    return course, outcomes
