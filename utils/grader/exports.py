"""The class list in, the class's scores out: a roster import and the files a
spreadsheet or a learning platform (LMS) reads.

:func:`import_roster` reads a CSV class list into nbgrader's student table,
so that every enrolled student is listed, including one who never handed
anything in.  :func:`write_exports` writes four files from
:func:`utils.grader.report.class_records` (nothing else is read for scores):

``notebooks.csv``
    one row per student, assignment and notebook: score, points possible,
    late penalty and status;
``totals.csv``
    one row per enrolled student: name, email, LMS id, then per assignment
    the points after any late penalty, the points possible, the state, how
    late and the penalty, then the total over the exported assignments;
``canvas.csv``
    Canvas's gradebook import layout (see below);
``lms.csv``
    a plain table for any other platform: one id column, one column per
    assignment, and the total.

What a number means, everywhere: a score is written only when it is
complete.  A student whose assignment could not be graded (a broken
notebook, a crash of the grader) has an empty cell and the state ``not
graded: <why>``, never a silent 0; an enrolled student who handed in nothing
gets 0 and the state ``missing``.  Points still waiting to be graded by hand
are not yet in the score: ``totals.csv`` says how many, and by default the
Canvas and LMS files leave that cell empty until they are graded
(``c.Exports.wait_for_hand_grading``).

Canvas's layout, as Canvas documents its gradebook import (*How do I import
grades in the Gradebook?*) and writes its own gradebook export: a header row
``Student, ID, SIS User ID, SIS Login ID, Section`` followed by one column
per assignment, named ``<assignment> (<Canvas assignment id>)`` so that
Canvas fills an existing assignment (a column without an id makes Canvas
create a new assignment on import); a second row ``Points Possible`` with the
points of each assignment; then a row per student.  Here ``Student`` is
"Last, First" (the kit's id when the roster gives no name), ``ID`` the
student's Canvas user id (the roster's ``lms_id``), ``SIS User ID`` the
kit's student id, ``SIS Login ID`` the email, and ``Section`` is left empty.
A score cell left empty is left unchanged by Canvas.

Every file is UTF-8 with a byte order mark (so Excel shows accented names
right), numbers are written as plain numbers, and each file is written to a
temporary file first and renamed into place only when all four are ready: a
failure never leaves a half-written export.

Text cells follow the reader of the file.  The spreadsheet files
(``notebooks.csv``, ``totals.csv``) pass every text cell through
:func:`utils.grader.report.spreadsheet_safe` (an id like ``=HYPERLINK(...)``
stays text, shown with a leading ``'``).  The LMS files (``canvas.csv``,
``lms.csv``, which Moodle's grade import reads too) carry the ids the
platform matches students by (``ID``, ``SIS User ID``, ``SIS Login ID``, the
id column) exactly as they are: a ``'`` added there would make the platform
miss the student.  An id there that a spreadsheet would run as a formula
(:func:`formula_risk`: ``=...``, or ``+ - @`` followed by a call or a
reference such as ``@SUM(1)``) is refused: that student is left out of the
LMS file and named in the warnings, to be corrected in the roster.  A plain
``+41...`` or ``-x`` id is written as it is.
"""
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from traitlets import Bool, Dict, Enum, TraitError, Unicode
from traitlets.config import Configurable

from ..course import CourseError
from .intake import IntakeError, check_name, safe_text

#: A roster larger than this is refused unread: 5 MiB holds a class of tens
#: of thousands of students; anything bigger is the wrong file.
MAX_ROSTER_BYTES = 5 * 2 ** 20
#: At most this many students in one roster, for the same reason.
MAX_ROSTER_ROWS = 50_000
#: nbgrader's student table holds at most 128 characters per field.
MAX_FIELD = 128
#: At most this many problems are listed one by one (a wrong file would
#: otherwise fill the terminal); the rest are counted.
MAX_ERRORS_SHOWN = 50

#: The roster's columns, and the headers accepted for each (compared in
#: lower case, with ``_``, ``-`` and ``.`` read as spaces).  Any other column
#: is ignored and named in :attr:`RosterResult.ignored_columns`.
ROSTER_HEADERS = {
    "id": ("id", "student id", "studentid", "username", "user name", "login", "login id"),
    "first_name": ("first name", "firstname", "first", "given name", "forename"),
    "last_name": ("last name", "lastname", "last", "surname", "family name"),
    "email": ("email", "e mail", "email address", "e mail address", "mail"),
    "lms_id": ("lms id", "lms user id", "canvas id", "canvas user id", "moodle id"),
}

