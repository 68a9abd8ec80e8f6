"""The release: current, complete, and free of anything a student must not see."""
import ast
import filecmp
import json
import re
import sys

import nbformat
import pytest

from conftest import KIT
from utils import grading
from utils.course import Course, student_modules
from utils.course import make_scratch_course

KIT_COURSE = Course(KIT)
ASSIGNMENTS = KIT_COURSE.assignments()
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)


def _released_text(assignment):
    """Every text a student receives in an assignment: cell sources, outputs, files."""
    folder = KIT_COURSE.release / assignment
    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".ipynb":
            for cell in nbformat.read(str(path), 4).cells:
                parts.append(cell.source)
                parts.append(json.dumps(cell.get("outputs", [])))
        elif path.suffix in {".py", ".md", ".txt", ".csv"}:
            parts.append(path.read_text())
    return "\n".join(parts)


def _secret_lines(assignment, pattern):
    """Substantial lines that stand only inside the solution or hidden-test regions."""
    secret, visible = set(), set()
    for path in sorted((KIT_COURSE.source / assignment).glob("*.ipynb")):
        for cell in nbformat.read(str(path), 4).cells:
            for block in pattern.findall(cell.source):
                secret.update(line.strip() for line in block.splitlines())
            outside = HIDDEN.sub("", SOLUTION.sub("", cell.source))
            visible.update(line.strip() for line in outside.splitlines())
    return {line for line in secret - visible if len(line) >= 16 and not line.startswith("#")}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """release/ generated afresh from source/ in a scratch course."""
    course = make_scratch_course(KIT_COURSE, tmp_path_factory.mktemp("regen") / "course")
    for assignment in ASSIGNMENTS:
        grading.release(course, assignment, validate=False, progress=lambda *_: None)
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_current(regenerated, assignment):
    """release/ is exactly what nbgrader generates from source/ (a stale release fails)."""
    fresh, committed = regenerated.release / assignment, KIT_COURSE.release / assignment
    fresh_files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*")
                             if p.is_file() and "__pycache__" not in p.parts)
    assert fresh_files == committed_files, "run: python -m utils release"
    for rel in fresh_files:
        if rel.suffix == ".ipynb":
            same = json.loads((fresh / rel).read_text()) == json.loads((committed / rel).read_text())
        else:
            same = filecmp.cmp(fresh / rel, committed / rel, shallow=False)
        assert same, f"release/{assignment}/{rel} is stale: run python -m utils release {assignment}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    """No marker, and no line of a solution or a hidden test, reaches the student.

    A line counts when it stands whole in what the student receives (a code
    line, or a line of a file); a notebook may still quote a short
    expression in its instructions."""
    text = _released_text(assignment)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    released_lines = {line.strip() for line in text.splitlines()}
    for kind, pattern in (("solution", SOLUTION), ("hidden test", HIDDEN)):
        leaked = [line for line in _secret_lines(assignment, pattern) if line in released_lines]
        assert not leaked, f"{kind} lines in release/{assignment}: {leaked[:3]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_ships_only_student_helpers(assignment):
    """The released utils/ holds the student-facing modules and nothing instructor-only."""
    folder = KIT_COURSE.release / assignment / "utils"
    shipped = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert shipped == sorted(n for n in student_modules(assignment)
                             if (KIT / "utils" / n).exists())
    assert f"prerequisites/{assignment}.py" in shipped     # its own table, no other
    text = _released_text(assignment)
    for private in ("utils.reference", "utils.grading", "utils.release", "utils.answers",
                    "utils.submissions", "tests/variants"):
        assert private not in text


def test_student_helpers_import_nothing_instructor_only():
    """The shipped modules import only the standard library, numpy, matplotlib,
    scikit-learn and each other."""
    for name in sorted({n for a in ASSIGNMENTS for n in student_modules(a)}):
        path = KIT / "utils" / name
        if not path.exists():
            continue
        tree = ast.parse(path.read_text())
        imports = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                   for alias in node.names]
        imports += ["." * node.level + (node.module or "") for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom)]
        for module in imports:
            assert module.split(".")[0] in {"numpy", "matplotlib", "sklearn", "utils", ""} \
                or module.split(".")[0] in sys.stdlib_module_names \
                or module.startswith("."), f"utils/{name} imports {module}"
            assert "reference" not in module and "grading" not in module


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_links_the_conventions_page(assignment):
    """CONVENTIONS.md ships beside the notebooks, and each notebook's first cell links it."""
    folder = KIT_COURSE.release / assignment
    assert (folder / "CONVENTIONS.md").read_text() == (KIT / "utils" / "conventions.md").read_text()
    for path in sorted(folder.glob("*.ipynb")):
        first = nbformat.read(str(path), 4).cells[0]
        assert first.cell_type == "markdown" and "(CONVENTIONS.md)" in first.source, path.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_tells_the_student_how_to_work(assignment):
    """README.md names the assignment and each notebook; requirements.txt pins
    the course's stack without the kit's test tools."""
    folder = KIT_COURSE.release / assignment
    readme = (folder / "README.md").read_text()
    assert f"# {assignment}:" in readme
    for path in folder.glob("*.ipynb"):
        assert f"`{path.name}`" in readme
    wanted = (folder / "requirements.txt").read_text()
    packages = {line.split("==")[0].lower() for line in wanted.splitlines()
                if line and not line.startswith("#")}
    assert {"numpy", "nbgrader", "jupyterlab"} <= packages and "pytest" not in packages
