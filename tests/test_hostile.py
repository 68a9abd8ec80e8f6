"""A determined student, class by class: the submission folder, the sandbox,
the hidden tests, forged scores and names.

One class of lab1's first notebook is graded once through the kit's command
path (intake, sandbox, outside verdicts).  Every attacker but the ones that
break their own folder hands in the solutions except for a leaky ReLU, so
``test_relu`` must lose its points and every other cell keep them: an attack
that works shows up as a point kept where it should be lost, a point lost
where it should be kept, a file changed, or text that should not be there.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import small_course
from utils import grading
from utils.grader import coordinator
from utils.grader.outcome import save_outcomes
from utils.grader.report import cell_scores, score_table
from utils.submissions import fill_answers, solution_answers, write_submission

NOTEBOOK = "01_single_neuron"
LEAKY = "def relu(Z):\n    return np.maximum(0.01 * Z, Z)\n"

#: Code placed after the leaky ReLU; each tries to get test_relu its points back.
FORGERS = {
    # every cell the kernel runs after this one becomes `pass`
    "input-transformer": "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n",
    # every parsed cell is replaced by an empty module
    "ast-transformer": (
        "import ast\n"
        "class Empty(ast.NodeTransformer):\n"
        "    def visit_Module(self, node):\n"
        "        return ast.Module(body=[], type_ignores=[])\n"
        "get_ipython().ast_transformers.append(Empty())\n"),
    # a tracing hook that rewrites the locals of whatever runs next
    "trace-hook": (
        "import sys\n"
        "def tracer(frame, event, arg):\n"
        "    frame.f_locals.pop('expected', None)\n"
        "    return tracer\n"
        "sys.settrace(tracer); sys.setprofile(lambda *a: None)\n"),
    # 'passed' printed after every cell, and the display hook replaced
    "forged-output": (
        "def say_passed(*args):\n"
        "    print('All visible checks passed.')\n"
        "get_ipython().events.register('post_run_cell', say_passed)\n"
        "import sys\n"
        "sys.displayhook = lambda value: print('All visible checks passed.')\n"),
    # an array that says it equals anything, and reads the caller's expected value
    "liar-array": (
        "import inspect\n"
        "class Liar(np.ndarray):\n"
        "    def __eq__(self, other):\n"
        "        return np.ones(self.shape, bool)\n"
        "    def __array_ufunc__(self, *args, **kwargs):\n"
        "        frame = inspect.currentframe().f_back\n"
        "        for value in frame.f_locals.values():\n"
        "            if isinstance(value, np.ndarray) and value.shape == self.shape:\n"
        "                return value\n"
        "        return np.ones(self.shape)\n"
        "_leaky = relu\n"
        "def relu(Z):\n"
        "    return np.asarray(_leaky(Z)).view(Liar)\n"),
    # numpy's comparisons replaced in the kernel, below the public names too
    "patched-numpy": (
        "import numpy, numpy.core.numeric\n"
        "numpy.allclose = numpy.core.numeric.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.shape(a), bool)\n"
        "numpy.array_equal = lambda *a, **k: True\n"),
    # the grader's interface in the kernel replaced: answers carry the request's
    # nonce but always say the same thing
    "fake-agent": (
        "import json, utils.grader.agent as agent\n"
        "def serve(text):\n"
        "    request = json.loads(text)\n"
        "    agent.REPLY = json.dumps({'nonce': request['nonce'], 'value': 0.0})\n"
        "agent.serve = serve\n"),
    # the check helpers of the notebook swapped for ones that pass everything
    "own-checks": (
        "import utils.checks\n"
        "for name in ('check_close', 'check_array', 'check_equal', 'call'):\n"
        "    setattr(utils.checks, name, lambda *a, **k: a[-1] if a else None)\n"
        "check_close = check_array = lambda *a, **k: None\n"),
}

#: What a spy in the kernel records of everything it is asked to run.
SPY = (
    "import builtins\n"
    "seen = []\n"
    "def spy(lines):\n"
    "    seen.append(''.join(lines))\n"
    "    print('SPY', ''.join(lines)[:3000])\n"
    "    return lines\n"
    "get_ipython().input_transformers_cleanup.append(spy)\n")


def _digest(folder):
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The class, graded once; returns what the tests look at."""
    root = tmp_path_factory.mktemp("hostile")
    course = small_course(root / "course")
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"

    def hand_in(student, changes):
        return write_submission(course, student, "lab1",
                                {NOTEBOOK: fill_answers(release, {**solutions, **changes})})

    honest = hand_in("honest", {})
    for student, code in FORGERS.items():
        hand_in(student, {"relu": LEAKY + code})
    hand_in("spy", {"neurons": solutions["neurons"] + "\n" + SPY})
    # the folder: a link out to an instructor's file, a notebook that is a link,
    # a pipe named like the notebook, a package that shadows numpy
    secret = root / "instructor-only.txt"
    secret.write_text("grader's secret\n")
    folder = hand_in("link-out", {})
    os.symlink(secret, folder / "notes.txt")
    folder = hand_in("link-notebook", {})
    (folder / f"{NOTEBOOK}.ipynb").unlink()
    os.symlink(honest / f"{NOTEBOOK}.ipynb", folder / f"{NOTEBOOK}.ipynb")
    folder = hand_in("fifo", {})
    (folder / f"{NOTEBOOK}.ipynb").unlink()
    os.mkfifo(folder / f"{NOTEBOOK}.ipynb")
    folder = hand_in("numpy-shadow", {"relu": LEAKY})
    (folder / "numpy.py").write_text("allclose = lambda *a, **k: True\n")
    # code that tries to write outside its own folder
    escape = ("import os\n"
              f"for target in ({str(course.root / 'pwned.txt')!r}, "
              f"{str(honest / (NOTEBOOK + '.ipynb'))!r}, {str(secret)!r}):\n"
              "    try:\n"
              "        open(target, 'w').write('pwned')\n"
              "    except OSError as err:\n"
              "        print('refused', type(err).__name__)\n")
    hand_in("writes-out", {"relu": LEAKY + escape})
    # a fork bomb, and a program started from the notebook
    bomb = ("import os, subprocess\n"
            "try:\n"
            "    while True:\n"
            "        if os.fork() == 0:\n"
            "            os._exit(0)\n"
            "except OSError as err:\n"
            "    print('fork refused', type(err).__name__)\n"
            "try:\n"
            "    subprocess.run(['true'])\n"
            "    print('a program ran')\n"
            "except OSError as err:\n"
            "    print('program refused', type(err).__name__)\n")
    hand_in("forker", {"relu": LEAKY + bomb})
    # names a spreadsheet runs or a terminal obeys
    for name in ('=HYPERLINK("http:x","y")', "bad\x1b[31mred"):
        bad = course.submitted / name / "lab1"
        bad.mkdir(parents=True)
        nbformat.write(fill_answers(release, solutions), str(bad / f"{NOTEBOOK}.ipynb"))

    before = {"honest": _digest(honest), "secret": secret.read_text(),
              "source": _digest(course.source), "release": _digest(course.release)}
    # grading's own temporary folders go to a folder of this test, checked after
    scratch = root / "tmp"
    scratch.mkdir()
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(scratch), str(scratch)
    try:
        outcomes = {o.student: o for o in coordinator.autograde(course, "lab1", jobs=2,
                                                                progress=lambda *_: None)}
        save_outcomes(course, list(outcomes.values()))
        grading.feedback(course, "lab1", list(outcomes.values()), jobs=2,
                         progress=lambda *_: None)
    finally:
        if saved[0] is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]
    runtime = os.environ.get("NN_KIT_RUNTIME", "")
    left = {p.name for p in scratch.iterdir() if str(p) != runtime}
    return {"course": course, "outcomes": outcomes, "before": before, "honest": honest,
            "secret": secret, "left": left, "solutions": solutions}


