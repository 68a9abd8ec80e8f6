"""How long each source notebook takes to run with its solutions.

    .venv/bin/python benchmarks/notebooks.py [ASSIGNMENT ...]

Runs every source notebook top to bottom (as a lecturer or nbgrader's
validation would) and prints its wall time and its ratio to a baseline
measured in the same run: a notebook that only imports NumPy and the kit's
helpers, so the ratio says how much work the notebook adds to starting a
kernel.  Run it on an idle machine; it asserts nothing.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from utils.course import Course, prepare_environment  # noqa: E402

BASELINE = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "import numpy as np\nimport matplotlib.pyplot as plt\nfrom utils import checks, plots")])


def run(nb, folder):
    """Seconds to execute ``nb`` in ``folder`` with a fresh kernel."""
    with tempfile.TemporaryDirectory() as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=os.path.join(sockets, "kernel"))
        started = time.perf_counter()
        try:
            NotebookClient(nb, km=km, timeout=600,
                           resources={"metadata": {"path": str(folder)}}).execute()
            return time.perf_counter() - started
        finally:
            if km.has_kernel:   # a kernel we started is ours to stop
                km.shutdown_kernel(now=True)


def main(assignments):
    prepare_environment()
    course = Course(KIT)
    assignments = assignments or course.assignments()
    baseline = min(run(BASELINE, KIT) for _ in range(3))
    print(f"baseline (kernel start and imports): {baseline:.2f} s")
    print(f"{'notebook':40s} {'seconds':>8s} {'x baseline':>11s}")
    for assignment in assignments:
        for name in course.notebooks(assignment):
            path = course.source / assignment / f"{name}.ipynb"
            seconds = run(nbformat.read(str(path), 4), path.parent)
            print(f"{assignment + '/' + name:40s} {seconds:8.2f} {seconds / baseline:11.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
