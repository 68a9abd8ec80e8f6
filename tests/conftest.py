"""Shared fixtures: one synthetic class, graded once by real nbgrader.

Building and grading the class is the slow part of the suite, so it happens
once per session.  The class holds, for every assignment:

- ``correct``: the instructor's solutions;
- ``blank``: the untouched release;
- ``mistake-N`` / ``alternative-N``: the prepared variants of
  ``tests/variants``, packed so no two share an answer cell, each handing in
  only the notebooks their variants change;
- ``stub-N``: the solutions with one graded function of a notebook turned
  into a stub of the right shape (the ``STUBS`` of ``tests/variants``);
- special cases in lab1, handing in its first notebook or two: broken JSON,
  a deleted test cell, a tampered copy of the helpers.
"""
import contextlib
import copy
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from utils import grading  # noqa: E402
from utils.grader import coordinator  # noqa: E402
from utils.grader.outcome import save_outcomes
from utils.course import Course, prepare_environment  # noqa: E402
from utils.course import make_scratch_course  # noqa: E402
from utils.grader.gradebook import open_gradebook  # noqa: E402
from utils.grader.report import cell_scores  # noqa: E402
from utils.selftest import grade_cells  # noqa: E402
from utils.submissions import (grade_id, load_variants, stub_class,  # noqa: E402
                               synthetic_class, write_submission)

prepare_environment()

#: The stub kinds the suite grades: zeros (every value wrong, shape kept), one
#: stub of every graded function.  ``python -m utils selftest <a> --stubs``
#: also grades the ones, transposed and doubled stubs; each kind adds about
#: 3 minutes to the suite's class on two cores, which keeps them out of it.
SUITE_STUB_KINDS = ("zeros",)


@dataclass
class GradedClass:
    """A graded synthetic class and what each student was meant to show."""
    course: Course
    outcomes: dict = field(default_factory=dict)     # (student, assignment) -> Outcome
    variants: dict = field(default_factory=dict)     # (assignment, variant name) -> (student, Variant)
    stubs: dict = field(default_factory=dict)        # assignment -> [(student, notebook, target, kind, cells)]

    def scores(self, student, assignment, notebook):
        return cell_scores(self.course, assignment, student, notebook)

    def grade_cells(self, assignment, notebook):
        """``{grade_id: points}`` of a notebook's autograded test cells."""
        return grade_cells(self.course, assignment, notebook)