def _lost(course, student):
    scores = cell_scores(course, "lab1", student, NOTEBOOK)
    return sorted(cell for cell, (score, top) in scores.items() if score < top)


def test_an_honest_student_keeps_every_point(hostile):
    assert hostile["outcomes"]["honest"].graded
    assert _lost(hostile["course"], "honest") == []


@pytest.mark.parametrize("student", sorted(FORGERS) + ["numpy-shadow"])
def test_forging_in_the_kernel_wins_nothing(hostile, student):
    """Hooks, transformers, lying arrays, patched numpy or helpers, a fake grader
    interface: test_relu still loses its points, and no cell gains any."""
    course, outcome = hostile["course"], hostile["outcomes"][student]
    assert outcome.graded, outcome.message
    lost = _lost(course, student)
    assert "test_relu" in lost
    if student not in ("input-transformer", "ast-transformer", "fake-agent"):
        # these three break every later cell of their own notebook, which costs them more
        assert lost == ["test_relu"], lost


@pytest.mark.parametrize("student, flag", [
    ("fake-agent", "utils.grader.agent.serve"), ("trace-hook", "a hook set with sys.settrace"),
    ("input-transformer", "no valid answer from the kernel"),
    ("patched-numpy", "np.allclose"), ("own-checks", "utils.checks.check_close")])