#: The nbgrader ``Student`` attribute each roster field is stored in.
STUDENT_ATTRIBUTE = {"first_name": "first_name", "last_name": "last_name",
                     "email": "email", "lms_id": "lms_user_id"}

#: The header of the generic file's id column when ``c.Exports.id_header`` is
#: not set: it says what the column holds.
DEFAULT_ID_HEADERS = {"lms_id": "LMS ID", "id": "Student ID", "email": "Email"}

#: The files :func:`write_exports` writes, by kind.
FILES = {"notebooks": "notebooks.csv", "totals": "totals.csv",
         "canvas": "canvas.csv", "lms": "lms.csv"}

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")


class Exports(Configurable):
    """How the spreadsheet and LMS files are written (``c.Exports.*`` in
    ``nbgrader_config.py``)."""

    id_column = Enum(["lms_id", "id", "email"], default_value="lms_id", help=(
        "Which roster field identifies a student in lms.csv: 'lms_id' (the "
        "platform's own user id, from the roster's lms_id column), 'id' (the "
        "kit's student id) or 'email'.  Use the one your platform's grade import "
        "can match students by.")).tag(config=True)
    id_header = Unicode("", help=(
        "The header of lms.csv's id column, when the platform's import expects a "
        "particular one (e.g. 'Username').  Empty: named after id_column ('LMS ID', "
        "'Student ID' or 'Email'), so that changing id_column never leaves a header "
        "that names something else.")).tag(config=True)
    canvas_assignment_ids = Dict(help=(
        "{assignment: Canvas assignment id}, e.g. {'lab1': 12345} (the number at the "
        "end of the assignment's address in Canvas).  canvas.csv then heads the "
        "column 'lab1 (12345)' and Canvas fills that assignment; without an id the "
        "column is headed 'lab1' and Canvas creates a new assignment on import.")
    ).tag(config=True)
    wait_for_hand_grading = Bool(True, help=(
        "Leave a student's cell empty in canvas.csv and lms.csv while some of the "
        "assignment's points still wait to be graded by hand (formgrader), so that "
        "no student sees a score that is not finished; totals.csv always shows the "
        "points so far.  False: upload the points so far.")).tag(config=True)


def exports_settings(course):
    """The course's :class:`Exports` settings, read from its ``nbgrader_config.py``
    and checked (a bad value is one clear :class:`CourseError`)."""
    try:
        settings = Exports(config=course.config())
    except TraitError as err:
        raise CourseError(f"c.Exports in nbgrader_config.py: {err}") from None
    assignments = course.assignments()
    for assignment, number in settings.canvas_assignment_ids.items():
        if assignment not in assignments:
            raise CourseError(f"c.Exports.canvas_assignment_ids names {assignment!r}, which "
                              f"is not an assignment of this course ({', '.join(assignments)})")
        if not str(number).strip().isdigit():
            raise CourseError(f"c.Exports.canvas_assignment_ids[{assignment!r}] is "
                              f"{number!r}: a Canvas assignment id is a number, the last "
                              "part of the assignment's address in Canvas")
    return settings


# -- the roster --------------------------------------------------------------

@dataclass
class RosterResult:
    """What :func:`import_roster` did.  When ``errors`` is not empty nothing
    was imported: fix the lines named and import the file again."""
    added: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)     # "line 7: 'bad id!': why"
    unchanged: int = 0                             # already there, exactly so
    ignored_columns: list = field(default_factory=list)


def _header_key(text):
    """A header as compared with :data:`ROSTER_HEADERS`."""
    text = text.replace("\ufeff", "").strip().lower()
    return " ".join(re.sub(r"[_.\-]", " ", text).split())


