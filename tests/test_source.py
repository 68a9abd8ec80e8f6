"""The source notebooks: clean, well-formed nbgrader notebooks in the kit's style."""
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
