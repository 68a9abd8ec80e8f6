"""The class report of one assignment: one HTML page for the instructor, and
a short summary of it for the terminal.

:func:`write_report` writes ``reports/<assignment>.html`` in the course
folder: scores and their histogram, the pass rate of every exercise and the
messages its failures showed, who was not graded or was flagged and why,
what still waits for grading by hand, late submissions, which version of the
tests graded each score, how long grading took, look-alike answers and who
submitted nothing.  :func:`summary` says the main figures in a few lines.

The page is a single file that works offline: its CSS is inline, its charts
are PNG images inside it (data URIs), and it holds no script and no link to
anything.  It is for the instructor only: it quotes the grader's messages in
full (hidden tests and expected values included), so it is never handed out.

Everything that comes from a submission (student ids, names, messages, code)
is hostile data: it is stripped of control characters, cut to a length and
HTML-escaped before it reaches the page.
"""
import base64
import datetime as dt
import html
import io
import json
import os
import re
import stat
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .intake import safe_text
from .report import GRADED, MISSING, NOT_GRADED

#: Where reports go, inside the course folder.
REPORT_FOLDER = "reports"

#: How many different failure messages the page lists per exercise.  Beyond
#: four or five the rest are single students' messages, better read in their
#: feedback.
TOP_MESSAGES = 5

#: With at most this many failing exercises their messages are shown open;
#: with more, each exercise is one line to unfold.
OPEN_FAILURES = 8

#: A failure message is cut to this many characters once normalised: its
#: first line says what went wrong; the rest is detail that differs per student.
MESSAGE_CHARS = 160

#: A graded copy larger than this is not read for failure messages (the
#: grader never writes one this big; a larger file is not what it wrote).
MAX_NOTEBOOK_BYTES = 64 * 2**20

#: Look-alike pairs shown with their code, highest similarity first; the
#: rest are only counted (a class with more needs the list, not the page).
MAX_PAIRS_SHOWN = 50

#: Characters of each answer shown beside its look-alike.
MAX_CODE_CHARS = 6000

#: Resolution of the charts: sharp on a screen, about 20-40 kB each.
PLOT_DPI = 100

#: How many of the slowest students the grading-time section names.
SLOWEST = 5

# A number as it appears in a message (not inside a name such as float64).
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
_REPEATS = re.compile(r"#(?:[\s,;]+#){2,}")

# Which fields of a graded student's Outcome (utils.grader.outcome) make
# them worth a look, and how the page names each.
_FLAGS = (
    ("tampering", "replaced what the tests use (tampering)"),
    ("changed", "changed locked cells"),
    ("stopped", "a cell stopped the kernel"),
    ("left_out", "a file was left out"),
    ("unreadable", "a notebook could not be read"),
)


# -- what the page is made of ------------------------------------------------------

@dataclass
class Exercise:
    """One autograded test cell of the assignment and how the class did on it."""
    notebook: str
    name: str                                       # its grade_id
    points: float
    scores: dict = field(default_factory=dict)      # student -> points, graded notebooks only
    failures: dict = field(default_factory=dict)    # normalised message -> [students]

    @property
    def label(self):
        """``"01_single_neuron: test_relu"``."""
        return f"{self.notebook}: {self.name}"

    @property
    def passed(self):
        """How many students earned every point of it."""
        return sum(1 for s in self.scores.values() if s >= self.points - 1e-9)

    @property
    def pass_rate(self):
        """The share of graded students who passed it (``None``: nobody graded)."""
        return self.passed / len(self.scores) if self.scores else None

    @property
    def mean(self):
        """Mean points of the graded students (``None``: nobody graded)."""
        return statistics.fmean(self.scores.values()) if self.scores else None


@dataclass
class ClassView:
    """Everything the report shows, gathered once."""
    course: object
    assignment: str
    records: list
    pairs: list
    exercises: list
    versions: dict                  # notebook -> current test version ("" unknown)
    written: dt.datetime

    def with_state(self, state):
        """The records in ``state`` (GRADED, NOT_GRADED or MISSING)."""
        return [r for r in self.records if r.state == state]

    @property
    def graded(self):
        """The records of graded students."""
        return self.with_state(GRADED)


