"""What a student's own visible checks say about a prepared mistake.

Grading gives each test correct earlier exercises, so a mistake costs points
once; a student's notebook has only the student's own.  A mistake's
``says`` (tests/variants) names the words each visible check must show when
the notebook is run with that mistake and every other answer right: the
check of an exercise that uses a wrong earlier one names the earlier one.

The notebooks run in the student's environment, cell after cell in one
IPython shell per assignment (no kernel), up to the last cell a mistake
speaks of.
"""
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import KIT
from utils.course import ASSIGNMENTS, Course
from utils.student_setup import student_environment
from utils.submissions import fill_answers, load_variants, solution_answers

COURSE = Course(KIT)

#: Runs in the student's environment: ``argv[1]`` a JSON file of jobs
#: ``{"key", "folder", "notebook", "until"}``, ``argv[2]`` where to write
#: ``{key: {grade id: what its cell showed, or null}}``.
RUN = r"""
import contextlib, io, json, os, sys
os.environ["MPLBACKEND"] = "Agg"
import nbformat
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
jobs = json.load(open(sys.argv[1]))
found = {}
for job in jobs:
    os.chdir(job["folder"])
    nb = nbformat.read(job["notebook"] + ".ipynb", 4)
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shown = found.setdefault(job["key"], {})
    first = True
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # a shell without a kernel has no inline backend: plots go to Agg, the
        # rest of the cell (imports, the notebook's seed) runs as in a kernel
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith("%matplotlib"))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = shell.run_cell(source, store_history=False)
        if first and result.error_in_exec is not None:
            raise SystemExit(f"{job['notebook']}: its first code cell failed: "
                             f"{result.error_in_exec!r}")
        first = False
        error = result.error_in_exec or result.error_before_exec
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid and cell.metadata.get("nbgrader", {}).get("grade"):
            text = str(error) if type(error).__name__ == "CheckFailed" else \
                f"{type(error).__name__}: {error}" if error else None
            shown[gid] = text
        if gid == job["until"]:
            break
    InteractiveShell.clear_instance()
json.dump(found, open(sys.argv[2], "w"))
"""


def _spoken():
    """``[(assignment, variant)]`` of every variant with words to show."""
    return [(a, v) for a in ASSIGNMENTS for nb in COURSE.notebooks(a)
            for v in load_variants(a, nb) if v.says]


def _cell(variant, key):
    """``(notebook, grade id)`` of a ``says`` key."""
    notebook, _, gid = key.rpartition(":")
    return notebook or variant.notebook, gid


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    """``{(assignment, variant name): {(notebook, grade id): text}}``, all variants of
    all assignments run in one process per assignment, side by side."""
    home = tmp_path_factory.mktemp("messages")
    runs, found = [], {}
    for assignment in ASSIGNMENTS:
        jobs = []
        right = {nb: solution_answers(COURSE.source / assignment / f"{nb}.ipynb")
                 for nb in COURSE.notebooks(assignment)}
        for number, (a, variant) in enumerate(_spoken()):
            if a != assignment:
                continue
            folder = home / assignment / str(number)
            shutil.copytree(COURSE.release / assignment, folder)
            for nb, answers in right.items():
                mine = dict(answers, **variant.answers) if nb == variant.notebook else answers
                mine = {k: v for k, v in mine.items()
                        if k in {c.metadata.get("nbgrader", {}).get("grade_id")
                                 for c in nbformat.read(str(folder / f"{nb}.ipynb"), 4).cells}}
                nbformat.write(fill_answers(folder / f"{nb}.ipynb", mine),
                               str(folder / f"{nb}.ipynb"))
            cells = [_cell(variant, key) for key in variant.says]
            for nb in sorted({nb for nb, _ in cells}):
                order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in
                         nbformat.read(str(folder / f"{nb}.ipynb"), 4).cells]
                until = max((gid for n, gid in cells if n == nb), key=order.index)
                jobs.append({"key": f"{variant.name}|{nb}", "folder": str(folder),
                             "notebook": nb, "until": until})
        if not jobs:
            continue
        (home / f"{assignment}.json").write_text(json.dumps(jobs))
        runs.append((assignment, subprocess.Popen(
            [sys.executable, "-c", RUN, str(home / f"{assignment}.json"),
             str(home / f"{assignment}.out.json")], cwd=str(home),
            env=student_environment(home), stderr=subprocess.PIPE, text=True)))
    for assignment, process in runs:
        _, err = process.communicate(timeout=1200)
        assert process.returncode == 0, f"{assignment}: {err[-3000:]}"
        for key, cells in json.loads((home / f"{assignment}.out.json").read_text()).items():
            name, _, nb = key.rpartition("|")
            for gid, text in cells.items():
                found.setdefault((assignment, name), {})[(nb, gid)] = text
    return found


@pytest.mark.parametrize("assignment, variant",
                         [pytest.param(a, v, id=f"{a}/{v.notebook}: {v.name}") for a, v in _spoken()])
def test_a_visible_check_names_the_real_cause(shown, assignment, variant):
    """Each cell a mistake speaks of fails in the student's notebook with those words."""
    cells = shown.get((assignment, variant.name), {})
    for key, words in variant.says.items():
        cell = _cell(variant, key)
        assert cell in cells, f"{key}: the cell did not run"
        text = cells[cell]
        assert text is not None, f"{key}: passed, but should say {words!r}"
        assert words in text, f"{key}: says {text!r}, not {words!r}"
