"""One notebook graded: the unit of work of autograding.

:func:`grade` takes a :class:`Task` (one submitted notebook, the files beside
it, the instructor's version of the notebook as plain data, the course's
settings) and returns a :class:`Result` (the graded notebook, a score per
test cell, a comment per answer cell, what the student changed in locked
cells).  It reads no gradebook and no course folder and writes nothing but
its own temporary folder, so any executor can run it: a local process, or a
Dask worker on another machine (:mod:`utils.grader.executors`).  Only the
coordinator (:mod:`utils.grader.coordinator`) writes results to the gradebook.

The steps are nbgrader's own autograding steps, in nbgrader's order; the
ones that read the gradebook read :class:`MasterNotebook` instead, and the
scores and comments nbgrader's ``SaveAutoGrades`` would write are returned.
"""
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils as nbutils
from nbgrader.api import MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (AssignLatePenalties, NbGraderPreprocessor, OverwriteCells,
                                    OverwriteKernelspec, SaveAutoGrades)
from nbgrader.utils import setenv

from .execute import GradedExecute
from . import sandbox
from .sanitize import OverwriteCellsWithHiddenTests

#: Grading code whose change changes what a score means: a result records
#: the version of the tests (the instructor's cells) and of these files.
_REFERENCE = Path(__file__).resolve().parent / "reference"

#: The largest graded notebook a worker may return (bytes of JSON).
MAX_GRADED_BYTES = 64 * 2 ** 20


@dataclass(frozen=True)
class SourceCell:
    """An instructor's cell, as the gradebook keeps it."""
    name: str
    cell_type: str
    source: str
    checksum: str
    locked: bool


@dataclass(frozen=True)
class GradeCell:
    """A cell that earns points: a test cell, or an answer graded by hand."""
    name: str
    max_score: float
    cell_type: str


@dataclass(frozen=True)
class SolutionCell:
    """An answer cell (its name is all grading needs)."""
    name: str


@dataclass(frozen=True)
class TaskCell:
    """A task cell (graded by hand, nothing to run)."""
    name: str
    max_score: float


@dataclass(frozen=True)
class MasterNotebook:
    """The instructor's version of one notebook, as plain data.

    It answers the few gradebook questions nbgrader's sanitizing steps ask
    (``find_source_cell`` and friends), so those steps run unchanged without
    a database.
    """
    assignment: str
    name: str
    kernelspec: str
    source_cells: tuple
    grade_cells: tuple
    solution_cells: tuple
    task_cells: tuple

    @classmethod
    def from_gradebook(cls, gb, name, assignment):
        """Read notebook ``name`` of ``assignment`` out of an open nbgrader Gradebook."""
        nb = gb.find_notebook(name, assignment)
        return cls(
            assignment, name, nb.kernelspec or "",
            tuple(SourceCell(c.name, c.cell_type, c.source, c.checksum, bool(c.locked))
                  for c in nb.source_cells),
            tuple(GradeCell(c.name, float(c.max_score), c.cell_type) for c in nb.grade_cells),
            tuple(SolutionCell(c.name) for c in nb.solution_cells),
            tuple(TaskCell(c.name, float(c.max_score)) for c in nb.task_cells))

    @property
    def tests(self):
        """``{grade_id: source}`` of the autograded test cells (code grade cells)."""
        code = {c.name for c in self.grade_cells if c.cell_type == "code"}
        return {c.name: c.source for c in self.source_cells if c.name in code}

    @functools.cached_property
    def version(self):
        """A hash of the tests: every instructor cell and the reference answers
        they compare with.  A fixed test gives a new version."""
        return self.version_here()

    def version_here(self):
        """:attr:`version` as this machine's kit computes it (a worker with
        other reference answers gives another version)."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.assignment, self.name, self.kernelspec,
                                  [list(vars(c).values()) for c in self.source_cells],
                                  [list(vars(c).values()) for c in self.grade_cells],
                                  [c.name for c in self.solution_cells],
                                  [list(vars(c).values()) for c in self.task_cells]],
                                 sort_keys=True).encode())
        for path in sorted(_REFERENCE.rglob("*.py")):
            digest.update(path.relative_to(_REFERENCE).as_posix().encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    # -- the gradebook's questions, answered from this snapshot ------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def _one(cells, name):
        for cell in cells:
            if cell.name == name:
                return cell
        raise MissingEntry()

    def find_notebook(self, name, assignment):
        return self

    def find_source_cell(self, name, notebook, assignment):
        return self._one(self.source_cells, name)

    def find_grade_cell(self, name, notebook, assignment):
        return self._one(self.grade_cells, name)

    def find_graded_cell(self, name, notebook, assignment):
        try:
            return self._one(self.grade_cells, name)
        except MissingEntry:
            return self._one(self.task_cells, name)

    def find_solution_cell(self, name, notebook, assignment):
        return self._one(self.solution_cells, name)


def content_hash(text, files=()):
    """A hash of a submitted notebook and the files handed in beside it."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for relative, data in sorted(files):
        digest.update(b"\0" + relative.encode("utf-8") + b"\0" + data)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Task:
    """One submitted notebook to grade, with all it needs, as plain data."""
    student: str
    assignment: str
    notebook: str
    text: str                     # the submitted notebook (JSON)
    files: tuple                  # ((relative path, bytes), ...) handed in beside it
    master: MasterNotebook
    config: dict                  # the course's settings of the grading steps
    sandbox: bool = True          # grade in the sandbox (refuse if it cannot start)

    @property
    def key(self):
        """``student/assignment/notebook``: one task, one result."""
        return f"{self.student}/{self.assignment}/{self.notebook}"

    @functools.cached_property
    def content_hash(self):
        return content_hash(self.text, self.files)


