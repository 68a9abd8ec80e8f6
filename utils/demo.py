"""The demo: release the course, grade a synthetic class, report.

The class is built in a scratch course folder (``build/demo`` by default,
never committed) from the kit's own material:

- ``ada`` answers everything with the instructor's solutions;
- ``blank`` hands in the release untouched;
- the ``mistake-*`` students make the realistic mistakes kept in
  ``tests/variants`` (several per student, never two in one exercise);
- in the first assignment only, handing in just its first notebook:
  ``broken`` a notebook that is no longer valid JSON, ``tamperer`` no answers
  but ``np.allclose`` made to agree with anything, ``crasher`` right answers
  but one cell that kills the kernel, and ``copier-a`` and ``copier-b``, who
  share one unusual answer, the second with its names changed (the class
  report finds them);
- ``nora`` is on the roster and submits nothing (she shows as missing).

The first assignment has a due date: ``mistake-1`` submits two days late
(a penalty of 10 % per started day), ``mistake-2`` late too but within an
extension.
"""
import copy
import datetime as dt
import sys
import time
from pathlib import Path

import nbformat

from . import grading
from .course import KIT_ROOT, Course, make_scratch_course, prepare_environment
from .grader import coordinator, report
from .grader.outcome import save_outcomes
from .grader.progress import duration
from .release import reference_problems, release
from .submissions import copying_pair, synthetic_class, write_submission

#: The demo course's deadlines (its nbgrader_config.py), for its first assignment.
DEADLINES = """
c.Deadlines.due = {{"{a}": "2026-10-16 23:59"}}
c.Deadlines.extensions = {{"{a}": {{"mistake-2": "2026-10-20 23:59"}}}}
c.Deadlines.grace_minutes = 10
c.Deadlines.penalty_per_day = 0.1
"""

#: When the demo class submitted its first assignment (UTC); everyone else the day before.
LATE = {"mistake-1": "2026-10-18T20:00:00+00:00", "mistake-2": "2026-10-19T09:00:00+00:00"}
ON_TIME = "2026-10-15T18:00:00+00:00"

#: A blank notebook that tries to pass anyway: numpy's comparison made to agree
#: with anything, and every later cell (test cells included) turned into `pass`.
TAMPERING = ("import numpy\nnumpy.allclose = lambda *args, **kwargs: True\n"
             "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n")
CRASH = "\nimport os\nos._exit(1)  # the kernel dies here\n"


def _first_answer(nb):
    """The first answer cell of a notebook."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
                and c.cell_type == "code")


def class_for(course, assignment, mistake_students=2, alternative_students=0,
              special_students=True):
    """``{student: {notebook: notebook or text}}``: the demo class of one assignment.

    With ``special_students`` it adds ``broken``, ``tamperer`` and ``crasher``,
    who hand in only the assignment's first notebook (the others count as not
    submitted), which keeps the demo short.
    """
    students, _ = synthetic_class(course, assignment, mistake_students=mistake_students,
                                  alternative_students=alternative_students)
    klass = {"ada" if s == "correct" else s: nbs for s, nbs in students.items()}
    if not special_students:
        return klass
    first = next(iter(klass["ada"]))

    text = nbformat.writes(klass["ada"][first])
    klass["broken"] = {first: text[: len(text) // 2]}   # a save cut off halfway

    tamperer = copy.deepcopy(klass["blank"][first])     # answers nothing, fakes np.allclose
    cell = _first_answer(tamperer)
    cell.source = TAMPERING + cell.source
    klass["tamperer"] = {first: tamperer}

    crasher = copy.deepcopy(klass["ada"][first])        # right answers, one cell kills the kernel
    cell = _first_answer(crasher)
    cell.source = cell.source + CRASH
    klass["crasher"] = {first: crasher}
    klass.update(copying_pair(course, assignment))      # one answer, shared and renamed
    return klass


def _roster(course, students):
    """A roster CSV of the demo class (names and LMS ids made up), plus ``nora``."""
    lines = ["id,first_name,last_name,email,lms_id"]
    for number, student in enumerate(sorted(set(students) | {"nora"}), 1):
        first = student.split("-")[0].capitalize()
        lines.append(f"{student},{first},Demo-{number},{student}@example.org,{70000 + number}")
    path = course.root / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _deadlines(course, assignment, students):
    """Give the demo's first assignment a due date, and record when each submitted."""
    from .grader import deadlines
    with open(course.root / "nbgrader_config.py", "a", encoding="utf-8") as handle:
        handle.write(DEADLINES.format(a=assignment))
    times = {s: dt.datetime.fromisoformat(LATE.get(s, ON_TIME)) for s in students}
    deadlines.record_times(course, assignment, times, deadlines.INSTRUCTOR)


#: The demo's exchange is its own folder; its students are not users of this
#: machine, so the owner check is off and their pages stay in service/pages/.
LIVE_SETTINGS = """
c.Exchange.root = {exchange!r}
c.LiveGrading.check_owner = False
"""


