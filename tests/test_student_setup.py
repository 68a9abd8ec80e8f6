"""The student's side: a complete release from every generation path, Run All
on a blank release, the student nbgrader config through a real exchange, and
submissions imported from a learning platform's download."""
import datetime
import io
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import KIT
from utils import grading
from utils.grader import coordinator
from utils.course import Course, make_scratch_course, student_requirements
from utils.grader.deadlines import read_times
from utils.lms import import_zips
from utils.student_release import RAISES, cells_that_may_raise
from utils.student_setup import student_config, student_environment
from utils.submissions import fill_answers, solution_answers

ASSIGNMENT, NOTEBOOK = "lab1", "01_single_neuron"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch course with one notebook of lab1, released the kit's way,
    with an exchange of its own."""
    root = tmp_path_factory.mktemp("student") / "course"
    course = make_scratch_course(Course(KIT), root)
    for other in course.assignments():
        if other != ASSIGNMENT:
            shutil.rmtree(course.source / other)
    for path in (course.source / ASSIGNMENT).glob("*.ipynb"):
        if path.stem != NOTEBOOK:
            path.unlink()
    exchange = root.parent / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"c.Exchange.root = {str(exchange)!r}\n")
    grading.release(course, ASSIGNMENT, validate=False, progress=lambda *_: None)
    course.exchange = exchange
    return course


def _nbgrader(args, cwd, env=None):
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_every_generation_path_makes_the_same_complete_release(course, tmp_path):
    """Stock `nbgrader generate_assignment` in the course folder makes exactly
    what `python -m utils release` makes: notebooks, utils/, CONVENTIONS.md,
    README.md and requirements.txt."""
    ours = course.release / ASSIGNMENT
    assert {"README.md", "requirements.txt", "CONVENTIONS.md", "utils/checks.py",
            f"{NOTEBOOK}.ipynb"} <= set(_tree(ours))
    other = make_scratch_course(Course(KIT), tmp_path / "stock")
    shutil.rmtree(other.source)
    shutil.copytree(course.source, other.source)
    _nbgrader(["generate_assignment", ASSIGNMENT, "--force"], other.root)
    stock = other.release / ASSIGNMENT
    assert _tree(stock) == _tree(ours)
    for rel in _tree(ours):
        if rel.endswith(".ipynb"):
            assert json.loads((stock / rel).read_text()) == json.loads((ours / rel).read_text())
        else:
            assert (stock / rel).read_bytes() == (ours / rel).read_bytes(), rel


def test_readme_and_requirements_are_for_this_assignment(course):
    """The README names the assignment and its notebooks; requirements pin
    the course's stack without the kit's test tools."""
    readme = (course.release / ASSIGNMENT / "README.md").read_text()
    assert f"# {ASSIGNMENT}:" in readme and f"`{NOTEBOOK}.ipynb`" in readme
    assert "$" not in readme
    wanted = (course.release / ASSIGNMENT / "requirements.txt").read_text()
    names = {line.split("==")[0].lower() for line in wanted.splitlines()
             if line and not line.startswith("#")}
    assert {"numpy", "nbgrader", "jupyterlab", "matplotlib", "scikit-learn"} <= names
    assert not names & {"pytest", "pluggy", "iniconfig"}
    pinned = {line for line in (KIT / "requirements.txt").read_text().splitlines()
              if line.lower().startswith("numpy==")}
    assert pinned and pinned <= set(wanted.splitlines())


def test_test_only_requirement_files_are_left_out(tmp_path):
    """A package named only in requirements-*.txt does not reach students."""
    (tmp_path / "requirements.txt").write_text("numpy==2.0\npytest==9\nplaywright==1.5 # browser\n")
    (tmp_path / "requirements-browser.txt").write_text("-r requirements.txt\nplaywright==1.5\n")
    text = student_requirements(tmp_path / "requirements.txt")
    assert "numpy==2.0" in text and "pytest" not in text and "playwright" not in text


def test_tagging_rule():
    """Answer and test cells are tagged, and so is what uses their names;
    imports and course data are not."""
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell
    nb.cells = [code("import numpy as np\n%matplotlib inline"),
                code("X = np.ones((2, 2))"),
                code("def relu(Z):\n    return Z", metadata={"nbgrader": {
                    "solution": True, "grade": False, "grade_id": "relu"}}),
                code("Y = relu(X)"),
                code("print(Y.shape)"),
                code("print(X.sum())"),
                code("relu, = load_answers('01', 'relu')")]
    assert cells_that_may_raise(nb.cells) == [2, 3, 4, 6]


def _run_blank(notebook, cwd, home):
    """Execute a notebook as a student would (Run All), in a clean environment."""
    code = ("import sys, nbformat\nfrom nbclient import NotebookClient\n"
            "nb = nbformat.read(sys.argv[1], 4)\n"
            "NotebookClient(nb, kernel_name='python3', timeout=120,"
            " resources={'metadata': {'path': sys.argv[2]}}).execute()\n"
            "nbformat.write(nb, sys.argv[3])\n")
    out = home / "ran.ipynb"
    done = subprocess.run([sys.executable, "-c", code, str(notebook), str(cwd), str(out)],
                          env=student_environment(home), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return nbformat.read(str(out), 4)


def test_run_all_on_a_blank_release_reaches_the_end(course, tmp_path):
    """Every cell runs; an unwritten exercise and a failed check are one short
    message each, with no chained traceback; a check on code that crashed
    names the exception and the student's cell line."""
    folder = tmp_path / "work" / ASSIGNMENT
    shutil.copytree(course.release / ASSIGNMENT, folder)
    path = folder / f"{NOTEBOOK}.ipynb"
    nbformat.write(fill_answers(path, {"sigmoid": "def sigmoid(Z):\n    return Z.nosuch"}),
                   str(path))
    ran = _run_blank(path, folder, tmp_path)
    code = [c for c in ran.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "a cell did not run"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    names = {o.ename for o in errors}
    assert names <= {"NotImplementedError", "CheckFailed", "NameError", "AttributeError"}, names
    for o in errors:
        text = "\n".join(o.traceback)
        assert "During handling" not in text, text
        if o.ename in ("NotImplementedError", "CheckFailed"):
            assert "Traceback" not in text, text
        if o.ename == "NotImplementedError":
            assert len(o.traceback) == 1 and "is not written yet" in text, text
    lines = [o.traceback[0] for o in errors if o.ename == "NotImplementedError"]
    assert "relu is not written yet: write it in its cell." in lines, lines
    crashed = ["\n".join(o.traceback) for o in errors
               if o.ename == "CheckFailed" and "sigmoid" in o.evalue]
    assert crashed and "AttributeError" in crashed[0], crashed
    assert "line 2: `return Z.nosuch`" in crashed[0], crashed[0]
    assert all(RAISES in c.metadata.get("tags", []) for c in code
               if any(o.output_type == "error" for o in c.outputs))


def test_student_config_fetch_validate_submit_collect_autograde(course, tmp_path):
    """The student config works with real nbgrader: the instructor releases to
    the exchange, a student fetches, validates and submits, the instructor
    collects, and the kit grades the student."""
    _nbgrader(["release_assignment", ASSIGNMENT, "--force"], course.root)
    home = tmp_path / "alice"
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        student_config("nn-from-scratch", course.exchange))
    work = home / "work"
    work.mkdir()
    env = student_environment(home, user="alice")
    _nbgrader(["fetch_assignment", ASSIGNMENT], work, env)
    fetched = work / "nn-from-scratch" / ASSIGNMENT      # the course's folder, then the assignment
    assert {"README.md", "requirements.txt", "utils/checks.py"} <= set(_tree(fetched))
    answers = solution_answers(course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    nbformat.write(fill_answers(fetched / f"{NOTEBOOK}.ipynb", answers),
                   str(fetched / f"{NOTEBOOK}.ipynb"))
    said = _nbgrader(["validate", str(fetched / f"{NOTEBOOK}.ipynb")], work, env)
    assert "Success! Your notebook passes all the tests." in said, said
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    _nbgrader(["submit", ASSIGNMENT], work, env)
    # the student claims an earlier time: in the submission's timestamp.txt
    # and in its files' modification times
    [inbound] = (course.exchange / "nn-from-scratch" / "inbound").iterdir()
    (inbound / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC")
    for path in [inbound, *inbound.rglob("*")]:
        os.utime(path, (946684800, 946684800), follow_symlinks=False)
    _nbgrader(["collect", ASSIGNMENT], course.root)
    student = pwd.getpwuid(os.getuid()).pw_name      # nbgrader names a submitter by login
    assert (course.submitted / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").is_file()
    entry = read_times(course)[ASSIGNMENT][student]
    recorded = datetime.datetime.fromisoformat(entry["time"])
    assert entry["source"] == "exchange" and recorded >= before, entry
    [outcome] = coordinator.autograde(course, ASSIGNMENT, [student], progress=lambda *_: None)
    assert outcome.graded, outcome.message
    from utils.grader.report import cell_scores, gradebook
    scores = cell_scores(course, ASSIGNMENT, student, NOTEBOOK)
    assert scores and all(got == most for got, most in scores.values()), scores
    with gradebook(course) as gb:     # the gradebook holds the recorded time, not the claim
        stamp = gb.find_submission(ASSIGNMENT, student).timestamp
    assert stamp == recorded.replace(tzinfo=None), stamp


def _zip(entries, links=(), times=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(times or {}).get(name, (2026, 10, 1, 12, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def test_import_zips_imports_the_good_and_refuses_the_hostile(course, tmp_path):
    """A download with good, hostile and wrong uploads (Canvas and Moodle
    naming), imported through nbgrader's zip_collect: the good students are
    imported and graded, each other one refused with its reason."""
    release = course.release / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    answers = solution_answers(course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    solved = nbformat.writes(fill_answers(release, answers))
    good = _zip({f"{ASSIGNMENT}/{NOTEBOOK}.ipynb": solved, f"{ASSIGNMENT}/README.md": "x"},
                times={f"{ASSIGNMENT}/{NOTEBOOK}.ipynb": (2000, 1, 1, 0, 0, 0)})  # the student's
    escaping = _zip({f"../../{NOTEBOOK}.ipynb": solved})
    linked = _zip({f"{NOTEBOOK}.ipynb": solved}, links=[("utils", "/etc")])
    download = _zip({
        f"lovelaceada_1001_5001_{ASSIGNMENT}.zip": good,
        f"hackerhal_1002_5002_{ASSIGNMENT}.zip": escaping,
        f"linkerlin_LATE_1003_5003_{ASSIGNMENT}.zip": linked,
        f"blankbob_1004_5004_{NOTEBOOK}.ipynb": release.read_text(),
        "Carol Moodle_77_assignsubmission_file_/notes.txt": "no notebook",
        f"Dan Moodle_78_assignsubmission_file_/{NOTEBOOK}.ipynb": solved,
    }, times={f"lovelaceada_1001_5001_{ASSIGNMENT}.zip": (2026, 10, 17, 9, 30, 0)})
    (tmp_path / "download.zip").write_bytes(download)
    results = {r.student: r for r in import_zips(course, ASSIGNMENT, tmp_path / "download.zip")}
    assert results["1001"].notebooks == [f"{NOTEBOOK}.ipynb"] and not results["1001"].refused
    assert "outside its folder" in results["1002"].refused
    assert "link" in results["1003"].refused
    assert results["1004"].notebooks == [f"{NOTEBOOK}.ipynb"]
    assert "no notebook of this assignment" in results["77"].refused
    assert results["78"].notebooks == [f"{NOTEBOOK}.ipynb"]
    assert sorted(p.name for p in (course.submitted / "1001" / ASSIGNMENT).iterdir()) \
        == [f"{NOTEBOOK}.ipynb"]
    assert not (course.submitted / "1002").exists() and not (course.submitted / "1003").exists()
    # when each submitted: the time the platform stamped on the upload (the
    # course's zone, UTC here), never a time inside the student's own zip
    times = read_times(course)[ASSIGNMENT]
    assert times["1001"] == {"time": "2026-10-17T09:30:00+00:00", "source": "lms download"}
    assert times["78"]["time"] == "2026-10-01T12:00:00+00:00" and "1002" not in times
    outcomes = coordinator.autograde(course, ASSIGNMENT, ["1001", "1004"], progress=lambda *_: None)
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    from utils.grader.report import cell_scores
    good_scores = cell_scores(course, ASSIGNMENT, "1001", NOTEBOOK)
    blank_scores = cell_scores(course, ASSIGNMENT, "1004", NOTEBOOK)
    assert all(got == most for got, most in good_scores.values()), good_scores
    assert all(got == 0 for got, _ in blank_scores.values()), blank_scores


def test_import_zips_command_reports_per_student(course, tmp_path):
    """`python -m utils import-zips` prints one line per student and exits 1
    when it refused one."""
    download = _zip({"evil_2001_1_x.zip": _zip({"/abs.ipynb": "{}"})})
    (tmp_path / "d.zip").write_bytes(download)
    done = subprocess.run([sys.executable, "-m", "utils", "--course", str(course.root),
                           "import-zips", ASSIGNMENT, str(tmp_path / "d.zip")],
                          cwd=KIT, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(KIT)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REFUSED 2001:" in done.stdout and "Traceback" not in done.stderr


def test_a_download_dropped_for_the_grading_service_is_graded(tmp_path):
    """A platform's download dropped into lms-drop/<assignment>/ while the
    service runs: each good upload is taken in and graded (its page kept for
    the instructor: it has no exchange secret), a hostile one refused with
    its reason, and the same download is never imported twice."""
    import time
    from conftest import small_course
    from utils.grader.service import Service, pages_of
    course = small_course(tmp_path / "course")
    course.root.chmod(0o700)
    release = course.release / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    solved = nbformat.writes(fill_answers(release, solution_answers(
        course.source / ASSIGNMENT / f"{NOTEBOOK}.ipynb")))
    drop = course.root / "lms-drop" / ASSIGNMENT
    drop.mkdir(parents=True)
    (drop / "download.zip").write_bytes(_zip({
        f"lovelaceada_1001_5001_{ASSIGNMENT}.zip": _zip({f"{ASSIGNMENT}/{NOTEBOOK}.ipynb": solved}),
        f"hackerhal_1002_5002_{ASSIGNMENT}.zip": _zip({f"../../{NOTEBOOK}.ipynb": solved})}))
    lines = []
    service = Service(course, log=lines.append, clock=lambda: time.time() + 5)
    service.run(once=True)
    entries = service.queue.entries()
    assert [(e.student, e.state) for e in entries] == [("1001", "graded")], lines
    assert any("REFUSED" in line and "outside its folder" in line for line in lines), lines
    page = pages_of(course, entries[0].id)[0].read_text()
    assert "5 of 5 checked exercises passed" in page
    Service(course, log=lines.append, clock=lambda: time.time() + 5).run(once=True)
    assert len(service.queue.entries()) == 1
    service.queue.close()


def test_make_student_home_lists_the_released_assignment(course, tmp_path):
    """`make student`'s home (`home --release lab1`) has an exchange of its own
    holding lab1, so that the student's Assignments tab (nbgrader list) shows
    it to fetch; the course's exchange is left alone."""
    from utils.student_setup import main
    before = _tree(course.exchange)
    home = tmp_path / "home"
    assert main(["--course", str(course.root), "home", str(home), "--no-open",
                 "--release", ASSIGNMENT]) == 0
    assert (home / "exchange" / "nn-from-scratch" / "outbound" / ASSIGNMENT
            / f"{NOTEBOOK}.ipynb").is_file()
    assert _tree(course.exchange) == before
    listed = _nbgrader(["list"], home / "work", student_environment(home))
    assert f"nn-from-scratch {ASSIGNMENT}" in listed, listed
    refused = main(["--course", str(course.root), "home", str(tmp_path / "h2"), "--no-open",
                    "--release", "lab9"])
    assert refused == 2