def gather(course, assignment, records=None, pairs=None):
    """The :class:`ClassView` of ``assignment``; ``records`` and ``pairs`` are
    computed (:func:`~utils.grader.report.class_records`,
    :func:`~utils.grader.similarity.lookalikes`) when not given."""
    from . import report
    course.check_assignment(assignment)
    if records is None:
        records = report.class_records(course, assignment)
    if pairs is None:
        from . import similarity
        pairs = similarity.lookalikes(course, assignment)
    exercises, versions = _exercises(course, assignment, records), {}
    if exercises or _has_gradebook(course):
        from nbgrader.api import MissingEntry
        try:
            versions = report.current_test_versions(course, assignment)
        except MissingEntry:         # a notebook not in the gradebook yet
            versions = {}
    return ClassView(course, assignment, list(records), list(pairs), exercises, versions,
                     dt.datetime.now(dt.timezone.utc))


def _has_gradebook(course):
    from .gradebook import exists
    return exists(course)


def _exercises(course, assignment, records):
    """Every autograded test cell, with each graded student's points and the
    messages of its failures.  Nothing is read when nobody was graded."""
    from nbgrader.api import MissingEntry
    from .report import gradebook
    graded = [r for r in records if r.state == GRADED]
    if not graded or not _has_gradebook(course):
        return []
    found = []
    with gradebook(course) as gb:
        for notebook in course.notebooks(assignment):
            try:
                master = gb.find_notebook(notebook, assignment)
            except MissingEntry:
                continue
            answers = {c.name for c in master.solution_cells}
            tests = {c.name: Exercise(notebook, c.name, float(c.max_score))
                     for c in master.grade_cells
                     if c.cell_type == "code" and c.name not in answers}
            for record in graded:
                entry = next((n for n in record.notebooks if n.notebook == notebook), None)
                if entry is None or entry.state != GRADED:
                    continue
                try:
                    submitted = gb.find_submission_notebook(notebook, assignment, record.student)
                except MissingEntry:
                    continue
                failed = []
                for grade in submitted.grades:
                    if grade.name in tests and grade.score is not None:
                        tests[grade.name].scores[record.student] = float(grade.score)
                        if grade.score < tests[grade.name].points - 1e-9:
                            failed.append(grade.name)
                if failed:
                    path = course.autograded / record.student / assignment / f"{notebook}.ipynb"
                    said = failure_messages(path, failed)
                    for name in failed:
                        message = said.get(name, "(no message: the graded copy could not be read)")
                        tests[name].failures.setdefault(message, []).append(record.student)
            found.extend(tests.values())
    return found


def failure_messages(path, grade_ids):
    """``{grade_id: normalised message}`` of the failed test cells of a graded
    copy.  The file is untrusted: one that is a link, not a regular file, too
    large or not a notebook gives ``{}``."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTEBOOK_BYTES:
            return {}
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return {}
    wanted, found = set(grade_ids), {}
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
        if not isinstance(grade_id, str) or grade_id not in wanted or grade_id in found:
            continue
        found[grade_id] = normalise_message(_error_text(cell.get("outputs")))
    return found


def _error_text(outputs):
    """The error a graded test cell shows: the verdict's reason (its ``evalue``
    already names the kind of failure) or another error's name and value."""
    from .verdict import FAILED
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get("output_type") == "error":
            name, value = str(output.get("ename", "")), str(output.get("evalue", ""))
            return value if name == FAILED and value else ": ".join(filter(None, [name, value]))
    return "failed without an error message"


def normalise_message(text):
    """One failure message, made comparable between students: its first line,
    numbers as ``#`` (a run of three or more, as in an array, as ``#…``),
    spacing collapsed, cut to :data:`MESSAGE_CHARS`."""
    lines = [line for line in str(text).splitlines() if line.strip()]
    first = lines[0] if lines else "failed without an error message"
    first = _REPEATS.sub("#…", _NUMBER.sub("#", safe_text(first, 4 * MESSAGE_CHARS)))
    first = " ".join(first.split())
    return first if len(first) <= MESSAGE_CHARS else first[:MESSAGE_CHARS - 1] + "…"


