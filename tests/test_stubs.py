"""Points go only to values: a stub of the right shape earns nothing.

Every graded function and method is listed in the ``STUBS`` of its notebook's
variant file with the grade cells that test it.  The synthetic class (see
``conftest.py``) holds one student per stub: the solutions with that one
function wrapped so that it returns zeros, shapes and types unchanged
(``selftest --stubs`` adds all ones, transposed and doubled outputs).
Each listed cell must score 0.

Before a student writes anything, every stub says so: Run All on each
untouched notebook of the committed release reaches the last cell, and each
unwritten exercise, and each cell that needs what one would have made, shows
one short line, never a traceback.
"""
import ast
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from conftest import KIT
from utils.checks import not_made, not_written
from utils.selftest import stub_problems
from utils.student_release import RAISES
from utils.student_setup import student_environment
from utils.submissions import STUB_KINDS, stub_answers, unstubbed

ASSIGNMENTS = ("lab1", "lab2", "hw1", "hw2")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_function_has_stubs(graded, assignment):
    """Each function or class an answer cell defines is listed in STUBS."""
    missing = {notebook: unstubbed(graded.course, assignment, notebook)
               for notebook in graded.course.notebooks(assignment)}
    assert not any(missing.values()), {k: v for k, v in missing.items() if v}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_stub_earns_a_point(graded, assignment):
    """Zeros stubs score 0 in every cell that tests them."""
    planned = graded.stubs[assignment]
    assert planned, f"{assignment} has no stubs to grade"
    problems = stub_problems(graded.course, assignment, planned)
    assert not problems, "\n".join(problems)


def _defined(code, name):
    namespace = {"np": np}
    exec(code, namespace)                                    # noqa: S102 - test data
    return namespace[name]


SOLUTION = {"f": "def f(x):\n    return x @ np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])\n",
            "k": "class K:\n    def __init__(self):\n        self.w = np.ones((2, 3))\n"
                 "        self.n = 3\n    def step(self):\n        self.w = self.w + 1\n"
                 "        self.grads = {'dw': np.full((2, 3), 0.5)}\n"
                 "    def refresh(self):\n        self.grads['dw'] = self.w * 3\n"
                 "    def __iter__(self):\n        yield self.w, 7\n"}


def test_stub_kinds_keep_shape_and_type_and_change_values():
    """Each stub kind keeps what a shape or type check sees and changes the values."""
    x = np.array([[1.0, -1.0]])
    right = _defined(SOLUTION["f"], "f")(x)
    for kind in STUB_KINDS:
        code = stub_answers(SOLUTION, "f", kind)["f"]
        got = _defined(code, "f")(x)
        assert isinstance(got, np.ndarray) and got.dtype == right.dtype
        assert got.shape == (right.T.shape if kind == "transposed" else right.shape)
        assert not np.array_equal(got, right), kind


def test_method_stubs_change_what_the_call_set_and_yielded():
    """A method stub changes the attributes the call set or changed; a generator
    method's items are changed; what the call did not touch stays."""
    code = stub_answers(SOLUTION, "K.step", "zeros")["k"]
    k = _defined(code, "K")()
    k.step()
    assert not k.w.any() and not k.grads["dw"].any() and k.n == 3
    code = stub_answers(SOLUTION, "K.refresh", "ones")["k"]
    k = _defined(code, "K")()
    k.step()
    k.refresh()                       # a new array in a dict the call did not replace
    assert (k.grads["dw"] == 1).all() and (k.w == 2).all()
    code = stub_answers(SOLUTION, "K.__init__", "doubled")["k"]
    k = _defined(code, "K")()
    assert k.n == 6 and (k.w == 2).all()
    code = stub_answers(SOLUTION, "K.__iter__", "ones")["k"]
    k = _defined(code, "K")()
    (w, seven), = list(k)
    assert (w == 1).all() and seven == 1


# -- Run All on the untouched release -------------------------------------------------

RUN_ALL = """import shutil, sys, nbformat
from pathlib import Path
from nbclient import NotebookClient
release, work = Path(sys.argv[1]), Path(sys.argv[2])
for assignment in sys.argv[3:]:
    folder = work / assignment
    shutil.copytree(release / assignment, folder)
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(str(path), 4)
        NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        nbformat.write(nb, str(path))
"""

