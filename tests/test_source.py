"""The source notebooks: clean, well-formed nbgrader notebooks in the kit's style."""
import ast
import importlib
import re

import nbformat
import pytest

from conftest import KIT
from utils.course import Course

COURSE = Course(KIT)
NOTEBOOKS = [pytest.param(p, id=f"{p.parent.name}/{p.stem}")
             for a in COURSE.assignments() for p in sorted((COURSE.source / a).glob("*.ipynb"))]


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_every_assignment_of_the_curriculum_that_exists_is_numbered():
    """Notebook files are numbered in teaching order: 01_..., 02_..."""
    for assignment in COURSE.assignments():
        names = COURSE.notebooks(assignment)
        assert names, assignment
        for number, name in enumerate(names, 1):
            assert name.startswith(f"{number:02d}_"), f"{assignment}/{name}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_source_is_committed_without_outputs(path):
    """No outputs and no execution counts: the lecture and the release start clean."""
    nb = nbformat.read(str(path), 4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_nbgrader_metadata_is_valid(path):
    """Schema 3, unique grade ids, points on every grade cell, an answer cell per exercise."""
    nb = nbformat.read(str(path), 4)
    nbformat.validate(nb)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade ids in {path.name}"
    graded = [c for c in nb.cells if _nbgrader(c).get("grade") and c.cell_type == "code"]
    answers = [c for c in nb.cells if _nbgrader(c).get("solution") and c.cell_type == "code"]
    assert graded and answers
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if meta:
            assert meta["schema_version"] == 3
            assert re.fullmatch(r"[A-Za-z0-9_\-]+", meta["grade_id"])
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, meta["grade_id"]


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_every_test_cell_says_what_it_checks_and_hides_some_checks(path):
    """Each test cell opens with a docstring, runs visible checks, then hidden ones."""
    nb = nbformat.read(str(path), 4)
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if not (meta.get("grade") and not meta.get("solution") and cell.cell_type == "code"):
            continue
        source = cell.source.strip()
        assert source.startswith('"""'), f"{meta['grade_id']}: no docstring"
        visible = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)
        assert "### BEGIN HIDDEN TESTS" in source, f"{meta['grade_id']}: no hidden checks"
        assert re.search(r"check_|assert", visible), f"{meta['grade_id']}: no visible checks"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_answer_cells_have_a_solution_region(path):
    """Every answer cell marks its solution, so the release gets a stub instead."""
    nb = nbformat.read(str(path), 4)
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if meta.get("solution") and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source, meta["grade_id"]


def _calls(tree, name):
    """Every call of ``name(...)`` in ``tree``."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id == name]


@pytest.mark.fast
@pytest.mark.parametrize("path", NOTEBOOKS)
def test_a_test_that_lends_earlier_exercises_checks_the_students_first(path):
    """Every earlier exercise a test cell lends in grading (``name=ref.name``) is one
    its visible part tries first with ``uses("<assignment>", ...)``, before any other
    check; every name given to ``uses`` has a check in utils/prerequisites."""
    assignment = path.parent.name
    table = importlib.import_module(f"utils.prerequisites.{assignment}").CHECKS
    nb = nbformat.read(str(path), 4)
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if not (meta.get("grade") and cell.cell_type == "code"):
            continue
        source = cell.source
        hidden = "\n".join(re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS",
                                      source, flags=re.S))
        visible = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)
        lent = {kw.arg for call in _calls(ast.parse(hidden), "lend") for kw in call.keywords
                if isinstance(kw.value, ast.Attribute) and kw.value.attr == kw.arg}
        uses = _calls(ast.parse(visible), "uses")
        used = [kw.arg for call in uses for kw in call.keywords]
        where = f"{assignment}/{path.stem}: {meta['grade_id']}"
        assert lent <= set(used), f"{where}: lends {sorted(lent - set(used))} without uses()"
        for call in uses:
            assert isinstance(call.args[0], ast.Constant) and call.args[0].value == assignment, where
            assert all(kw.arg not in (None,) for kw in call.keywords), where
        missing = [name for name in used if name not in table]
        assert not missing, f"{where}: no check of {missing} in utils/prerequisites/{assignment}.py"
        if lent:        # the grader lends before the visible part tries them
            assert source.index("lend(") < source.index("uses("), \
                f"{where}: uses() runs before the hidden part lends"
        if uses:
            first_check = min((n.lineno for n in ast.walk(ast.parse(visible))
                               if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                               and n.func.id.startswith(("check_", "call", "run_quietly"))),
                              default=None)
            assert first_check is None or uses[0].lineno <= first_check, \
                f"{where}: uses() comes after a check"