@dataclass
class Result:
    """What grading one notebook produced; the coordinator checks and stores it."""
    student: str
    assignment: str
    notebook: str
    content_hash: str
    test_version: str
    graded: str = ""              # the graded notebook (JSON)
    scores: dict = field(default_factory=dict)     # grade id -> auto score (None: by hand)
    comments: dict = field(default_factory=dict)   # answer cell id -> automatic comment
    changed: list = field(default_factory=list)    # locked cells the student changed
    error: str = ""               # why it could not be graded ("" when it was)
    seconds: float = 0.0
    worker: str = ""

    @property
    def key(self):
        return f"{self.student}/{self.assignment}/{self.notebook}"


# -- the steps ------------------------------------------------------------------

class KernelspecFromMaster(NbGraderPreprocessor):
    """nbgrader's OverwriteKernelspec, reading the task's :class:`MasterNotebook`."""

    def preprocess(self, nb, resources):
        kernelspec = resources["nnkit_master"].kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources


class OverwriteCellsFromMaster(OverwriteCellsWithHiddenTests):
    """The course's OverwriteCells, reading the task's :class:`MasterNotebook`
    and noting in ``resources["nnkit_changed"]`` each locked cell the
    student really changed."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.gradebook = resources["nnkit_master"]
        self._changed = resources.setdefault("nnkit_changed", [])
        # nbgrader's own per-cell pass, without its opening of the gradebook
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def report_change(self, name, attr, old, new):
        if self.really_changed(name, attr, new) and name not in self._changed:
            self._changed.append(name)
        super().report_change(name, attr, old, new)


#: The steps that read the gradebook, and what runs in their place.
_FROM_MASTER = {OverwriteKernelspec: KernelspecFromMaster, OverwriteCells: OverwriteCellsFromMaster,
                OverwriteCellsWithHiddenTests: OverwriteCellsFromMaster}
#: Steps that write the gradebook: the coordinator's (:func:`_scores` is what
#: SaveAutoGrades would store).
_COORDINATOR_STEPS = (SaveAutoGrades, AssignLatePenalties)


def steps(config):
    """``(sanitize, autograde)``: the course's autograding steps (nbgrader's
    ``Autograde.sanitize_preprocessors`` and ``autograde_preprocessors``, as
    ``nbgrader_config.py`` sets them), in their order, with the ones that
    read the gradebook reading the task's snapshot and the ones that write
    it left to the coordinator."""
    def chosen(name):
        listed = config.Autograde.get(name) if "Autograde" in config else None
        listed = listed if listed is not None else Autograde.class_traits()[name].default()
        return tuple(_FROM_MASTER.get(step, step) for step in listed
                     if step not in _COORDINATOR_STEPS)
    if GradedExecute not in chosen("autograde_preprocessors"):
        raise ValueError("the course does not grade with GradedExecute: see nbgrader_config.py")
    return chosen("sanitize_preprocessors"), chosen("autograde_preprocessors")


def _scores(nb, log):
    """What nbgrader's SaveAutoGrades would store: ``(scores, comments)``."""
    scores, comments = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        name = meta.get("grade_id")
        if not name:
            continue
        if nbutils.is_grade(cell):
            scores[name], _ = nbutils.determine_grade(cell, log)
        if nbutils.is_solution(cell) or nbutils.is_task(cell):
            unchanged = meta.get("checksum") == nbutils.compute_checksum(cell)
            comments[name] = "No response." if unchanged and not nbutils.is_task(cell) else None
    return scores, comments