def _roster_text(path):
    """The text of a roster file, or a :class:`CourseError` saying why not."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"no roster file at {safe_text(path)}")
    size = path.stat().st_size
    if size > MAX_ROSTER_BYTES:
        raise CourseError(f"{safe_text(path.name)} is {size / 2 ** 20:.1f} MiB: a roster is "
                          f"at most {MAX_ROSTER_BYTES // 2 ** 20} MiB; is it the right file?")
    data = path.read_bytes()
    if b"\0" in data or data.startswith(b"PK\x03\x04"):
        raise CourseError(f"{safe_text(path.name)} is not a CSV file (it looks like a binary "
                          "file, e.g. a spreadsheet workbook): save it as 'CSV UTF-8'")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise CourseError(f"{safe_text(path.name)}, line {line}: not UTF-8 text; save the "
                          "roster as 'CSV UTF-8'") from None
    if not text.strip():
        raise CourseError(f"{safe_text(path.name)} is empty: a roster needs a header row "
                          "with an 'id' column, then one row per student")
    return text


def _delimiter(header_line):
    """The delimiter of a roster: a comma, or the semicolon or tab that some
    spreadsheets write instead, whichever the header row holds most of."""
    counts = {d: header_line.count(d) for d in ",;\t"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_roster(path):
    """``(rows, columns, ignored)``: ``rows`` are ``(line, {field: value})``
    of each non-empty row; ``columns`` maps each known field to its column."""
    text = _roster_text(path)
    name = safe_text(Path(path).name)
    reader = csv.reader(io.StringIO(text, newline=""),
                        delimiter=_delimiter(text.splitlines()[0]))
    try:
        header = next(reader)
        columns, ignored = {}, []
        for index, title in enumerate(header):
            key = _header_key(title)
            known = next((f for f, names in ROSTER_HEADERS.items() if key in names), None)
            if known is None:
                if title.strip():
                    ignored.append(safe_text(title.strip(), 60))
            elif known in columns:
                raise CourseError(f"{name}: columns {safe_text(header[columns[known]], 60)!r} "
                                  f"and {safe_text(title, 60)!r} both give the {known}; "
                                  "keep one")
            else:
                columns[known] = index
        if "id" not in columns:
            found = ", ".join(repr(safe_text(t, 40)) for t in header[:10]) or "none"
            raise CourseError(f"{name} has no 'id' column (its header row has {found}): "
                              "the first row must name the columns, one of them 'id' "
                              "(or 'Student ID', 'Username'); also accepted: first_name, "
                              "last_name, email, lms_id")
        rows, start = [], reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROSTER_ROWS:
                raise CourseError(f"{name} has more than {MAX_ROSTER_ROWS} students; "
                                  "is it the right file?")
            rows.append((line, {f: cells[i].strip() if i < len(cells) else ""
                                for f, i in columns.items()}))
    except csv.Error as err:
        raise CourseError(f"{name}, line {reader.line_num}: not readable as CSV ({err})") from None
    return rows, columns, ignored


def _row_problems(values):
    """What is wrong with one roster row's values (an empty list if nothing)."""
    problems = []
    try:
        check_name("student id", values["id"])
    except IntakeError as err:
        problems.append(str(err) if values["id"] else "the id is empty")
    for key in ("first_name", "last_name", "email", "lms_id"):
        value = values.get(key, "")
        if len(value) > MAX_FIELD:
            problems.append(f"{key} is longer than {MAX_FIELD} characters")
        elif any(not c.isprintable() for c in value):
            problems.append(f"{key} holds control characters")
    email = values.get("email", "")
    if email and len(email) <= MAX_FIELD and not EMAIL.match(email):
        problems.append(f"email {safe_text(email, 60)!r} is not an email address")
    return problems