def _live_grading(course, assignment, progress):
    """Two students (one with a realistic mistake) hand in the assignment's
    first notebook through an exchange; the grading service grades both and
    writes their pages.  Returns the pages' paths."""
    import secrets
    from .grader.service import Service, pages_of, status_lines
    exchange = course.root / "exchange"
    with open(course.root / "nbgrader_config.py", "a", encoding="utf-8") as handle:
        handle.write(LIVE_SETTINGS.format(exchange=str(exchange)))
    course.root.chmod(0o700)            # the service grades only a course students cannot read
    students, _ = synthetic_class(course, assignment, mistake_students=1,
                                  alternative_students=0)
    first = course.notebooks(assignment)[0]
    inbound = exchange / course.config().CourseDirectory.course_id / "inbound"
    for student, kind in (("live-ana", "mistake-1"), ("live-ben", "correct")):
        stamp = time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime())
        folder = inbound / f"{student}+{assignment}+{stamp}+{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
        notebook = students[kind][first]
        (folder / f"{first}.ipynb").write_text(
            notebook if isinstance(notebook, str) else nbformat.writes(notebook))
        (folder / "timestamp.txt").write_text(stamp)
        (folder / "submission_secret.txt").write_text(secrets.token_hex(64))
    time.sleep(2.1)                     # a folder is taken in once nothing changed for 2 s
    service = Service(course, jobs=coordinator.default_jobs(),
                      log=lambda line: progress("  " + line.strip()) if
                      ("graded" in line or "received" in line) else None)
    service.run(once=True)
    for line in status_lines(course, service.queue):
        progress("  " + line)
    numbers = [e.id for e in service.queue.entries(assignment=assignment)]
    service.queue.close()
    return [page for number in numbers for page in pages_of(course, number)]


def _shown(path):
    """``path`` relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(folder=None, assignments=None, mistake_students=2, alternative_students=0,
        progress=print):
    """Run the whole demo; return the scratch course, all outcomes and the problems.

    The problems are grade cells that the solutions (``ada``) do not pass or
    the untouched release (``blank``) does: grading those two students checks
    the release as ``nbgrader validate`` would, at no extra cost.  Each stage
    says what it does, and how long it took.
    """
    started = time.monotonic()
    stage_started = [started]

    def stage(text):
        progress(text)
        stage_started[0] = time.monotonic()

    def stage_done():
        progress(f"   (done in {duration(time.monotonic() - stage_started[0])})")

    prepare_environment()
    kit = Course(KIT_ROOT)
    assignments = assignments or kit.assignments()
    stage(f"1. Releasing {', '.join(assignments)} into {kit.release}")
    for a in assignments:
        release(kit, a, validate=False, progress=progress)
    stage_done()

    folder = Path(folder) if folder else KIT_ROOT / "build" / "demo"
    stage(f"2. Building a synthetic class in {folder}")
    course = make_scratch_course(kit, folder)
    everyone = set()
    for a in assignments:
        release(course, a, validate=False, progress=lambda *_: None)
        klass = class_for(course, a, mistake_students, alternative_students,
                          special_students=(a == assignments[0]))
        for student, notebooks in klass.items():
            write_submission(course, student, a, notebooks)
        if a == assignments[0]:
            _deadlines(course, a, klass)
        everyone |= set(klass)
        progress(f"  {a}: {len(klass)} students ({', '.join(klass)})")
    from .grader import exports
    roster = exports.import_roster(course, _roster(course, everyone))
    progress(f"  roster: {roster.added} students (nora submits nothing)")
    stage_done()

    stage("3. Autograding (the longest stage: one notebook per core at a time)")
    outcomes = []
    for a in assignments:
        graded = coordinator.autograde(course, a, jobs=coordinator.default_jobs(),
                                       progress=progress)
        save_outcomes(course, graded)
        outcomes += graded
    stage_done()

    stage("4. Checking the release: the solutions earn every point, the blank none")
    problems = [p for a in assignments
                for p in reference_problems(course, a, correct="ada", blank="blank")]
    for problem in problems:
        progress(f"  PROBLEM: {problem}")
    stage_done()

    stage("5. Feedback and grades")
    for a in assignments:
        begun = time.monotonic()
        folders = grading.feedback(course, a, [o for o in outcomes if o.assignment == a],
                                   jobs=coordinator.default_jobs(), progress=lambda *_: None)
        progress(f"  {a}: feedback for {len(folders)} students "
                 f"({duration(time.monotonic() - begun)})")
    grades = exports.write_exports(course, course.root / "grades", assignments)
    stage_done()

    progress("")
    for a in assignments:
        progress(report.score_table(course, a, [o for o in outcomes if o.assignment == a]))
        progress("")
    stage("6. The class reports")
    from .grader import class_report
    reports = []
    for a in assignments:
        path, text = class_report.write_with_summary(course, a)
        reports.append(path)
        progress(text)
        progress("")
    stage_done()

    live = assignments[1] if len(assignments) > 1 else assignments[0]
    stage(f"7. Grading during the window: two submissions of {live} reach the grading service")
    pages = _live_grading(course, live, progress)
    stage_done()
    progress("")
    progress(f"Reports:       {', '.join(str(p) for p in reports)}")
    names = ", ".join(p.name for p in grades.values())
    progress(f"Grades:        {grades['totals'].parent}/ ({names})")
    progress(f"Feedback:      {course.feedback}/<student>/<assignment>/*.html")
    progress(f"Autograded:    {course.autograded}/<student>/<assignment>/")
    progress(f"Gradebook:     {course.gradebook}")
    progress(f"Live pages:    {', '.join(_shown(p) for p in pages)}  (python -m utils serve; "
             "the status: python -m utils serve --status)")
    progress(f"Grade by hand: cd {_shown(course.root)} && {Path(sys.executable).parent}"
             "/jupyter lab  (then Nbgrader > Formgrader: formgrader grades the course of "
             "the folder JupyterLab starts in)")
    progress("Release check: " + ("every test gives the solutions full marks and the "
                                  "untouched release none." if not problems else
                                  f"{len(problems)} PROBLEM(S), listed under step 4."))
    progress(f"Demo finished in {duration(time.monotonic() - started)}.")
    return course, outcomes, problems
