"""Grading kernels run in a sandbox: no course folder, no network, capped memory."""
import ast
import os
import socket
import subprocess
import sys

import nbformat
import pytest

from conftest import KIT, small_course
from utils.grader import coordinator, sandbox
from utils.grader.report import cell_scores
from utils.submissions import fill_answers, solution_answers, write_submission

NOTEBOOK = "01_single_neuron"

PROBE = '''
import importlib.util, os, socket
course = COURSE
seen = {"source": os.path.exists(os.path.join(course, "source")),
        "gradebook": os.path.exists(os.path.join(course, "gradebook.db")),
        "other student": os.path.exists(os.path.join(course, "submitted", "other")),
        "notebooks here": sorted(n for n in os.listdir(".") if n.endswith(".ipynb")),
        "reference": importlib.util.find_spec("utils.grader.reference") is not None,
        "secret": "NNKIT_TEST_SECRET" in os.environ}
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
    seen["network"] = True
except OSError:
    seen["network"] = False
try:
    big = np.ones(5 * 1024 ** 3 // 8)
    seen["memory"] = "granted"
    del big
except MemoryError:
    seen["memory"] = "refused"
print("PROBE", seen)
'''

pytestmark = pytest.mark.skipif(
    not sandbox.available()[0] and not os.environ.get("CI"),
    reason="bubblewrap is not available here (CI installs it and runs these tests)")


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    course = small_course(tmp_path_factory.mktemp("sandbox") / "course")
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"
    probe = solutions["neurons"] + "\n" + PROBE.replace("PORT", str(port)).replace(
        "COURSE", repr(str(course.root)))
    write_submission(course, "prober", "lab1",
                     {NOTEBOOK: fill_answers(release, {**solutions, "neurons": probe})})
    write_submission(course, "other", "lab1", {NOTEBOOK: fill_answers(release, solutions)})
    os.environ["NNKIT_TEST_SECRET"] = "a token of the grader's"
    try:
        outcomes = {o.student: o
                    for o in coordinator.autograde(course, "lab1", progress=lambda *_: None)}
    finally:
        del os.environ["NNKIT_TEST_SECRET"]
        listener.close()
    nb = nbformat.read(str(course.autograded / "prober" / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    lines = [l for l in text.splitlines() if l.startswith("PROBE ")]
    assert lines, f"the probe printed nothing: {text[-2000:]}"
    line = lines[0]
    return course, outcomes, ast.literal_eval(line[len("PROBE "):])


def test_student_code_cannot_see_the_course(probed):
    """No source, gradebook, other submission, graded notebook or reference answers."""
    _, _, seen = probed
    assert not seen["source"] and not seen["gradebook"] and not seen["other student"]
    assert seen["notebooks here"] == [] and not seen["reference"]


def test_the_graders_environment_stays_outside(probed):
    assert probed[2]["secret"] is False


def test_student_code_has_no_network(probed):
    assert probed[2]["network"] is False


def test_memory_is_capped_and_the_rest_is_still_graded(probed):
    course, outcomes, seen = probed
    assert seen["memory"] == "refused"
    assert outcomes["prober"].graded
    scores = cell_scores(course, "lab1", "prober", NOTEBOOK)
    assert all(score == top for score, top in scores.values()), scores


def test_grading_refuses_without_a_sandbox_unless_told(tmp_path):
    course = small_course(tmp_path / "course")
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": bindir}        # no bwrap on this PATH
    command = [sys.executable, "-m", "utils", "--course", str(course.root), "autograde", "lab1"]
    refused = subprocess.run(command, cwd=KIT, env=env, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "cannot sandbox" in refused.stderr and "--no-sandbox" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_grading_kernels_get_every_student_module():
    """What students import in a notebook is importable in a grading kernel too."""
    from utils.course import STUDENT_MODULES
    modules = {name for name in STUDENT_MODULES if name.endswith(".py")}
    assert modules <= set(sandbox.KERNEL_FILES)