def import_roster(course, path):
    """Read a CSV roster into nbgrader's student table; return a :class:`RosterResult`.

    The first row names the columns (any order, any case): ``id`` is required
    (also accepted: ``Student ID``, ``Username``, ``Login``), and
    ``first_name``, ``last_name``, ``email`` and ``lms_id`` (the learning
    platform's user id; also ``LMS ID``, ``Canvas ID``) are optional; other
    spellings are listed in :data:`ROSTER_HEADERS`, other columns are
    ignored.  A comma, semicolon or tab separates the fields.  Each id must be
    one the grader accepts (letters, digits and ``_ . @ -``, as
    :func:`utils.grader.intake.check_name` checks submission folder names).

    A student already in the gradebook gets the roster's non-empty values; an
    empty cell never erases what the gradebook holds.  The whole file is
    checked first: a row with a bad id, a bad email or an id given twice is
    reported with its line number, and then nothing is imported.  A file that
    cannot be a roster (not CSV, too big, no ``id`` column) raises a
    :class:`CourseError` naming the problem.
    """
    from .gradebook import open_gradebook
    rows, _, ignored = _read_roster(path)
    result = RosterResult(ignored_columns=ignored)
    first_seen = {}
    for line, values in rows:
        shown = safe_text(values["id"], 60)
        for why in _row_problems(values):
            result.errors.append(f"line {line}: {shown!r}: {why}")
        if values["id"] and values["id"] in first_seen:
            result.errors.append(f"line {line}: {shown!r}: the same id is already on line "
                                 f"{first_seen[values['id']]}")
        first_seen.setdefault(values["id"], line)
    if len(result.errors) > MAX_ERRORS_SHOWN:
        more = len(result.errors) - MAX_ERRORS_SHOWN
        result.errors[MAX_ERRORS_SHOWN:] = [f"... and {more} more problem(s)"]
    if result.errors:
        return result
    from nbgrader.api import MissingEntry
    with open_gradebook(course) as gb:
        for _, values in rows:
            given = {STUDENT_ATTRIBUTE[k]: v for k, v in values.items() if k != "id" and v}
            try:
                student = gb.find_student(values["id"])
            except MissingEntry:
                gb.add_student(values["id"], **given)
                result.added += 1
                continue
            if all(getattr(student, k) == v for k, v in given.items()):
                result.unchanged += 1
            else:
                gb.update_or_create_student(values["id"], **given)
                result.updated += 1
    return result


# -- the exports -------------------------------------------------------------

class ExportFiles(dict):
    """``{kind: path}`` of the files written, with ``warnings``: one line per
    thing the instructor should know (e.g. students left out of ``lms.csv``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings = []


def _number(value):
    """A number as a CSV cell: plain, shortest form; ``""`` for none."""
    return "" if value is None else f"{value:g}"


def _text(value):
    """A text CSV cell that a spreadsheet shows as text: control characters
    replaced, a formula-like start escaped
    (:func:`utils.grader.report.spreadsheet_safe`)."""
    from .report import spreadsheet_safe
    return spreadsheet_safe(safe_text("" if value is None else value, 2000))


#: After a leading ``+ - @``, what makes a spreadsheet cell a formula that
#: calls or refers to something: anything but letters, digits, ``. _ @ - +``
#: and spaces (e.g. ``(`` of a function, ``!`` of a sheet reference, ``|``).
_FORMULA_TAIL = re.compile(r"[^\w.@+\- ]")


def formula_risk(value):
    """Why an id written as it is would be read as a formula by a
    spreadsheet, or ``""`` if it is safe to write as it is."""
    text = "" if value is None else str(value)
    if any(not c.isprintable() for c in text):
        return "it holds control characters"
    if text.startswith("="):
        return "it starts with '='"
    if text[:1] in ("+", "-", "@") and _FORMULA_TAIL.search(text[1:]):
        return f"it starts with {text[0]!r} and holds {_FORMULA_TAIL.search(text[1:]).group()!r}"
    return ""


def _lms_ids(student, columns):
    """``columns`` (``{column: id}``) as the LMS file writes them, as they
    are; or one line saying which id of ``student`` is refused and why."""
    for column, value in columns.items():
        why = formula_risk(value)
        if why:
            return None, (f"{safe_text(student, 60)!r}: the {column} {safe_text(value, 60)!r} "
                          f"would be read as a formula by a spreadsheet ({why}); "
                          "correct it in the roster (python -m utils roster)")
    return {column: "" if value is None else str(value) for column, value in columns.items()}, ""


def late_span(lateness):
    """``"2 days 3 h"`` for a late submission, ``""`` otherwise."""
    from .deadlines import span
    if lateness is None or not lateness.late:
        return ""
    return span(lateness.seconds_late)


@dataclass
class _Result:
    """One student's assignment, as the exports show it."""
    record: object
    points: float = None             # after the late penalty; None: not complete
    state: str = ""
    pending: float = 0.0             # points still to grade by hand

    @property
    def graded(self):
        """Whether the points are complete (a number is written)."""
        return self.points is not None


