"""What happened to one student's submission of one assignment, as a typed record.

The rule: one :class:`Outcome` per submission, made once by the coordinator
(:mod:`utils.grader.coordinator`) when the submission is final, and every
output rendered from it.  What it found (a notebook that stopped the kernel,
tampering with what the tests use, locked cells changed, files left out, a
late submission) are fields; nothing reads such things back out of the
remark text.  The one-line remark the terminal prints (:attr:`Outcome.message`)
is rendered from the fields, and so are the class report's flags, the score
table and the exports.

``grading_status.json`` holds the record (:meth:`Outcome.to_record`); an
older record, which holds only a status, a message, problems, missing
notebooks and seconds, still loads (:meth:`Outcome.from_record`) with its text
kept.
"""
import json
from dataclasses import dataclass, field

from .intake import safe_text

#: The two states of a submission.
GRADED = "graded"
NOT_GRADED = "not graded"

#: The version of :meth:`Outcome.to_record`'s layout (an older record has none).
RECORD_FORMAT = 2


@dataclass(frozen=True)
class Late:
    """A late submission, as :class:`utils.grader.deadlines.Lateness` gives it."""
    description: str                 # "late by 2 days 3 h 1 min; due ...; penalty 30 %"
    penalty: float = 0.0             # fraction of each score taken
    seconds_late: float = 0.0        # after the grace time

    @classmethod
    def of(cls, lateness):
        """The :class:`Late` of a ``Lateness``, or ``None`` when it was not late."""
        if lateness is None or not lateness.late:
            return None
        return cls(lateness.describe(), float(lateness.penalty), float(lateness.seconds_late))


def _names(notebooks):
    """A short list of notebook names: the first two and how many more."""
    if len(notebooks) <= 2:
        return ", ".join(notebooks)
    return f"{', '.join(notebooks[:2])} and {len(notebooks) - 2} more"


def _in_file_order(notebook):
    """The order graded copies are read in (``<notebook>.ipynb`` sorted by name)."""
    return f"{notebook}.ipynb"