#: Every line a cell of an untouched notebook may show: the two wordings of
#: utils.checks, whatever the names.
LINES = re.compile("|".join(
    re.escape(line).replace("NAME", r"[\w.]+").replace("NOTEBOOK", r"\w+")
    for line in (not_written("NAME"), not_written(None), not_written("NAME", "NOTEBOOK"),
                 not_made("NAME", "NAME"), not_made("NAME"))))


@pytest.fixture(scope="module")
def untouched_runs(tmp_path_factory):
    """``{(assignment, notebook): executed notebook}``: every notebook of the committed
    release run top to bottom, untouched, beside its untouched siblings, as a
    student's Run All runs it (nbclient in the student's environment)."""
    home = tmp_path_factory.mktemp("run-all")
    done = subprocess.run([sys.executable, "-c", RUN_ALL, str(KIT / "release"),
                           str(home / "work"), *ASSIGNMENTS],
                          env=student_environment(home), capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return {(a, path.stem): nbformat.read(str(path), 4)
            for a in ASSIGNMENTS for path in sorted((home / "work" / a).glob("*.ipynb"))}


def _unwritten(nb):
    """``[(cell numbers, names)]``, one per answer cell (an exercise) that leaves
    functions or methods to write: the answer cell and the cells up to the next
    one (its example and test), and those names."""
    answers = [k for k, c in enumerate(nb.cells) if c.cell_type == "code"
               and c.metadata.get("nbgrader", {}).get("solution")]
    exercises = []
    for k, end in zip(answers, answers[1:] + [len(nb.cells)]):
        tree = ast.parse("\n".join(line for line in nb.cells[k].source.splitlines()
                                   if not line.lstrip().startswith(("%", "!"))))
        names = set()
        for node in tree.body:
            inside = [node] if isinstance(node, ast.FunctionDef) else [
                m for m in getattr(node, "body", []) if isinstance(node, ast.ClassDef)
                and isinstance(m, ast.FunctionDef)]
            for func in inside:
                if any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n)
                       for n in ast.walk(func)):
                    names.add(func.name if func is node else f"{node.name}.{func.name}")
        if names:
            exercises.append((range(k, end), names))
    return exercises


def _shown(cell):
    """Every line a cell shows on stderr or as its error."""
    for output in cell.outputs:
        if output.output_type == "error":
            yield from output.traceback
        elif output.output_type == "stream" and output.name == "stderr":
            yield from output.text.splitlines()


def test_run_all_on_every_untouched_notebook_says_one_line_per_unwritten_exercise(
        untouched_runs):
    """Each untouched notebook runs to its last cell; everything a cell shows on
    stderr or as an error is one line of the two wordings (no traceback, no
    backticks, at most 80 characters for nbgrader validate); a cell that shows one
    is tagged raises-exception, so JupyterLab's Run All goes on past it; each
    exercise is named by one of the functions or methods it leaves to write."""
    assert {a for a, _ in untouched_runs} == set(ASSIGNMENTS)
    problems = []
    for (assignment, notebook), nb in untouched_runs.items():
        where = f"{assignment}/{notebook}"
        code = [(k, c) for k, c in enumerate(nb.cells) if c.cell_type == "code"]
        if not all(c.get("execution_count") for _, c in code):
            problems.append(f"{where}: Run All did not reach the last cell")
        said = {}
        for number, cell in code:
            text = "\n".join(o.get("text", "") + "\n".join(o.get("traceback", []))
                             for o in cell.outputs)
            if "Traceback" in text:
                problems.append(f"{where}, cell {number}: a traceback")
            said[number] = shown = list(_shown(cell))
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if any(len(o.traceback) != 1 for o in errors):
                problems.append(f"{where}, cell {number}: an error of more than one line")
            if errors and RAISES not in cell.metadata.get("tags", []):
                problems.append(f"{where}, cell {number}: fails but is not {RAISES}")
            for line in shown:
                if not LINES.fullmatch(line) or len(line) > 80:
                    problems.append(f"{where}, cell {number}: {line!r}")
        everything = [line for shown in said.values() for line in shown]
        for cells, names in _unwritten(nb):
            # named somewhere (the first method a cell meets names its class), or its
            # own cells name an earlier exercise it needs first
            if not any(line.startswith(f"{name} is not written yet")
                       or line.endswith(f": {name} is not written yet.")
                       for line in everything for name in names) \
                    and not any(said.get(k) for k in cells):
                problems.append(f"{where}: nothing says {sorted(names)} is not written yet")
    assert not problems, "\n".join(problems)