def test_tampering_is_flagged_for_the_instructor(hostile, student, flag):
    """A flag in the report (it never adds a point): what was replaced, or that
    the kernel stopped answering properly."""
    message = hostile["outcomes"][student].message
    assert "TAMPERING" in message and flag in message, message


def test_nothing_the_kernel_prints_passes_for_a_verdict(hostile):
    """The graded test cells hold only what the grader wrote."""
    course = hostile["course"]
    nb = nbformat.read(str(course.autograded / "forged-output" / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_relu":
            text = "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)
            assert "All visible checks passed" not in text
            assert any(o.output_type == "error" for o in cell.outputs)


def test_a_spy_in_the_kernel_never_sees_a_hidden_test(hostile):
    """Test cells never run in the kernel: what the kernel is asked to run holds
    no hidden test, in the graded notebook or in the feedback."""
    course = hostile["course"]
    assert hostile["outcomes"]["spy"].graded
    assert _lost(course, "spy") == []
    source = nbformat.read(str(course.source / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    hidden = {line.strip() for cell in source.cells for line in
              cell.source.split("### BEGIN HIDDEN TESTS", 1)[-1].split("### END HIDDEN TESTS")[0]
              .splitlines() if "### BEGIN HIDDEN TESTS" in cell.source and len(line.strip()) > 20}
    assert hidden
    graded = nbformat.read(str(course.autograded / "spy" / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    outputs = "".join(o.get("text", "") + o.get("evalue", "") for c in graded.cells
                      for o in c.get("outputs", []))
    assert "SPY" in outputs, "the spy should have run"
    assert "BEGIN HIDDEN TESTS" not in outputs
    assert not [line for line in hidden if line in outputs]
    page = (course.feedback / "spy" / "lab1" / f"{NOTEBOOK}.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in page


def test_links_in_a_folder_are_left_behind_and_reported(hostile):
    course, outcomes = hostile["course"], hostile["outcomes"]
    assert outcomes["link-out"].graded and _lost(course, "link-out") == []
    assert "notes.txt is a symbolic link" in outcomes["link-out"].message
    assert not (course.feedback / "link-out" / "lab1" / "notes.txt").exists()
    assert not (course.autograded / "link-out" / "lab1" / "notes.txt").exists()
    assert not outcomes["link-notebook"].graded
    assert "symbolic link" in outcomes["link-notebook"].message


def test_a_pipe_named_like_a_notebook_is_refused_without_a_hang(hostile):
    outcome = hostile["outcomes"]["fifo"]
    assert not outcome.graded and "not a regular file" in outcome.message


def test_student_code_writes_nothing_outside_its_sandbox(hostile):
    course = hostile["course"]
    assert hostile["outcomes"]["writes-out"].graded
    assert not (course.root / "pwned.txt").exists()
    assert _digest(hostile["honest"]) == hostile["before"]["honest"]
    assert _digest(course.source) == hostile["before"]["source"]
    assert _digest(course.release) == hostile["before"]["release"]
    assert hostile["secret"].read_text() == hostile["before"]["secret"]


def test_no_process_can_be_started_in_the_sandbox(hostile):
    """Not as root either: the first fork fails, the notebook is graded as usual."""
    course = hostile["course"]
    assert hostile["outcomes"]["forker"].graded
    assert _lost(course, "forker") == ["test_relu"]
    nb = nbformat.read(str(course.autograded / "forker" / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "fork refused PermissionError" in printed
    assert "program refused PermissionError" in printed and "a program ran" not in printed


def test_names_a_spreadsheet_or_terminal_would_obey_are_refused(hostile):
    outcomes = hostile["outcomes"]
    for name in ('=HYPERLINK("http:x","y")', "bad\x1b[31mred"):
        assert not outcomes[name].graded
        assert "is not allowed" in outcomes[name].message
        assert "\x1b" not in outcomes[name].message
    assert _lost(hostile["course"], "honest") == []
    table = score_table(hostile["course"], "lab1", list(outcomes.values()))
    assert "\x1b" not in table and "honest" in table


def test_grading_leaves_no_temporary_folders(hostile):
    assert hostile["left"] == set()


def test_stock_nbgrader_refuses_a_hostile_folder(hostile):
    """`nbgrader autograde` with the course config checks the folder first."""
    course = hostile["course"]
    for student, why in (("link-out", "symbolic link"), ("fifo", "not a regular file")):
        done = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", "lab1",
             "--student", student, "--force"],
            cwd=course.root, capture_output=True, text=True, timeout=300)
        assert done.returncode != 0
        assert why in done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr


#: Sent through the grading service as well: the forgers and the spy (graded,
#: flagged), the folders' links and pipe, and names a terminal would obey.
THROUGH_THE_SERVICE = ("honest", "input-transformer", "liar-array", "patched-numpy",
                       "fake-agent", "spy", "numpy-shadow", "link-out", "link-notebook", "fifo",
                       '=HYPERLINK("http:x","y")', "bad\x1b[31mred")


def _copy_as_is(source, target):
    """Copy a submission folder keeping its links and pipes as they are."""
    target.mkdir(parents=True)
    for entry in os.scandir(source):
        path = target / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), path)
        elif stat.S_ISFIFO(entry.stat(follow_symlinks=False).st_mode):
            os.mkfifo(path)
        elif entry.is_dir():
            _copy_as_is(Path(entry.path), path)
        else:
            shutil.copyfile(entry.path, path)


def test_the_grading_service_gives_the_same_outcomes(hostile, tmp_path):
    """The same folders, handed in through an exchange to the grading service:
    the same points lost and kept, the same flags, the same refusals."""
    import secrets
    import time
    from utils.grader.service import Service
    course = small_course(tmp_path / "course", config=(
        f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n"
        "c.LiveGrading.check_owner = False\n"))
    course.root.chmod(0o700)
    inbound = tmp_path / "exchange" / "nn-from-scratch" / "inbound"
    for student in THROUGH_THE_SERVICE:
        folder = inbound / f"{student}+lab1+2026-12-07 10:00:00.000000 UTC+{secrets.token_hex(4)}"
        _copy_as_is(hostile["course"].submitted / student / "lab1", folder)
        (folder / "timestamp.txt").write_text("2026-12-07 10:00:00.000000 UTC")
        (folder / "submission_secret.txt").write_text(secrets.token_hex(64))
    # a cell that calls itself a passed test worth 100 points, and a copied test cell
    forged = nbformat.read(str(hostile["course"].submitted / "honest" / "lab1"
                               / f"{NOTEBOOK}.ipynb"), 4)
    fake = nbformat.v4.new_code_cell("pass", metadata={
        "nbgrader": {"grade": True, "solution": False, "locked": True, "points": 100,
                     "grade_id": "test_extra_credit", "schema_version": 3},
        "nnkit": {"passed": True, "feedback": ""}})
    copied = next(c for c in forged.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "test_relu")
    forged.cells += [fake, nbformat.from_dict(dict(copied))]
    folder = inbound / f"fake-cells+lab1+2026-12-07 10:00:00.000000 UTC+{secrets.token_hex(4)}"
    folder.mkdir()
    nbformat.write(forged, str(folder / f"{NOTEBOOK}.ipynb"))
    (folder / "timestamp.txt").write_text("2026-12-07 10:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text(secrets.token_hex(64))
    lines = []
    service = Service(course, jobs=2, log=lines.append, clock=lambda: time.time() + 5)
    service.run(once=True)
    said = "\n".join(lines)
    entries = {e.student: e for e in service.queue.entries()}
    service.queue.close()
    for student in THROUGH_THE_SERVICE:
        before = hostile["outcomes"][student]
        if not before.graded:
            assert student not in entries, student      # refused on arrival
            continue
        entry = entries[student]
        assert entry.state == "graded", (student, entry.note)
        assert _lost(course, student) == _lost(hostile["course"], student), student
        assert bool(entry.outcome.get("tampering")) == bool(before.tampering), student
    assert "notes.txt is a symbolic link" in entries["link-out"].note
    assert "REFUSED" in said and "symbolic link" in said and "not a regular file" in said
    assert "is not allowed" in said and "\x1b" not in said
    page = (course.root / "service" / "pages" / str(entries["spy"].id)
            / f"{NOTEBOOK}.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in page and "SPY" not in page
    # the page lists the instructor's tests, each once, whatever cells the notebook holds
    page = (course.root / "service" / "pages" / str(entries["fake-cells"].id)
            / f"{NOTEBOOK}.html").read_text()
    assert "test_extra_credit" not in page and page.count("<td>test_relu</td>") == 1
    assert "5 of 5 checked exercises passed; 11 of 11 points" in page, page
