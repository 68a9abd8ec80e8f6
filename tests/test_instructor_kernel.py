"""Source notebooks run top to bottom in the instructor's own kernels.

The instructor's ``python3`` kernel gives test cells ``lend`` and ``in_kernel``
with the meaning grading gives them (:mod:`utils.grader.instructor_kernel`);
a student's kernel, a release and a grading kernel have neither.
"""
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from conftest import KIT
from utils.course import ASSIGNMENTS, Course
from utils.grader import instructor_kernel, kernels, sandbox
from utils.student_setup import student_environment

COURSE = Course(KIT)
HELPERS = str(KIT / "utils" / "grader" / "instructor_kernel.py")


@pytest.mark.fast
def test_lend_lasts_one_cell_and_in_kernel_calls_here():
    """lend() replaces names until the end of the cell (names that did not exist
    disappear again); in_kernel() calls the function on the notebook's objects."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell(config=config)
    try:
        instructor_kernel.load_ipython_extension(shell)
        shell.run_cell("f = lambda: 'student'")
        shell.run_cell("lend(f=lambda: 'lent', g=1)\nlend(f=lambda: 'again')\nduring = f(), g")
        shell.run_cell("after = f(), 'g' in dir()")
        shell.run_cell("called = in_kernel(len, [1, 2, 3])")
        assert shell.user_ns["during"] == ("again", 1)
        assert shell.user_ns["after"] == ("student", False)
        assert shell.user_ns["called"] == 3
    finally:
        shell.clear_instance()


@pytest.mark.fast
def test_the_helpers_are_in_no_kernel_but_the_instructors(tmp_path):
    """The environment's python3 spec loads the helpers; grading's specs (sandboxed
    or not), the kernel files a grading kernel sees, a student's home and every
    release do not."""
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert HELPERS in spec.argv, "run make (or python -m utils.grader.instructor_kernel install)"
    assert HELPERS not in kernels.PlainPython().get_kernel_spec("python3").argv
    folder = sandbox.kernel_spec(tmp_path / "specs", str(tmp_path / "kit"))
    sandboxed = KernelSpecManager(kernel_dirs=[os.path.join(folder, "kernels")]) \
        .get_kernel_spec(sandbox.KERNEL_NAME)
    assert HELPERS not in " ".join(sandboxed.argv)
    assert not any("instructor_kernel" in name for name in sandbox.KERNEL_FILES)
    env = student_environment(tmp_path / "home")
    listed = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
                            env=env, capture_output=True, text=True, check=True)
    student = json.loads(listed.stdout)["kernelspecs"]["python3"]["spec"]
    assert HELPERS not in student["argv"]
    for assignment in ASSIGNMENTS:
        shipped = list((COURSE.release / assignment).rglob("*"))
        assert not any("instructor_kernel" in p.name for p in shipped)
        assert not any("instructor_kernel" in p.read_text(errors="replace")
                       for p in shipped if p.is_file())


RUN = """import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path = sys.argv[1]
nb = nbformat.read(path, 4)
try:
    NotebookClient(nb, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
except CellExecutionError as err:
    sys.exit(str(err)[-3000:])
"""


def _run_source(assignment, home):
    """Run every source notebook of ``assignment`` top to bottom in the instructor's
    kernel, in a copy of its folder; ``[problems]``."""
    folder = home / assignment
    shutil.copytree(COURSE.source / assignment, folder)
    problems = []
    for path in sorted(folder.glob("*.ipynb")):
        done = subprocess.run([sys.executable, "-c", RUN, str(path), str(folder)],
                              capture_output=True, text=True, timeout=1200,
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith("JUPYTER")})
        if done.returncode:
            problems.append(f"{assignment}/{path.name}: {done.stderr[-2000:]}")
    return problems


def test_every_source_notebook_runs_top_to_bottom_in_the_instructors_kernel(tmp_path):
    """Run All on each source notebook, hidden tests included, passes in a real
    kernel of the instructor's environment."""
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(lambda a: _run_source(a, tmp_path), ASSIGNMENTS))
    problems = [p for found_here in found for p in found_here]
    assert not problems, "\n".join(problems)


def test_nbgrader_validate_passes_a_source_notebook(tmp_path):
    """nbgrader validate runs a source notebook's tests, hidden ones included."""
    folder = tmp_path / "lab2"
    shutil.copytree(COURSE.source / "lab2", folder)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", "01_neuron.ipynb"],
                          cwd=folder, capture_output=True, text=True, timeout=600,
                          env={k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Success! Your notebook passes all the tests." in done.stdout, done.stdout[-2000:]