def export_result(record):
    """The :class:`_Result` of a :class:`utils.grader.report.StudentRecord`: what
    every export (and ``python -m utils lms-sync``) gives the student."""
    from .report import GRADED, MISSING, NOT_GRADED
    ungraded = [n for n in record.notebooks if n.score is None]
    if record.state == MISSING:
        return _Result(record, 0.0, MISSING)
    if record.state == NOT_GRADED or ungraded:
        reason = record.outcome.reason if record.outcome is not None else ""
        why = reason if record.state == NOT_GRADED and reason else "; ".join(
            f"{n.notebook}: {n.reason if n.state == NOT_GRADED else n.status}"
            for n in ungraded)
        return _Result(record, None, f"{NOT_GRADED}: {why}" if why else NOT_GRADED)
    if record.state != GRADED:
        return _Result(record, None, safe_text(record.state, 200))
    pending = record.by_hand
    state = f"{GRADED}, {pending:g} point(s) still to grade by hand" if pending else GRADED
    return _Result(record, record.final, state, pending)




def _assignments_to_export(course, assignments):
    """The assignments to export: the ones named, or every assignment with
    anything graded (one never graded would list the whole class as missing)."""
    from .outcome import load_outcomes
    if assignments:
        names = list(assignments)
        for name in names:
            course.check_assignment(name)
            if not load_outcomes(course, name):
                raise CourseError(f"nothing graded for {name} yet: run autograde first")
        return names
    names = [a for a in course.assignments() if load_outcomes(course, a)]
    if not names:
        raise CourseError("nothing has been graded yet: run autograde first")
    return names


