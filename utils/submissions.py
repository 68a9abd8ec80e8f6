"""Build students' submissions from the release, for the demo and the tests.

A prepared submission is the released notebook with some answer cells
replaced.  The answers come from the source notebook's solutions (a student
with every answer right) or from a :class:`Variant`: a realistic mistake, or
a correct answer written another way.  Variants live as plain data in
``tests/variants/<assignment>/<notebook>.py``, one ``VARIANTS`` list each.
"""
import importlib.util
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import KIT_ROOT

#: Where the prepared mistakes and alternative solutions are kept.
VARIANTS_DIR = KIT_ROOT / "tests" / "variants"

_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


@dataclass
class Variant:
    """A prepared answer to some cells of one notebook.

    ``answers`` maps an answer cell's grade id to the code a student wrote.
    ``loses`` lists the grade cells this answer must lose points on; an empty
    tuple marks a correct alternative that must keep every point.
    """
    name: str
    answers: dict
    loses: tuple = ()
    note: str = ""
    notebook: str = field(default="", compare=False)

    @property
    def is_mistake(self):
        return bool(self.loses)


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


def load_variants(assignment, notebook):
    """The prepared variants of one notebook (an empty list when none exist)."""
    path = VARIANTS_DIR / assignment / f"{notebook}.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"variants_{assignment}_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    variants = list(module.VARIANTS)
    for v in variants:
        v.notebook = notebook
    return variants


def pack(variants):
    """Group variants so that no two in a group touch the same answer cell.

    Each group can then be one synthetic student: every mistake in it costs
    points only in its own exercise, so several can be graded at once.
    Variants of different notebooks of an assignment can share a group.
    Mistakes and alternatives are never mixed in one group.
    """
    groups = []
    for v in variants:
        cells = {(v.notebook, cell) for cell in v.answers}
        for group in groups:
            taken = {(o.notebook, cell) for o in group for cell in o.answers}
            if group[0].is_mistake == v.is_mistake and not taken & cells:
                group.append(v)
                break
        else:
            groups.append([v])
    return groups


def answers_of(group):
    """``{notebook: {grade_id: code}}`` of a group of variants."""
    answers = {}
    for v in group:
        answers.setdefault(v.notebook, {}).update(v.answers)
    return answers


def synthetic_class(course, assignment, notebooks=None, mistake_students=None,
                    alternative_students=None, complete=True):
    """The prepared students of one assignment, ready to write.

    Returns ``(students, planned)``: ``students`` maps a student id to
    ``{notebook: notebook node}``, and ``planned`` maps every variant used to
    ``(student, variant)``.  ``correct`` holds the solutions, ``blank`` the
    untouched release, ``mistake-N`` and ``alternative-N`` the packed variants
    (at most ``mistake_students`` / ``alternative_students`` of each).
    With ``complete=False`` a variant student hands in only the notebooks
    their variants change (the others count as not submitted), which makes
    the class quicker to grade.
    """
    names = notebooks or course.notebooks(assignment)
    release = {n: course.release / assignment / f"{n}.ipynb" for n in names}
    solutions = {n: solution_answers(course.source / assignment / f"{n}.ipynb")
                 for n in names}

    def student(changes=None):
        changes = changes or {}
        return {n: fill_answers(release[n], {**solutions[n], **changes.get(n, {})})
                for n in names if complete or n in changes or not changes}

    students = {"correct": student(),
                "blank": {n: fill_answers(release[n], {}) for n in names}}
    planned = {}
    variants = [v for n in names for v in load_variants(assignment, n)]
    for kind, limit, chosen in (
            ("mistake", mistake_students, [v for v in variants if v.is_mistake]),
            ("alternative", alternative_students, [v for v in variants if not v.is_mistake])):
        for i, group in enumerate(pack(chosen)[:limit], 1):
            students[f"{kind}-{i}"] = student(answers_of(group))
            for v in group:
                planned[f"{v.notebook}: {v.name}"] = (f"{kind}-{i}", v)
    return students, planned


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
