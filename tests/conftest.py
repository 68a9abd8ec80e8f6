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
from utils.course import Course, prepare_environment  # noqa: E402
from utils.course import make_scratch_course  # noqa: E402
from utils.grader.report import cell_scores  # noqa: E402
from utils.selftest import grade_cells  # noqa: E402
from utils.submissions import (grade_id, load_variants, stub_class,  # noqa: E402
                               synthetic_class, write_submission)

prepare_environment()

#: The stub kinds the suite grades: zeros (every value wrong, shape kept) and
#: transposed (the values right but laid out wrongly).  ``python -m utils
#: selftest <a> --stubs`` also grades the ones and doubled stubs; each kind
#: adds about 2.5 minutes to the suite's class on two cores.
SUITE_STUB_KINDS = ("zeros", "transposed")


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
        outcomes = grading.autograde(course, assignment, jobs=grading.default_jobs(),
                                     progress=lambda *_: None)
        grading.save_outcomes(course, outcomes)
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
