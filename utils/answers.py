"""Answers put into released notebooks, and a hand-in written as a student would.

A prepared submission is the released notebook with some answer cells
replaced.  The release check (:mod:`utils.release`) hands in the two it
needs, the solutions and the release untouched (:func:`reference_class`);
the demo and the tests build more students from the same pieces
(:mod:`utils.submissions`).
"""
import re
import shutil
from pathlib import Path

import nbformat

_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def grade_id(cell):
    """The nbgrader grade id of a cell, or ``None``."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_answers(source_notebook):
    """``{grade_id: text}`` of every answer cell, solution markers removed.

    Written answers (markdown cells) are included: they are what a person
    grades by hand.
    """
    nb = nbformat.read(str(source_notebook), as_version=4)
    answers = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [l for l in cell.source.splitlines() if not _MARKER.match(l)]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def fill_answers(release_notebook, answers):
    """The released notebook with the answer cells in ``answers`` replaced."""
    nb = nbformat.read(str(release_notebook), as_version=4)
    unknown = set(answers)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers:
            cell.source = answers[gid].strip("\n")
            unknown.discard(gid)
    if unknown:
        raise KeyError(f"{release_notebook}: no answer cell with grade id "
                       f"{', '.join(sorted(unknown))}")
    return nb


def reference_class(course, assignment, notebooks=None):
    """``{"correct": {notebook: nb}, "blank": {notebook: nb}}``: the solutions
    and the release as it was given out, for every notebook of ``assignment``
    (or the ones named)."""
    names = notebooks or course.notebooks(assignment)
    release = {n: course.release / assignment / f"{n}.ipynb" for n in names}
    return {"correct": {n: fill_answers(release[n], solution_answers(
                            course.source / assignment / f"{n}.ipynb")) for n in names},
            "blank": {n: fill_answers(release[n], {}) for n in names}}


def write_submission(course, student, assignment, notebooks):
    """Place ``{name: notebook}`` in ``submitted/<student>/<assignment>/``.

    A value may be a notebook node or raw text (to submit a broken file).
    The released assignment's other files are copied along, as a student's
    folder would hold them.
    """
    folder = Path(course.submitted) / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(course.release / assignment, folder,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    for name, nb in notebooks.items():
        path = folder / f"{name}.ipynb"
        if isinstance(nb, str):
            path.write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, str(path))
    return folder
