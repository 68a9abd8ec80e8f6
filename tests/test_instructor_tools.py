"""The instructor's tools: quiet stock commands, offline feedback, progress lines.

Each test builds a small course (lab1's first notebook, two students) of its
own, so it can run alone with ``-k``.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from conftest import small_course
from utils import grading
from utils.grader import coordinator, progress
from utils.grader.outcome import save_outcomes
from utils.grader.feedback import TABLE_CSS, FeedbackFromVerdicts
from utils.offline import page_resources
from utils.submissions import grade_id, synthetic_class, write_submission

NOTEBOOK = "01_single_neuron"
EDITED_TEST = "test_relu"          # a test cell with hidden tests
EDIT = "\nprint('this test is mine now')"


def _course_with_class(folder):
    """lab1/01 released; ``correct`` hands in the solutions, ``editor`` the
    solutions with a line added to a locked test cell."""
    course = small_course(folder, "lab1", (NOTEBOOK,))
    students, _ = synthetic_class(course, "lab1", mistake_students=0, alternative_students=0)
    write_submission(course, "correct", "lab1", students["correct"])
    edited = nbformat.from_dict(students["correct"][NOTEBOOK])
    for cell in edited.cells:
        if grade_id(cell) == EDITED_TEST:
            cell.source += EDIT
    write_submission(course, "editor", "lab1", {NOTEBOOK: edited})
    return course


def _nbgrader(course, *args):
    """Stock nbgrader, run in the course folder as an instructor would."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course.root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """The small class graded by the kit, with the progress lines it printed."""
    course = _course_with_class(tmp_path_factory.mktemp("kit") / "course")
    lines = []
    outcomes = coordinator.autograde(course, "lab1", jobs=2, progress=lines.append)
    save_outcomes(course, outcomes)
    return course, {o.student: o for o in outcomes}, lines


def test_stock_autograde_warns_only_about_a_changed_test_cell(tmp_path):
    """`nbgrader autograde` in the course folder: nothing to warn about for a
    correct submission (nbgrader alone warns once per test cell with hidden
    tests, and SQLAlchemy three times per student); the student who edited a
    locked test cell is still reported, and graded with the instructor's cell."""
    course = _course_with_class(tmp_path / "course")
    result = _nbgrader(course, "autograde", "lab1")
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stderr + result.stdout
    noisy = [line for line in log.splitlines() if re.search(r"WARNING|Warning:", line)]
    assert len(noisy) == 1, noisy
    assert f"Attribute 'checksum' for cell {EDITED_TEST} has changed" in noisy[0]
    sanitized = [line for line in log[:log.index(noisy[0])].splitlines() if "Sanitizing" in line]
    assert "/editor/lab1/" in sanitized[-1], sanitized
    graded = nbformat.read(str(course.autograded / "editor" / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    cell = next(c for c in graded.cells if grade_id(c) == EDITED_TEST)
    assert EDIT.strip() not in cell.source and "BEGIN HIDDEN TESTS" in cell.source


def test_kit_autograde_reports_progress_and_the_changed_cell(graded_course):
    """One line per student with score, seconds, and a bar over the class's
    notebooks with the rate and what is left; the edit is named in the
    student's remark."""
    _, outcomes, lines = graded_course
    assert lines[0] == "  grading 2 notebook(s) of 2 submission(s) of lab1, 2 at a time"
    done = [line for line in lines[1:] if re.match(r"  \[\d/2\] ", line)]
    assert len(done) == 2, lines
    for line in done:
        assert re.match(r"  \[\d/2\] (correct|editor) / lab1: graded, 11/11 points, \d+ s  "
                        r"\[[#-]{20}\] [12]/2 notebooks, \d+\.\d\d/s", line), line
    assert "#" * 10 + "-" * 10 in done[0] and "#" * 20 in done[1]
    assert "left" in done[0] and "left" not in done[1]
    assert outcomes["correct"].message == ""
    assert outcomes["editor"].message == (
        f"{NOTEBOOK}: changed locked cell(s) {EDITED_TEST} (graded in the instructor's version)")


def _check_feedback_folder(folder):
    """Only the pages and MathJax; no web resource while the copy is there;
    every local one exists; styled tables; no link to a file not there."""
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{NOTEBOOK}.html", "mathjax"], names
    size = sum(p.stat().st_size for p in (folder / "mathjax").rglob("*") if p.is_file())
    assert size < 8 * 2 ** 20, f"MathJax copy of {size / 2 ** 20:.1f} MB"
    html = (folder / f"{NOTEBOOK}.html").read_text()
    loads = page_resources(html)
    assert any(url.startswith("mathjax/MathJax.js") for _, url in loads), loads
    # the web's MathJax only where the copy is missing (nbgrader's exchange
    # hands out the pages alone)
    assert "if (!window.MathJax) {" in html
    for what, url in loads:
        assert not re.match(r"(https?:)?//", url), (what, url)
        local = folder / unquote(url.split("?")[0].split("#")[0])
        assert local.is_file(), (what, url)
    links = re.findall(r'<a\b[^>]*href="([^"#][^"]*)"', html)
    assert [u for u in links if not re.match(r"https?://", u)] == [], links
    assert TABLE_CSS.strip().splitlines()[0] in html
    return html


def test_feedback_holds_pages_and_mathjax_only(graded_course):
    """The kit's feedback and stock `nbgrader generate_feedback` both write the
    pages and one MathJax copy per folder, nothing of the submission."""
    course, outcomes, _ = graded_course
    lines = []
    folders = grading.feedback(course, "lab1", [outcomes["correct"]], progress=lines.append)
    assert folders == [course.feedback / "correct" / "lab1"]
    assert re.fullmatch(r"  \[1/1\] feedback for correct / lab1, \d+ s", lines[0]), lines
    _check_feedback_folder(folders[0])

    result = _nbgrader(course, "generate_feedback", "lab1", "--student", "editor")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not re.search(r"WARNING|Warning:", result.stderr), result.stderr
    html = _check_feedback_folder(course.feedback / "editor" / "lab1")
    assert "BEGIN HIDDEN TESTS" not in html and EDIT.strip() not in html


def test_markdown_links_to_assignment_files_keep_their_words():
    """CONVENTIONS.md is not beside the feedback page: its link becomes text;
    web links and anchors stay."""
    cell = new_markdown_cell("See [the conventions](CONVENTIONS.md), "
                             "[NumPy](https://numpy.org) and [above](#top). ![a plot](plot.png)")
    cell, _ = FeedbackFromVerdicts().preprocess_cell(cell, {}, 0)
    assert cell.source == ("See the conventions, [NumPy](https://numpy.org) and "
                           "[above](#top). ")


def test_durations_and_time_left_read_well(monkeypatch):
    assert progress.duration(8.4) == "8 s"
    assert progress.duration(125) == "2 min 05 s"
    monkeypatch.setattr(progress.time, "monotonic", lambda: 100.0)
    assert progress.time_left(80.0, 2, 5) == "; about 30 s left"
    assert progress.time_left(80.0, 5, 5) == ""


def _wait_for_heartbeat(course, flag, item):
    """Work that finishes only once a "still working" line has been printed."""
    for _ in range(600):
        if Path(flag).exists():
            return "saw the heartbeat"
        time.sleep(0.1)
    return "no heartbeat in 60 s"


def test_a_long_run_says_it_is_still_working(graded_course, tmp_path, monkeypatch):
    """While no item finishes, a line names what is still running."""
    course = graded_course[0]
    flag = tmp_path / "heartbeat"
    lines = []

    def waiting(items, seconds):
        lines.append(items)
        flag.touch()

    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.2)
    results = grading._each(course, _wait_for_heartbeat, (str(flag),), ["a", "b"], 2,
                            waiting=waiting)
    assert results == {"a": "saw the heartbeat", "b": "saw the heartbeat"}
    assert lines[0] == ["a", "b"]


#: Rendered as formgrader renders a submission: formgrader's own settings
#: (its template) and the course's nbgrader_config.py, in a fresh process.
_FORMGRADE_PAGE = r"""
import sys, nbformat
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
app = FormgradeExtension()
app.initialize([], root=sys.argv[1])
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    "The gradient: $$\\frac{\\partial L}{\\partial w} = x^\\top (y - t)$$")])
resources = dict(base_url="/hub/user/ta", index=0, total=1, notebook_id="02_layer",
                 assignment_id="lab2", student="ada", submission_id="s1", first_name="",
                 last_name="", notebook_path="autograded/ada/lab2/02_layer.ipynb")
html, _ = HTMLExporter(config=app.config).from_notebook_node(notebook, resources=resources)
sys.stdout.write(html)
"""


def test_formgrader_page_loads_mathjax_from_the_jupyter_server():
    """formgrader's grading page loads the MathJax that jupyter-server-mathjax
    serves under the server's base URL, and nothing from a CDN."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", _FORMGRADE_PAGE, str(root)], cwd=root,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    html = result.stdout
    scripts = re.findall(r'<script src="([^"]*)"', html)
    assert ("/hub/user/ta/static/jupyter_server_mathjax/MathJax.js"
            "?config=TeX-AMS-MML_HTMLorMML-full,Safe") in scripts, scripts
    assert not [u for u in re.findall(r'(?:src|href)="([^"]*)"', html)
                if re.match(r"(https?:)?//", u)], scripts
    assert "cdnjs" not in html and "Submission 1 / 1" in html
    # the server really serves that copy
    import jupyter_server_mathjax
    assert (Path(jupyter_server_mathjax.__file__).parent / "static" / "MathJax.js").is_file()


_LECTURE_SERVER = r"""
import json
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config
from jupyter_core.paths import jupyter_path
app = ServerApp()
app.load_config_file()
app.find_server_extensions()
page = get_page_config(jupyter_path("labextensions"))
print(json.dumps([app.jpserver_extensions, page.get("disabledExtensions", {})]))
"""


def _jupyter_settings(config_path):
    """``(server extensions, disabled lab extensions)`` a JupyterLab started
    with ``JUPYTER_CONFIG_PATH=config_path`` (or as usual, for None) would use."""
    import json
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_PATH"}
    if config_path:
        env["JUPYTER_CONFIG_PATH"] = config_path
    done = subprocess.run([sys.executable, "-c", _LECTURE_SERVER], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_lecture_jupyterlab_loads_none_of_nbgrader():
    """`make lecture` starts JupyterLab with the nbgrader server extensions and
    the lab extension (Create Assignment, formgrader, course list) off, so
    formgrader never complains about the course root; the usual JupyterLab
    keeps them."""
    root = Path(__file__).resolve().parent.parent
    makefile = (root / "Makefile").read_text()
    recipe = makefile[makefile.index("\nlecture: "):].split("\n\n", 1)[0]
    given = re.search(r'JUPYTER_CONFIG_PATH="\$\(CURDIR\)/([^"$]+)', recipe)
    assert given and "jupyter lab" in recipe, recipe
    extensions, disabled = _jupyter_settings(str(root / given.group(1)))
    nbgrader = {k: v for k, v in extensions.items() if k.startswith("nbgrader")}
    assert "nbgrader.server_extensions.formgrader" in nbgrader
    assert not any(nbgrader.values()), nbgrader
    assert "@jupyter/nbgrader" in disabled, disabled    # a list (or dict) of names
    usual, usual_disabled = _jupyter_settings(None)
    assert usual["nbgrader.server_extensions.formgrader"] is True
    assert "@jupyter/nbgrader" not in usual_disabled
