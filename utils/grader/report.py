"""Scores out of the gradebook: per cell, per notebook, per student, as a table.

A score is only ever reported next to its status: a notebook that could not
be graded says so, instead of showing up as a silent 0, and an enrolled
student who submitted nothing shows as missing.  :class:`StudentRecord` is
the one form in which a student's result of an assignment leaves this
module (for the class report and the exports), and :class:`NotebookRow` the
one form of a notebook's row read from the gradebook: a status such as
``graded, 3 point(s) to grade by hand`` is rendered from their fields, and
nothing reads numbers or states back out of it.
"""
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from nbgrader.api import MissingEntry

from .gradebook import open_gradebook
from .intake import safe_text
from .outcome import GRADED, NOT_GRADED

NOT_SUBMITTED = "not submitted"
MISSING = "missing"                  # enrolled, and nothing of the assignment submitted


@contextmanager
def gradebook(course):
    """The course's gradebook, opened read-write and closed afterwards."""
    with open_gradebook(course) as gb:
        yield gb


def cell_scores(course, assignment, student, notebook):
    """``{grade_id: (score, max_score)}`` of one graded notebook."""
    with gradebook(course) as gb:
        nb = gb.find_submission_notebook(notebook, assignment, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


#: The end of a graded notebook's status while some of its points wait for a person.
BY_HAND = "point(s) to grade by hand"


def notebook_status(state, reason="", by_hand=0.0):
    """A notebook's status as shown: ``graded``, ``graded, 3 point(s) to grade
    by hand``, ``not submitted`` or ``not graded: <why>``."""
    if state == GRADED:
        return f"{GRADED}, {by_hand:g} {BY_HAND}" if by_hand else GRADED
    if state == NOT_GRADED:
        return f"{NOT_GRADED}: {reason}"
    return state


@dataclass(frozen=True)
class NotebookRow:
    """One notebook of an outcome, as the gradebook holds it."""
    name: str
    score: float = None              # None: not graded
    max_score: float = None          # None: the notebook is not in the gradebook
    state: str = GRADED              # GRADED, NOT_GRADED or NOT_SUBMITTED
    by_hand: float = 0.0             # points waiting for a person (formgrader)
    reason: str = ""                 # why it was not graded
    penalty: float = 0.0             # points taken for a late submission

    @property
    def status(self):
        return notebook_status(self.state, self.reason, self.by_hand)


def notebook_rows(course, outcome, gb=None):
    """A :class:`NotebookRow` per notebook of an outcome, in course order."""
    if gb is None:
        with gradebook(course) as gb:
            return notebook_rows(course, outcome, gb)
    rows = []
    for name in course.notebooks(outcome.assignment):
        try:
            max_score = gb.find_notebook(name, outcome.assignment).max_score
        except MissingEntry:
            max_score = None
        if name in outcome.problems:
            rows.append(NotebookRow(name, None, max_score, NOT_GRADED,
                                    reason=outcome.problems[name]))
        elif not outcome.graded:
            rows.append(NotebookRow(name, None, max_score, NOT_GRADED, reason=outcome.reason))
        elif name in outcome.missing:
            rows.append(NotebookRow(name, 0.0, max_score, NOT_SUBMITTED))
        else:
            nb = gb.find_submission_notebook(name, outcome.assignment, outcome.student)
            rows.append(NotebookRow(
                name, nb.score, max_score, GRADED,
                by_hand=sum(g.max_score for g in nb.grades if g.needs_manual_grade),
                penalty=nb.late_submission_penalty or 0.0))
    return rows


def _number(name):
    """'03_network' -> '03', the short column title of a notebook."""
    return name.split("_", 1)[0]


def score_table(course, assignment, outcomes):
    """A student-by-notebook table of scores, late penalty, totals and remarks,
    as text.  Read from the same :class:`StudentRecord` as the exports: the
    total is after the late penalty, as in totals.csv and canvas.csv."""
    notebooks = course.notebooks(assignment)
    header = ["student"] + [_number(n) for n in notebooks] + ["late", "total", "remark"]
    wanted = {o.student for o in outcomes}
    records = [r for r in class_records(course, assignment, outcomes) if r.student in wanted]
    lines = []
    for record in records:
        cells = [safe_text(record.student, 40)]
        cells += ["n/g" if n.score is None else f"{n.score:g}" for n in record.notebooks]
        cells.append(f"-{record.penalty:g}" if record.penalty else "")
        cells.append(f"{record.final:g}/{record.max_score:g}" if record.state == GRADED
                     else "NOT GRADED")
        remarks = [record.message]
        if record.penalty:
            remarks.append(f"late: {record.penalty:g} of {record.score:g} point(s) taken")
        if record.by_hand:
            remarks.append(f"{record.by_hand:g} {BY_HAND} (formgrader)")
        cells.append(safe_text("; ".join(filter(None, remarks)), 2000))
        lines.append(cells)
    widths = [max(len(str(row[i])) for row in [header] + lines)
              for i in range(len(header) - 1)]
    def fmt(row):
        return "  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + row[-1]
    legend = "  ".join(f"{_number(n)} = {n}" for n in notebooks)
    return "\n".join([f"{assignment}:  {legend}", fmt(header),
                      "  ".join("-" * w for w in widths)] + [fmt(r) for r in lines])


@dataclass
class NotebookScore:
    """One student's result of one notebook."""
    notebook: str
    score: float = None              # None: not graded
    max_score: float = None
    state: str = GRADED              # GRADED, NOT_SUBMITTED or NOT_GRADED
    by_hand: float = 0.0             # points waiting for a person (formgrader)
    penalty: float = 0.0             # points taken for a late submission
    test_version: str = ""           # which version of the tests graded it ("" unknown)
    reason: str = ""                 # why it was not graded

    @property
    def status(self):
        """``graded``, ``graded, 3 point(s) to grade by hand``, ``not submitted``
        or ``not graded: <why>``."""
        return notebook_status(self.state, self.reason, self.by_hand)


@dataclass
class StudentRecord:
    """One enrolled student's result of one assignment."""
    student: str
    assignment: str
    state: str                       # GRADED, NOT_GRADED or MISSING
    message: str = ""                # why not graded, or the grader's remarks (shown)
    notebooks: list = field(default_factory=list)    # NotebookScore, in course order
    lateness: object = None          # deadlines.Lateness
    seconds: float = 0.0             # time its notebooks took to grade
    first_name: str = ""             # from the roster (python -m utils roster)
    last_name: str = ""
    email: str = ""
    lms_id: str = ""
    outcome: object = None           # the grader's Outcome (None: nothing submitted)

    @property
    def score(self):
        """Points before any late penalty."""
        return sum(n.score or 0.0 for n in self.notebooks)

    @property
    def max_score(self):
        return sum(n.max_score or 0.0 for n in self.notebooks)

    @property
    def penalty(self):
        return sum(n.penalty for n in self.notebooks)

    @property
    def final(self):
        """Points after the late penalty: what goes into the course's gradebook."""
        return self.score - self.penalty

    @property
    def by_hand(self):
        return sum(n.by_hand for n in self.notebooks)

    @property
    def name(self):
        """``"Last, First"`` from the roster, or the student id."""
        return ", ".join(p for p in (self.last_name, self.first_name) if p) or self.student


def _test_version(course, assignment, student, notebook):
    """The test version a graded copy records (``""`` if none can be read)."""
    path = course.autograded / student / assignment / f"{notebook}.ipynb"
    try:
        if path.stat().st_size > 64 * 2**20:
            return ""
        record = json.loads(path.read_text(encoding="utf-8"))["metadata"]["nnkit"]
        version = record.get("test_version", "")
        return version if isinstance(version, str) else ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ""


def current_test_versions(course, assignment):
    """``{notebook: version}`` of the tests in the gradebook now."""
    from .unit import MasterNotebook
    with gradebook(course) as gb:
        return {name: MasterNotebook.from_gradebook(gb, name, assignment).version
                for name in course.notebooks(assignment)}


def class_records(course, assignment, outcomes=None):
    """A :class:`StudentRecord` of ``assignment`` for every enrolled student:
    every student in the gradebook (the roster, and everyone ever graded) and
    every outcome given (by default the recorded ones), sorted by id."""
    from . import deadlines
    from .outcome import load_outcomes
    outcomes = load_outcomes(course, assignment) if outcomes is None else outcomes
    by_student = {o.student: o for o in outcomes}
    book = deadlines.deadlines_of(course)
    times = deadlines.read_times(course)
    records = []
    with gradebook(course) as gb:
        people = {s.id: s for s in gb.students}
        maxima = {}
        for name in course.notebooks(assignment):
            try:
                maxima[name] = gb.find_notebook(name, assignment).max_score
            except MissingEntry:
                maxima[name] = None
        for student in sorted(set(people) | set(by_student)):
            outcome = by_student.get(student)
            person = people.get(student)
            record = StudentRecord(student, assignment, MISSING)
            if person is not None:
                record.first_name = person.first_name or ""
                record.last_name = person.last_name or ""
                record.email = person.email or ""
                record.lms_id = person.lms_user_id or ""
            if outcome is None:
                record.notebooks = [NotebookScore(n, 0.0, maxima[n], NOT_SUBMITTED)
                                    for n in course.notebooks(assignment)]
                record.lateness = deadlines.Lateness(*book.due_date(assignment, student),
                                                    zone=book.timezone)
                records.append(record)
                continue
            record.state = GRADED if outcome.graded else NOT_GRADED
            record.outcome = outcome
            record.message = outcome.message
            record.seconds = outcome.seconds
            record.lateness = deadlines.lateness(book, times, assignment, student)
            for row in notebook_rows(course, outcome, gb):
                entry = NotebookScore(row.name, row.score, row.max_score, row.state,
                                      row.by_hand, row.penalty, reason=row.reason)
                if row.state == GRADED:
                    entry.test_version = _test_version(course, assignment, student, row.name)
                record.notebooks.append(entry)
            records.append(record)
    return records


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet shows as text: a leading = + - @ or control
    character would make it run the cell as a formula."""
    text = str(value)
    if text and (text[0] in "=+-@" or not text[0].isprintable()):
        return "'" + text
    return text