def _build_class(course, assignment):
    """Write every synthetic student of one assignment into ``submitted/``."""
    students, planned = synthetic_class(course, assignment, complete=False)
    stubbed, stub_plan = stub_class(course, assignment, kinds=SUITE_STUB_KINDS)
    for student, notebooks in {**students, **stubbed}.items():
        write_submission(course, student, assignment, notebooks)
    names = course.notebooks(assignment)
    correct = students["correct"]

    def submit(student, count):
        notebooks = {n: copy.deepcopy(correct[n]) for n in names[:count]}
        write_submission(course, student, assignment, notebooks)
        return notebooks

    if assignment == "lab1":
        first = names[0]
        # a save cut off halfway: not valid JSON, the other notebooks still count
        notebooks = submit("broken-json", 2)
        text = nbformat.writes(notebooks[first])
        (course.submitted / "broken-json" / assignment / f"{first}.ipynb").write_text(
            text[: len(text) // 2])
        # a correct student who deleted a test cell: it is put back and graded
        notebooks = submit("deleted-test", 1)
        nb = notebooks[first]
        nb.cells = [c for c in nb.cells if grade_id(c) != "test_relu"]
        nbformat.write(nb, str(course.submitted / "deleted-test" / assignment / f"{first}.ipynb"))
        # a blank student whose copy of the helpers passes every check
        write_submission(course, "tampered-helpers", assignment,
                         {first: students["blank"][first]})
        checks = course.submitted / "tampered-helpers" / assignment / "utils" / "checks.py"
        checks.write_text(checks.read_text() + "\n\ndef call(name, func, *a, **k):\n"
                          "    return None\n\ndef check_close(*a, **k):\n    return None\n"
                          "\ndef check_shape(*a, **k):\n    return None\n")
    return planned, stub_plan


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """The synthetic class of every assignment, released and autograded."""
    kit = Course(KIT)
    course = make_scratch_course(kit, tmp_path_factory.mktemp("course") / "course")
    result = GradedClass(course)
    for assignment in course.assignments():
        grading.release(course, assignment, validate=False, progress=lambda *_: None)
        planned, result.stubs[assignment] = _build_class(course, assignment)
        result.variants.update({(assignment, k): v for k, v in planned.items()})
        outcomes = coordinator.autograde(course, assignment, jobs=coordinator.default_jobs(),
                                         progress=lambda *_: None)
        save_outcomes(course, outcomes)
        for o in outcomes:
            result.outcomes[(o.student, assignment)] = o
    return result


def small_course(folder, assignment="lab1", notebooks=("01_single_neuron",), config=""):
    """A scratch course holding only some notebooks of one assignment, released."""
    course = make_scratch_course(Course(KIT), folder)
    course.keep_only(assignment, notebooks)
    if config:
        with open(course.root / "nbgrader_config.py", "a") as handle:
            handle.write("\n" + config + "\n")
    grading.release(course, assignment, validate=False, progress=lambda *_: None)
    return course


#: The deadlines of the ``class_view`` course: lab1 due on 16 October 23:59 in
#: Berlin (21:59 UTC), ``ext-eve`` given until the 20th, 10 % per started day late.
CLASS_VIEW_DEADLINES = """
c.Deadlines.due = {"lab1": "2026-10-16 23:59"}
c.Deadlines.extensions = {"lab1": {"ext-eve": "2026-10-20 12:00"}}
c.Deadlines.timezone = "Europe/Berlin"
c.Deadlines.grace_minutes = 10
c.Deadlines.penalty_per_day = 0.1
c.Deadlines.max_penalty = 0.5
"""

#: When each ``class_view`` student submitted (UTC), as the course recorded it.
CLASS_VIEW_TIMES = {
    "ada": "2026-10-16T20:00:00+00:00",          # on time
    "blank": "2026-10-15T09:00:00+00:00",
    "mistake-1": "2026-10-16T22:05:00+00:00",    # 6 min late: within the grace time
    "copier-a": "2026-10-16T12:00:00+00:00",
    "copier-b": "2026-10-16T12:30:00+00:00",
    "late-lea": "2026-10-19T01:00:00+00:00",     # 2 days 3 h 1 min late (due 21:59 UTC): 30 % off
    "ext-eve": "2026-10-19T10:00:00+00:00",      # late, but within the extension
    "broken": "2026-10-16T08:00:00+00:00",
}


@pytest.fixture(scope="session")
def class_view(tmp_path_factory):
    """A small lab1 class (its first two notebooks), graded through real
    nbgrader, for the instructor's view: students who copied an answer,
    late submissions and an extension, a broken notebook, and a student on
    the roster who submitted nothing (``rosa``)."""
    from utils.grader import deadlines
    from utils.submissions import copying_pair
    folder = tmp_path_factory.mktemp("class-view") / "course"
    course = small_course(folder, "lab1", ("01_single_neuron", "02_layer"),
                          config=CLASS_VIEW_DEADLINES)
    students, _ = synthetic_class(course, "lab1", mistake_students=1, alternative_students=0,
                                  complete=False)
    klass = {"ada": students["correct"], "blank": students["blank"],
             "mistake-1": students["mistake-1"], **copying_pair(course, "lab1"),
             "late-lea": students["correct"], "ext-eve": students["correct"]}
    for student, notebooks in klass.items():
        write_submission(course, student, "lab1", notebooks)
    text = nbformat.writes(students["correct"]["01_single_neuron"])
    write_submission(course, "broken", "lab1", {"01_single_neuron": text[: len(text) // 2]})
    # what late-lea's own timestamp.txt claims is never believed
    (course.submitted / "late-lea" / "lab1" / "timestamp.txt").write_text(
        "2026-10-16 10:00:00.000000 UTC")
    import datetime as dt
    deadlines.record_times(course, "lab1", {s: dt.datetime.fromisoformat(t)
                                            for s, t in CLASS_VIEW_TIMES.items()},
                           deadlines.INSTRUCTOR)
    with open_gradebook(course) as gb:
        gb.update_or_create_student("rosa", first_name="Rosa", last_name="Roster",
                                    email="rosa@example.org", lms_user_id="9001")
        gb.update_or_create_student("ada", first_name="Ada", last_name="Lovelace",
                                    lms_user_id="9002")
    outcomes = coordinator.autograde(course, "lab1", jobs=coordinator.default_jobs(),
                                     progress=lambda *_: None)
    save_outcomes(course, outcomes)
    return course


def all_variants():
    """``(assignment, notebook, Variant)`` of every prepared variant, for parametrize."""
    found = []
    for assignment_dir in sorted((KIT / "tests" / "variants").iterdir()):
        if not assignment_dir.is_dir():
            continue
        for path in sorted(assignment_dir.glob("*.py")):
            for v in load_variants(assignment_dir.name, path.stem):
                found.append(pytest.param(assignment_dir.name, v,
                                          id=f"{assignment_dir.name}/{path.stem}: {v.name}"))
    return found


def read_json(path):
    return json.loads(Path(path).read_text())


@pytest.fixture(scope="session")
def lab2_lecture(tmp_path_factory):
    """lab2's lecture notebooks, site, slides and handouts, built once as
    ``python -m utils lecture lab2`` builds them."""
    from utils import lecture
    result = lecture.build(Course(KIT), ["lab2"], tmp_path_factory.mktemp("lecture"),
                           jobs=2, progress=lambda *_: None)
    assert result.ok, result.errors
    return result


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def jupyter_app(app, folder, log_path, env=None, token="kit-test", patience=90):
    """``jupyter <app>`` (``lab``, ``server``) started in ``folder`` as a user
    starts it (as root with ``--allow-root``); yield its address.  Stopped
    afterwards; if it does not start, the end of its log says why."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "jupyter"), app, "--no-browser",
               f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={folder}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = open(log_path, "w")
    server = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + patience
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise AssertionError(f"jupyter {app} did not start:\n"
                                         + Path(log_path).read_text()[-3000:])
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