# -- small helpers ------------------------------------------------------------------

def _e(text, limit=300):
    """Hostile text, printable and escaped for HTML."""
    return html.escape(safe_text(text, limit), quote=True)


def _code(text):
    """An answer as submitted, for a ``<pre>``: control characters other than
    line breaks and tabs replaced, cut to :data:`MAX_CODE_CHARS`, escaped."""
    text = str(text)
    cut = len(text) > MAX_CODE_CHARS
    text = "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text[:MAX_CODE_CHARS])
    return html.escape(text + ("\n… (cut)" if cut else ""), quote=True)


def _points(value):
    return "–" if value is None else f"{value:.4g}" if value != int(value) else f"{value:.0f}"


def _mean(value):
    return "–" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _percent(share):
    return "–" if share is None else f"{100 * share:.0f} %"


def _duration(seconds):
    """``"2 days 3 h"``, ``"5 h 10 min"``, ``"12 min"``, ``"40 s"``."""
    from .deadlines import span
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 60 else span(seconds)


def _when(moment, zone="UTC"):
    """A time in the course's time zone, UTC beside it (:func:`deadlines.shown`)."""
    from .deadlines import shown
    return "–" if moment is None else shown(moment, zone)


def _table(header, rows, numeric=()):
    """An HTML table; ``rows`` hold already escaped cells; columns in
    ``numeric`` are right-aligned."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(anchor, title, body):
    return f'<section id="{anchor}"><h2>{title}</h2>\n{body}\n</section>'


def _none(text):
    return f'<p class="none">{text}</p>'


def _stats(values):
    """``(mean, median, max)`` of some totals, or three ``None``."""
    if not values:
        return None, None, None
    return statistics.fmean(values), statistics.median(values), max(values)


def _png(figure):
    """A matplotlib figure as a ``data:`` URI, then freed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PLOT_DPI, bbox_inches="tight")
    figure.clear()
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _flags(record):
    """Why a graded student's result needs a look (``[]``: it does not), from
    the fields of its outcome and the status of its notebooks."""
    outcome = record.outcome
    found = [label for name, label in _FLAGS if outcome is not None and getattr(outcome, name)]
    if any(n.state == NOT_GRADED for n in record.notebooks) \
            and "a notebook could not be read" not in found:
        found.append("a notebook was not graded")
    return found


# -- the sections --------------------------------------------------------------------

def _header(view):
    records, graded = view.records, view.graded
    finals = [r.final for r in graded]
    befores = [r.score for r in graded]
    top = max((r.max_score for r in view.records), default=0.0)
    mean, median, best = _stats(finals)
    mean0, median0, best0 = _stats(befores)
    counts = [("enrolled", len(records)), ("graded", len(graded)),
              ("not graded", len(view.with_state(NOT_GRADED))),
              ("missing", len(view.with_state(MISSING)))]
    tiles = "".join(f'<div class="tile"><b>{n}</b><span>{label}</span></div>'
                    for label, n in counts)
    rows = [["after late penalties", _mean(mean), _points(median), _points(best)],
            ["before late penalties", _mean(mean0), _points(median0), _points(best0)]]
    return (f"<header><h1>{_e(view.assignment)}: class report</h1>"
            f"<p>Course folder <code>{_e(view.course.root.name)}</code>, written "
            f"{_when(view.written, _zone(view))}. Totals are out of {_points(top)} points, over the "
            f"{len(graded)} graded student(s).</p>"
            f'<div class="tiles">{tiles}</div>'
            + _table(["total", "mean", "median", "max"], rows, numeric=(1, 2, 3))
            + "</header>")