def _csv_text(rows):
    """The rows as CSV text (Excel's dialect: commas, quotes, CRLF)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _write_all(folder, texts):
    """Write ``{file name: text}`` into ``folder``: each to a temporary file
    first, all renamed into place only once every one is written."""
    written = []
    try:
        for name, text in texts.items():
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            written.append((temporary, folder / name))
            with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
                out.write(text)
        for temporary, final in written:
            os.replace(temporary, final)
    except OSError as err:
        for temporary, _ in written:
            if os.path.exists(temporary):
                os.unlink(temporary)
        raise CourseError(f"cannot write the exports in {safe_text(folder)}: "
                          f"{err.strerror or err}") from None


def write_exports(course, folder, assignments=None):
    """Write ``notebooks.csv``, ``totals.csv``, ``canvas.csv`` and ``lms.csv``
    into ``folder`` (made if missing) for ``assignments`` (by default every
    assignment with anything graded); return an :class:`ExportFiles`
    ``{kind: path}`` with its ``warnings``.

    Every enrolled student is listed (:func:`utils.grader.report.class_records`:
    the roster and everyone ever graded).  See the module's description for
    what each file holds.  A student whose ``c.Exports.id_column`` field is
    empty, or shared with another student, is left out of ``lms.csv`` and
    named in the warnings: writing another id in its place could put the
    score on the wrong person in the platform.
    """
    from .report import class_records
    settings = exports_settings(course)
    names = _assignments_to_export(course, assignments)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"{safe_text(folder)} is a file, not a folder for the exports")
    results = {a: {r.student: export_result(r) for r in class_records(course, a)} for a in names}
    students = sorted(set().union(*(set(by) for by in results.values())))
    people = {}
    for by_student in results.values():
        for student, result in by_student.items():
            people.setdefault(student, result.record)
    maxima = {a: max((r.record.max_score for r in by.values()), default=0.0)
              for a, by in results.items()}

    texts, warnings = {}, []
    texts[FILES["notebooks"]] = _csv_text(_notebook_rows(names, results, students))
    texts[FILES["totals"]] = _csv_text(_totals_rows(names, results, students, people, maxima))
    texts[FILES["canvas"]] = _csv_text(_canvas_rows(names, results, students, people, maxima,
                                                    settings, warnings))
    texts[FILES["lms"]] = _csv_text(_lms_rows(names, results, students, people, settings,
                                              warnings))
    folder.mkdir(parents=True, exist_ok=True)
    _write_all(folder, texts)
    files = ExportFiles({kind: folder / name for kind, name in FILES.items()})
    files.warnings = warnings
    return files


def _notebook_rows(names, results, students):
    """``notebooks.csv``: a row per student, assignment and notebook."""
    from .report import MISSING, NOT_SUBMITTED
    rows = [["student", "assignment", "notebook", "score", "max_score", "late_penalty",
             "status"]]
    for student in students:
        for assignment in names:
            result = results[assignment].get(student)
            if result is None:
                continue
            missing = result.record.state == MISSING
            for nb in result.record.notebooks:
                status = f"{MISSING}: {NOT_SUBMITTED}" if missing else nb.status
                rows.append([_text(student), assignment, nb.notebook, _number(nb.score),
                             _number(nb.max_score), _number(nb.penalty), _text(status)])
    return rows


def _totals_rows(names, results, students, people, maxima):
    """``totals.csv``: a row per enrolled student, a group of columns per assignment."""
    rows = [["student", "last_name", "first_name", "email", "lms_id"]
            + [f"{a} {column}" for a in names
               for column in ("points", "max", "state", "late", "late_penalty")]
            + ["total", "total_max"]]
    for student in students:
        person = people[student]
        row = [_text(student), _text(person.last_name), _text(person.first_name),
               _text(person.email), _text(person.lms_id)]
        total, complete = 0.0, True
        for assignment in names:
            result = results[assignment].get(student)
            if result is None:
                row += ["", _number(maxima[assignment]), "not listed", "", ""]
                complete = False
                continue
            record = result.record
            row += [_number(result.points), _number(record.max_score), _text(result.state),
                    _text(late_span(record.lateness)),
                    _number(record.penalty) if result.graded else ""]
            complete = complete and result.graded
            total += result.points or 0.0
        row += [_number(total) if complete else "", _number(sum(maxima.values()))]
        rows.append(row)
    return rows


def _upload_points(result, settings):
    """The points a platform receives, or ``None`` (an empty cell: unchanged there)."""
    if not result.graded or (settings.wait_for_hand_grading and result.pending):
        return None
    return result.points


def _canvas_rows(names, results, students, people, maxima, settings, warnings):
    """``canvas.csv``, in Canvas's gradebook import layout: the ids as they
    are (Canvas matches them exactly), a student with a formula-like id left
    out and named in ``warnings``."""
    ids = settings.canvas_assignment_ids
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [
        f"{a} ({str(ids[a]).strip()})" if a in ids else a for a in names]
    rows = [header, ["Points Possible", "", "", "", ""] + [_number(maxima[a]) for a in names]]
    for student in students:
        person = people[student]
        written, why = _lms_ids(student, {"ID": person.lms_id, "SIS User ID": student,
                                          "SIS Login ID": person.email})
        if why:
            warnings.append(f"canvas.csv leaves out {why}")
            continue
        row = [_text(person.name), written["ID"], written["SIS User ID"],
               written["SIS Login ID"], ""]
        for assignment in names:
            result = results[assignment].get(student)
            row.append("" if result is None else _number(_upload_points(result, settings)))
        rows.append(row)
    return rows


def _lms_rows(names, results, students, people, settings, warnings):
    """``lms.csv``: the configured id, a column per assignment, and the total."""
    column = settings.id_column
    header = settings.id_header.strip() or DEFAULT_ID_HEADERS[column]
    field_of = {"lms_id": "lms_id", "id": "student", "email": "email"}[column]
    ids = {s: (getattr(people[s], field_of) or "").strip() for s in students}
    holders = {}
    for student, value in ids.items():
        if value:
            holders.setdefault(value, []).append(student)
    empty = [s for s in students if not ids[s]]
    shared = {v: who for v, who in holders.items() if len(who) > 1}
    if empty:
        warnings.append(f"lms.csv leaves out {len(empty)} student(s) without {column} in the "
                        f"roster: {_listing(empty)} (import a roster that gives it)")
    for value, who in shared.items():
        warnings.append(f"lms.csv leaves out {_listing(who)}: they share the {column} "
                        f"{safe_text(value, 60)!r}")
    rows = [[_text(header)] + list(names) + ["Total"]]
    for student in students:
        if not ids[student] or ids[student] in shared:
            continue
        written, why = _lms_ids(student, {column: ids[student]})
        if why:
            warnings.append(f"lms.csv leaves out {why}")
            continue
        row, total, complete = [written[column]], 0.0, True
        for assignment in names:
            result = results[assignment].get(student)
            points = None if result is None else _upload_points(result, settings)
            row.append(_number(points))
            complete = complete and points is not None
            total += points or 0.0
        rows.append(row + [_number(total) if complete else ""])
    return rows


def _listing(students, limit=10):
    """``"a, b, c"``, shortened after ``limit`` names."""
    shown = ", ".join(safe_text(s, 60) for s in students[:limit])
    return shown + (f" and {len(students) - limit} more" if len(students) > limit else "")