def grade(task):
    """Grade one notebook; return its :class:`Result` (never raises for a bad
    submission: ``Result.error`` says why it was not graded)."""
    started = time.monotonic()
    result = Result(task.student, task.assignment, task.notebook,
                    content_hash(task.text, task.files), task.master.version_here(),
                    worker=os.uname().nodename)
    problem = prepare_worker(task.sandbox)
    if problem:
        result.error = problem
        return result
    private = tempfile.mkdtemp(prefix="nn-kit-unit-")
    try:
        folder = os.path.join(private, "submission")
        os.makedirs(folder)
        for relative, data in task.files:
            target = os.path.realpath(os.path.join(folder, relative))
            if not target.startswith(folder + os.sep):
                continue      # the coordinator never sends such a name; a worker checks anyway
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
        nb = nbformat.reads(task.text, as_version=4)
        resources = {"nbgrader": {"student": task.student, "assignment": task.assignment,
                                  "notebook": task.notebook, "db_url": None},
                     "nnkit_master": task.master, "unique_key": task.notebook,
                     "metadata": {"path": folder}}
        sanitize, autograde = steps(task.config)
        for step in sanitize:
            nb, resources = step(config=task.config)(nb, resources)
        # nbgrader writes the sanitized notebook and reads it back before
        # grading it; cells it added (a deleted test cell) become notebook
        # nodes all the way down only then.
        nb = nbformat.from_dict(nb)
        with setenv(NBGRADER_EXECUTION="autograde"):
            for step in autograde:
                instance = step(config=task.config)
                if isinstance(instance, GradedExecute):
                    instance.start_ahead = True     # the next notebook's kernel starts now
                nb, resources = instance(nb, resources)
        result.scores, result.comments = _scores(nb, logging.getLogger("nbgrader"))
        result.changed = list(resources.get("nnkit_changed", []))
        nb.metadata["nnkit"] = {"content_hash": result.content_hash,
                                "test_version": result.test_version}
        result.graded = nbformat.writes(nb)
    except Exception as err:  # noqa: BLE001 - reported as this notebook's outcome
        result.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    finally:
        shutil.rmtree(private, ignore_errors=True)
        result.seconds = time.monotonic() - started
    return result


def prepare_worker(sandboxed=True):
    """Make this process ready to grade; return ``""``, or why it cannot.

    A worker started by the course's commands inherits the run's runtime
    folder; a Dask worker on another machine makes its own.  A task that
    asks for the sandbox is refused by a worker that cannot start one.
    """
    from ..course import prepare_environment
    prepare_environment()
    os.environ["NN_KIT_SANDBOX"] = "on" if sandboxed else "off"
    ok, why = sandbox.prepare_runtime()
    if sandboxed and not ok:
        return f"the worker on {os.uname().nodename} cannot start sandboxed kernels: {why}"
    return ""


def grade_as_data(task):
    """:func:`grade`, its result as plain data (a dict of strings, numbers,
    lists and dicts) that a coordinator can load without unpickling."""
    return dataclasses.asdict(grade(task))


def result_from_data(data):
    """The :class:`Result` that :func:`grade_as_data` returned, rebuilt from
    plain data (lists may arrive as tuples); anything else raises."""
    if not isinstance(data, dict) or set(data) != {f.name for f in dataclasses.fields(Result)}:
        raise ValueError("not a grading result")
    data = dict(data)
    if isinstance(data.get("changed"), tuple):
        data["changed"] = list(data["changed"])
    return Result(**data)