def _histogram(view):
    finals = [r.final for r in view.graded]
    if not finals:
        return _section("histogram", "Score histogram", _none("Nobody has been graded yet."))
    from matplotlib.figure import Figure
    top = max((r.max_score for r in view.records), default=0.0) or max(finals) or 1.0
    bins = max(1, min(20, int(round(top))))
    figure = Figure(figsize=(7, 3))
    axes = figure.add_subplot()
    axes.hist(finals, bins=bins, range=(0, top), color="#3b6ea8", edgecolor="white")
    axes.set_xlabel(f"total after late penalties (out of {_points(top)})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    image = _png(figure)
    return _section("histogram", "Score histogram",
                    f'<img alt="histogram of the final totals" src="{image}">')


def _pass_rates(view):
    rated = [x for x in view.exercises if x.scores]
    if not rated:
        return _section("exercises", "Pass rate per exercise",
                        _none("No exercise has been graded yet."))
    from matplotlib.figure import Figure
    figure = Figure(figsize=(7, 0.6 + 0.32 * len(rated)))
    axes = figure.add_subplot()
    # a $ would start matplotlib's math mode
    labels = [safe_text(x.label, 60).replace("$", r"\$") for x in rated]
    rates = [100 * x.pass_rate for x in rated]
    axes.barh(range(len(rated)), rates, color="#3b6ea8")
    axes.set_yticks(range(len(rated)), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("students who earned every point (%)")
    image = _png(figure)
    rows = [[_e(x.notebook), _e(x.name), _points(x.points), _percent(x.pass_rate),
             f"{x.passed}/{len(x.scores)}", _mean(x.mean)] for x in rated]
    note = ("<p>An exercise is one autograded test cell; it is passed with every one of "
            "its points. Only notebooks that were graded count.</p>")
    return _section("exercises", "Pass rate per exercise",
                    note + f'<img alt="pass rate per exercise" src="{image}">'
                    + _table(["notebook", "exercise", "points", "pass rate", "passed",
                              "mean points"], rows, numeric=(2, 3, 4, 5)))


def _failures(view):
    failing = [x for x in view.exercises if x.failures]
    if not failing:
        return _section("failures", "Most common failures", _none("No test failed."))
    parts = ["<p>The first line of each failed test's message, numbers shown as #, "
             "with the students who got it. The messages quote hidden tests: this page "
             "is for instructors only.</p>"]
    for x in failing:
        ranked = sorted(x.failures.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        rows = [[_e(message, MESSAGE_CHARS + 10), str(len(students)),
                 _e(", ".join(sorted(students)), 400)]
                for message, students in ranked[:TOP_MESSAGES]]
        more = len(ranked) - TOP_MESSAGES
        extra = f"<p>… and {more} other message(s).</p>" if more > 0 else ""
        failed = sum(len(s) for s in x.failures.values())
        parts.append(f"<details{' open' if len(failing) <= OPEN_FAILURES else ''}><summary>"
                     f"{_e(x.label)}: {failed} failed, {len(ranked)} different message(s)"
                     f"</summary>" + _table(["message", "students", "who"], rows, numeric=(1,))
                     + extra + "</details>")
    return _section("failures", "Most common failures", "\n".join(parts))


def _flagged(view):
    rows = []
    for record in view.records:
        if record.state == NOT_GRADED:
            why = ["not graded"]
        elif record.state == GRADED:
            why = _flags(record)
        else:
            continue
        if why:
            rows.append([_e(record.student, 80), _e(", ".join(why)),
                         _e(record.message or "no reason recorded", 2000)])
    body = (_table(["student", "why", "the grader's remark"], rows) if rows
            else _none("Every submission was graded and nothing was flagged."))
    return _section("flagged", "Not graded or flagged", body)


def _by_hand(view):
    rows = [[_e(r.student, 80), _e(n.notebook), _points(n.by_hand)]
            for r in view.records for n in r.notebooks if n.by_hand]
    if not rows:
        return _section("by-hand", "Grading by hand still to do",
                        _none("Nothing waits for grading by hand."))
    total = sum(r.by_hand for r in view.records)
    return _section("by-hand", "Grading by hand still to do",
                    f"<p>{_points(total)} point(s) wait for a person. Grade them in "
                    "formgrader (JupyterLab: <i>Nbgrader → Formgrader</i>, then "
                    "<i>Manual Grading</i>); the totals above count them as 0 until then.</p>"
                    + _table(["student", "notebook", "points"], rows, numeric=(2,)))


def _zone(view):
    """The course's time zone, as its deadlines give it (UTC without deadlines)."""
    return next((r.lateness.zone for r in view.records if r.lateness is not None), "UTC")


def _late(view):
    dated = [r for r in view.records if r.lateness is not None and r.lateness.due is not None]
    if not dated:
        return _section("late", "Late submissions", _none("This assignment has no due date."))
    late = [r for r in dated if r.state != MISSING and r.lateness.late]
    unknown = [r for r in dated if r.state != MISSING and r.lateness.submitted is None]
    parts = []
    if late:
        rows = [[_e(r.student, 80), _when(r.lateness.submitted, r.lateness.zone),
                 _when(r.lateness.due, r.lateness.zone)
                 + (" (extended)" if r.lateness.extended else ""),
                 _duration(r.lateness.seconds_late), _percent(r.lateness.penalty),
                 _points(r.penalty)] for r in late]
        parts.append(_table(["student", "submitted", "due", "late by", "penalty",
                             "points taken"], rows, numeric=(4, 5)))
    else:
        parts.append(_none("No submission was late."))
    extended = [r for r in dated if r.lateness.extended]
    if extended:
        parts.append("<p>Extensions: " + ", ".join(
            f"{_e(r.student, 80)} (until {_when(r.lateness.due, r.lateness.zone)})"
            for r in extended) + ".</p>")
    if unknown:
        parts.append("<p>Submission time unknown (not counted as late; record it in "
                     "<code>submission_times.json</code> if needed): "
                     + ", ".join(_e(r.student, 80) for r in unknown) + ".</p>")
    return _section("late", "Late submissions", "\n".join(parts))


def _versions(view):
    if not view.versions:
        return _section("versions", "Test versions", _none("No tests in the gradebook yet."))
    rows, behind = [], []
    for notebook, current in view.versions.items():
        graded = [(r.student, n.test_version) for r in view.graded for n in r.notebooks
                  if n.notebook == notebook and n.state == GRADED]
        same = sum(1 for _, v in graded if v == current)
        unknown = sum(1 for _, v in graded if not v)
        behind += [(s, notebook, v) for s, v in graded if v and v != current]
        rows.append([_e(notebook), f"<code>{_e(current[:8])}</code>", str(same),
                     str(len(graded) - same - unknown), str(unknown)])
    body = _table(["notebook", "current tests", "scores from them", "from older tests",
                   "version unknown"], rows, numeric=(2, 3, 4))
    if behind:
        body += ("<p>These scores come from tests that have changed since. Run "
                 "<code>python -m utils autograde " + _e(view.assignment)
                 + "</code> again: it regrades exactly these.</p>"
                 + _table(["student", "notebook", "graded with"],
                          [[_e(s, 80), _e(n), f"<code>{_e(v[:8])}</code>"]
                           for s, n, v in behind]))
    return _section("versions", "Test versions", body)


def _timing(view):
    timed = [r for r in view.graded if r.seconds]
    if not timed:
        return _section("timing", "Grading time",
                        _none("No grading time recorded (nothing graded in the last run)."))
    total = sum(r.seconds for r in timed)
    slowest = sorted(timed, key=lambda r: (-r.seconds, r.student))[:SLOWEST]
    rows = [[_e(r.student, 80), f"{r.seconds:.1f}"] for r in slowest]
    return _section("timing", "Grading time",
                    f"<p>{total:.1f} s of notebook grading for {len(timed)} student(s), "
                    f"{total / len(timed):.1f} s each on average (summed over notebooks "
                    "graded at once; a student whose notebooks were unchanged since the last "
                    "run took none).</p><p>Slowest:</p>"
                    + _table(["student", "seconds"], rows, numeric=(1,)))


def _lookalikes(view):
    note = ("<p>Pairs of students whose answer to an exercise is near-identical once "
            "names, numbers, strings, comments and spacing are set aside; code the "
            "exercise provides does not count. This is for you to read and judge: "
            "students may have worked together as allowed or found the same idea, "
            "and it never changes a score.</p>")
    if not view.pairs:
        return _section("lookalikes", "Look-alike answers",
                        note + _none("No look-alike answers."))
    parts = [note]
    for rank, pair in enumerate(view.pairs[:MAX_PAIRS_SHOWN], 1):
        a, b = (list(pair.students) + ["?", "?"])[:2]
        code = (list(pair.code) + ["", ""])[:2]
        parts.append(
            f'<div class="pair"><h3>{rank}. {_percent(pair.similarity)} — '
            f"{_e(pair.notebook)}: {_e(pair.exercise)} — {_e(a, 80)} &amp; {_e(b, 80)}</h3>"
            f'<div class="side"><div><p>{_e(a, 80)}</p><pre>{_code(code[0])}</pre></div>'
            f"<div><p>{_e(b, 80)}</p><pre>{_code(code[1])}</pre></div></div></div>")
    more = len(view.pairs) - MAX_PAIRS_SHOWN
    if more > 0:
        parts.append(f"<p>… and {more} more pair(s) with lower similarity.</p>")
    return _section("lookalikes", "Look-alike answers", "\n".join(parts))


def _missing(view):
    missing = view.with_state(MISSING)
    if not missing:
        return _section("missing", "Missing students", _none("Every enrolled student submitted."))
    rows = [[_e(r.student, 80), _e(r.name if r.name != r.student else "", 120),
             _e(r.email, 120)] for r in missing]
    return _section("missing", "Missing students",
                    "<p>Enrolled (on the roster or graded before) with nothing submitted "
                    "for this assignment; their total is 0.</p>"
                    + _table(["student", "name", "email"], rows))


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d232b; max-width: 68rem;
       margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #d5dde6; padding-bottom: .2rem;
     margin-top: 2.2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; margin: .6rem 0; }
th, td { border: 1px solid #c9d2dc; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #eef2f6; }
tbody tr:nth-child(even) { background: #f8fafc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.tiles { display: flex; gap: .8rem; margin: .8rem 0; }
.tile { border: 1px solid #c9d2dc; border-radius: 6px; padding: .4rem .9rem;
        min-width: 6rem; }
.tile b { display: block; font-size: 1.5rem; }
.none { color: #5a6672; font-style: italic; }
details { margin: .5rem 0; }
summary { cursor: pointer; font-weight: 600; }
.side { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .8rem; }
.side p { margin: 0; font-weight: 600; }
pre { background: #f4f6f8; border: 1px solid #d5dde6; padding: .5rem; overflow-x: auto;
      font-size: 13px; white-space: pre; max-height: 30rem; }
img { max-width: 100%; }
nav a { margin-right: .8rem; }
"""

_SECTIONS = (_histogram, _pass_rates, _failures, _flagged, _by_hand, _late, _versions,
             _timing, _lookalikes, _missing)


def render(view):
    """The whole page of a :class:`ClassView`, as HTML text."""
    toc = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("histogram", "scores"), ("exercises", "exercises"), ("failures", "failures"),
        ("flagged", "flagged"), ("by-hand", "by hand"), ("late", "late"),
        ("versions", "test versions"), ("timing", "time"), ("lookalikes", "look-alikes"),
        ("missing", "missing")))
    body = "\n".join(section(view) for section in _SECTIONS)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(view.assignment)}: class report</title>"
            f"<style>{_STYLE}</style></head><body>\n{_header(view)}\n<nav>{toc}</nav>\n"
            f"{body}\n</body></html>\n")


# -- the two entry points ---------------------------------------------------------

def default_path(course, assignment):
    """Where the report of ``assignment`` goes: ``reports/<assignment>.html``."""
    return course.root / REPORT_FOLDER / f"{assignment}.html"


def write_with_summary(course, assignment, path=None, records=None, pairs=None):
    """:func:`write_report` and then :func:`summary`, computing the records
    and look-alike pairs once; returns ``(path, summary text)``."""
    view = gather(course, assignment, records, pairs)
    path = _write(view, path)
    return path, summary_of(view, path)


def write_report(course, assignment, path=None, records=None, pairs=None):
    """Write the self-contained HTML class report of `assignment` (default path:
    course.root / "reports" / f"{assignment}.html"); return its path.

    ``records`` (:class:`~utils.grader.report.StudentRecord`) and ``pairs``
    (:class:`~utils.grader.similarity.Pair`) are computed when not given.
    An unknown assignment raises :class:`~utils.course.CourseError`.
    """
    return _write(gather(course, assignment, records, pairs), path)


def _write(view, path):
    """Write the page of ``view`` to ``path`` (default: :func:`default_path`)."""
    path = Path(path) if path is not None else default_path(view.course, view.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(render(view), encoding="utf-8")
    temporary.replace(path)
    return path


def summary(course, assignment, path=None, records=None, pairs=None):
    """The plain-text summary printed in the terminal (about 8-15 lines, ends
    with the report's path if given)."""
    return summary_of(gather(course, assignment, records, pairs), path)


def summary_of(view, path=None):
    """:func:`summary` of an already gathered :class:`ClassView`."""
    graded = view.graded
    top = max((r.max_score for r in view.records), default=0.0)
    lines = [f"{safe_text(view.assignment, 40)}: {len(view.records)} enrolled, "
             f"{len(graded)} graded, {len(view.with_state(NOT_GRADED))} not graded, "
             f"{len(view.with_state(MISSING))} missing"]
    mean, median, best = _stats([r.final for r in graded])
    if mean is None:
        lines.append("  scores: nobody graded yet")
    else:
        before = statistics.fmean(r.score for r in graded)
        lines.append(f"  scores: mean {mean:.1f}/{_points(top)} (median {_points(median)}, "
                     f"max {_points(best)}) after late penalties; mean {before:.1f} before")
    rated = sorted((x for x in view.exercises if x.scores), key=lambda x: (x.pass_rate, x.label))
    if rated:
        lines.append("  hardest: " + "; ".join(
            f"{safe_text(x.label, 60)} ({_percent(x.pass_rate)} pass)" for x in rated[:3]))
    flagged = [r for r in view.records if r.state == NOT_GRADED
               or (r.state == GRADED and _flags(r))]
    if flagged:
        lines.append(f"  not graded or flagged: {len(flagged)} (" + ", ".join(
            safe_text(r.student, 40) for r in flagged[:5])
            + (", …" if len(flagged) > 5 else "") + ")")
    lines.append(_late_line(view))
    waiting = sum(r.by_hand for r in view.records)
    if waiting:
        lines.append(f"  by hand: {_points(waiting)} point(s) to grade in formgrader")
    behind = sum(1 for r in graded for n in r.notebooks
                 if n.test_version and view.versions.get(n.notebook) not in (None, n.test_version))
    if behind:
        lines.append(f"  older tests: {behind} score(s); run autograde again to regrade them")
    lines.append(_pairs_line(view.pairs))
    missing = view.with_state(MISSING)
    if missing:
        lines.append("  missing: " + ", ".join(safe_text(r.student, 40) for r in missing[:8])
                     + (", …" if len(missing) > 8 else ""))
    if path is not None:
        lines.append(f"  report: {path}")
    return "\n".join(line for line in lines if line)


def _late_line(view):
    dated = [r for r in view.records if r.state != MISSING
             and r.lateness is not None and r.lateness.due is not None]
    if not dated:
        return "  late: no due date"
    late = [r for r in dated if r.lateness.late]
    unknown = [r for r in dated if r.lateness.submitted is None]
    text = f"  late: {len(late)}"
    if late:
        taken = sum(r.penalty for r in late)
        text += f" ({', '.join(safe_text(r.student, 40) for r in late[:5])}; " \
                f"{_points(taken)} point(s) taken)"
    if unknown:
        text += f"; submission time unknown: {len(unknown)}"
    return text


def _pairs_line(pairs):
    if not pairs:
        return "  look-alike pairs: none"
    best = pairs[0]
    a, b = (list(best.students) + ["?", "?"])[:2]
    return (f"  look-alike pairs: {len(pairs)} (highest: {safe_text(a, 40)} & "
            f"{safe_text(b, 40)}, {_percent(best.similarity)}, "
            f"{safe_text(best.notebook, 60)}: {safe_text(best.exercise, 60)})")
