"""What turns an instructor's notebook folder into the folder a student gets.

nbgrader's ``GenerateAssignment`` converter strips solutions and hidden tests;
:class:`StudentGenerateAssignment` does that and more, whichever way it runs
(``python -m utils release``, ``nbgrader generate_assignment`` in the course
folder, formgrader's Generate button), since ``nbgrader_config.py`` installs
it in place of nbgrader's own:

- the released folder gets the student helpers (``utils/``), the conventions
  page, a README written for a beginner and the course's pinned requirements
  (see :func:`utils.course.copy_student_modules`);
- code cells that fail on an untouched release are tagged
  ``raises-exception`` (:class:`TagCellsThatMayRaise`), so that *Run All* in
  JupyterLab, and nbclient, go on to the end instead of stopping at the first
  unwritten exercise.
"""
import ast
import builtins
import os
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .course import copy_student_modules

#: The cell tag with which Jupyter keeps running after an error in the cell.
RAISES = "raises-exception"

#: The helper that brings a student's answers from an earlier notebook
#: (utils/earlier.py): what it binds is the student's code.
LOADS_ANSWERS = "load_answers"


def names_bound_and_read(source):
    """``(names the code binds, names it reads)``, or ``None`` if it does not parse."""
    try:
        # IPython syntax (%matplotlib inline, !ls) becomes the Python it runs as.
        source = TransformerManager().transform_cell(source)
        tree = ast.parse(source)
    except SyntaxError:
        return None
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
    return bound, read


def cells_that_may_raise(cells):
    """Indices of the code cells that can fail when no exercise is written.

    The rule: an answer cell and a test cell can fail; so can any code cell
    that reads a name bound by a cell that can fail (a function the student
    writes, a result computed with it, a name that stays undefined because
    its cell failed), and a cell that loads answers from an earlier notebook.  Cells that only import, load or build data from the
    course's own helpers cannot, and are left alone.  A cell that does not
    parse counts as failing, and so does every code cell after it.

    Answer cells are judged by what the instructor's solution binds, so call
    this before the solutions are cleared.
    """
    tainted, found, give_up = set(), [], False
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        names = names_bound_and_read(cell.source)
        if names is None or give_up:
            give_up = True
            found.append(index)
            continue
        bound, read = names
        if is_solution(cell) or is_grade(cell) or LOADS_ANSWERS in read \
                or (read - set(dir(builtins))) & tainted:
            tainted |= bound
            found.append(index)
    return found


class TagCellsThatMayRaise(NbGraderPreprocessor):
    """Tag ``raises-exception`` on the cells :func:`cells_that_may_raise` finds.

    Jupyter then runs on past an error in such a cell (JupyterLab sends it
    with ``stop_on_error`` off; nbclient treats the tag as allowing errors).
    The tag changes nothing in grading: nbgrader's checksums do not cover
    tags, and the grader runs every cell whatever happens.
    """

    def preprocess(self, nb, resources):
        """Add the tag to every cell that may raise; keep the others as they are."""
        for index in cells_that_may_raise(nb.cells):
            metadata = nb.cells[index].metadata
            tags = list(metadata.get("tags", []))
            if RAISES not in tags:
                metadata["tags"] = tags + [RAISES]
        return nb, resources


def _with_tagging(steps):
    """nbgrader's release steps with the tagging placed before solutions are cleared."""
    steps = list(steps)
    place = steps.index(ClearSolutions) if ClearSolutions in steps else 0
    return steps[:place] + [TagCellsThatMayRaise] + steps[place:]


class StudentGenerateAssignment(GenerateAssignment):
    """nbgrader's ``GenerateAssignment`` that makes a complete student folder."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if TagCellsThatMayRaise not in self.preprocessors:
            self.preprocessors = _with_tagging(self.preprocessors)

    def init_assignment(self, assignment_id, student_id):
        """Copy the assignment's own files, then the files every student needs."""
        super().init_assignment(assignment_id, student_id)
        source = Path(self._format_source(assignment_id, student_id))
        dest = Path(self._format_dest(assignment_id, student_id))
        if not os.path.isabs(dest):
            dest = Path(self.coursedir.root) / dest
            source = Path(self.coursedir.root) / source
        notebooks = sorted(p.stem for p in source.glob("*.ipynb"))
        copy_student_modules(dest, notebooks=notebooks, assignment=assignment_id)