@dataclass
class Outcome:
    """What happened to one student's submission of one assignment.

    Made whole by the coordinator and not changed afterwards, except for
    ``feedback_error``, which writing feedback sets.
    """
    student: str
    assignment: str
    status: str                      # GRADED or NOT_GRADED
    reason: str = ""                 # why nothing could be graded ("" when graded)
    problems: dict = field(default_factory=dict)   # notebook -> why it was not graded
    missing: list = field(default_factory=list)    # notebooks not submitted (scored 0)
    left_out: dict = field(default_factory=dict)   # file -> why intake left it out
    unreadable: list = field(default_factory=list)  # notebooks that could not be read as one
    stopped: list = field(default_factory=list)    # (notebook, cell number, first line)
    tampering: list = field(default_factory=list)  # (notebook, (cell numbers, ...), reason)
    changed: list = field(default_factory=list)    # (notebook, (locked cells changed, ...))
    late: Late = None                # None: on time, no due date, or time unknown
    seconds: float = 0.0             # time its notebooks took to grade (this run)
    content_hashes: dict = field(default_factory=dict)  # notebook -> hash of what was graded
    notes: list = field(default_factory=list)      # the remark of an older record, as text
    feedback_error: str = ""         # why no feedback was written ("" when it was)

    @property
    def graded(self):
        return self.status == GRADED

    def remarks(self):
        """The remarks on this submission, one string each, in the order the
        terminal prints them: why not graded, or what grading found."""
        if not self.graded:
            found = [self.reason] if self.reason else list(self.notes)
        elif self.notes:             # an older record: its text says all it knew
            found = list(self.notes)
        else:
            found = list(self.problems.values())
            found += [f"left out: {why}" for why in self.left_out.values()]
            found += self._kernel_remarks()
            found += [safe_text(f"{notebook}: changed locked cell(s) "
                                f"{', '.join(map(str, cells))} (graded in the "
                                "instructor's version)", 500)
                      for notebook, cells in self.changed]
            if self.missing:
                found.append(f"not submitted (scored 0): {_names(self.missing)}")
            if self.late is not None:
                found.append(self.late.description)
        if self.feedback_error:
            found.append(f"no feedback: {self.feedback_error}")
        return found

    def _kernel_remarks(self):
        """Per notebook: the cells that stopped the kernel, then each reason
        for tampering with the cells it was found in."""
        lines = []
        notebooks = {entry[0] for entry in self.stopped} | {entry[0] for entry in self.tampering}
        for name in sorted(notebooks, key=_in_file_order):
            lines += [f"{notebook}: cell {number} ({first!r}) stopped the kernel"
                      for notebook, number, first in self.stopped if notebook == name]
            for notebook, numbers, why in self.tampering:
                if notebook == name:
                    numbers = [str(n) for n in numbers]
                    cells = (f"cell {numbers[0]}" if len(numbers) == 1
                             else f"cells {', '.join(numbers)}")
                    lines.append(f"TAMPERING in {notebook}, {cells}: {why}")
        return lines

    @property
    def message(self):
        """The remarks as one line (``""`` when there are none)."""
        return "; ".join(self.remarks())

    # -- grading_status.json ---------------------------------------------------------

    def to_record(self):
        """This outcome as plain JSON data (the rendered ``message`` included,
        for a person reading the file)."""
        return {
            "format": RECORD_FORMAT,
            "status": self.status,
            "message": self.message,
            "reason": self.reason,
            "problems": dict(self.problems),
            "missing": list(self.missing),
            "left_out": dict(self.left_out),
            "unreadable": list(self.unreadable),
            "stopped": [[notebook, number, first] for notebook, number, first in self.stopped],
            "tampering": [[notebook, list(numbers), why]
                          for notebook, numbers, why in self.tampering],
            "changed": [[notebook, list(cells)] for notebook, cells in self.changed],
            "late": None if self.late is None else {
                "description": self.late.description, "penalty": self.late.penalty,
                "seconds_late": round(self.late.seconds_late, 2)},
            "seconds": round(self.seconds, 2),
            "content_hashes": dict(self.content_hashes),
            "notes": list(self.notes),
            "feedback_error": self.feedback_error,
        }

    @classmethod
    def from_record(cls, student, assignment, record):
        """The :class:`Outcome` a record of :meth:`to_record` holds.  An older
        record (status, message, problems, missing, seconds) keeps its message:
        as the ``reason`` of a submission not graded, as ``notes`` of a graded one."""
        status = record.get("status", NOT_GRADED)
        common = dict(problems=dict(record.get("problems") or {}),
                      missing=list(record.get("missing") or []),
                      seconds=float(record.get("seconds") or 0.0))
        if "format" not in record:
            message = record.get("message") or ""
            if status == GRADED:
                return cls(student, assignment, status, notes=[message] if message else [],
                           **common)
            return cls(student, assignment, status, reason=message, **common)
        late = record.get("late")
        return cls(
            student, assignment, status, reason=record.get("reason") or "",
            left_out=dict(record.get("left_out") or {}),
            unreadable=list(record.get("unreadable") or []),
            stopped=[(notebook, int(number), first)
                     for notebook, number, first in record.get("stopped") or []],
            tampering=[(notebook, tuple(numbers), why)
                       for notebook, numbers, why in record.get("tampering") or []],
            changed=[(notebook, tuple(cells)) for notebook, cells in record.get("changed") or []],
            late=None if not late else Late(late.get("description", ""),
                                            float(late.get("penalty") or 0.0),
                                            float(late.get("seconds_late") or 0.0)),
            content_hashes=dict(record.get("content_hashes") or {}),
            notes=list(record.get("notes") or []),
            feedback_error=record.get("feedback_error") or "",
            **common)


# -- the course's record of outcomes: grading_status.json --------------------

def _status_file(course):
    return course.root / "grading_status.json"


def save_outcomes(course, outcomes):
    """Record outcomes in ``grading_status.json`` (replacing older ones of the
    same students and assignments), each as :meth:`Outcome.to_record`."""
    path = _status_file(course)
    record = json.loads(path.read_text()) if path.exists() else {}
    for o in outcomes:
        record.setdefault(o.assignment, {})[o.student] = o.to_record()
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True))
    temporary.replace(path)


def load_outcomes(course, assignment):
    """The recorded outcomes of an assignment, one per student, by name (older
    records too: :meth:`Outcome.from_record`)."""
    path = _status_file(course)
    record = json.loads(path.read_text()).get(assignment, {}) if path.exists() else {}
    return [Outcome.from_record(student, assignment, r) for student, r in sorted(record.items())]
