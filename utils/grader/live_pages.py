"""The pages a student fetches while the assignment is open.

Each notebook of a submission has one page in the exchange, named as
nbgrader names feedback (a hash of the submission's secret and the
notebook's name), so *Fetch Feedback* in the Assignments tab and
``nbgrader fetch_feedback`` bring it.  Until the submission is graded the
page says where it stands (received, waiting and roughly until when, being
graded, replaced by a later one, not graded and why); then it is replaced by
the verdict: per exercise passed or failed, the grader's message (the
visible checks' words, each failed hidden check described, never its inputs
or expected values), the points when the course shows them
(:class:`~utils.grader.live_settings.LiveGrading`), and how many graded
submissions the student has left.  The Assignments tab offers the page
again when it changed.

The rule: a page is built from what the grader decided (the verdicts it
wrote into the graded notebook, the gradebook's scores, the queue's record),
never from what the student's code printed, and it is readable by its
student alone (:func:`utils.grader.acl.write_for`).
"""
import datetime as dt
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path

from nbgrader.utils import notebook_hash

from . import acl
from .deadlines import shown, span
from .live_settings import NOTHING, PASS_FAIL

#: A page's look: readable on its own, no script, nothing fetched.
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
.state { padding: 0.8em 1em; border-radius: 6px; margin: 1em 0; }
.waiting { background: #eef3fb; border: 1px solid #9db4d8; }
.graded { background: #eef8ee; border: 1px solid #94c794; }
.failed { background: #fbeeee; border: 1px solid #d89d9d; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.pass { color: #1c6b1c; font-weight: 600; }
.fail { color: #a12020; font-weight: 600; }
pre { white-space: pre-wrap; background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em;
      border-radius: 4px; }
.small { color: #555; font-size: 0.9em; }
"""


@dataclass(frozen=True)
class Exercise:
    """What the grader decided about one graded cell of a notebook."""
    grade_id: str
    by_hand: bool              # a written answer, graded by a person later
    passed: bool
    message: str               # the grader's words ("" when it passed)
    score: float
    max_score: float


def exercises(course, assignment, student, notebook):
    """The :class:`Exercise` list of a graded notebook, in the notebook's order.

    Which exercises there are, their kind and their points come from the
    instructor's notebook in the gradebook, never from the graded copy's cell
    metadata (a student can add a cell calling itself a test, or copy one):
    the copy gives only each test's verdict, which the grader wrote."""
    from nbgrader.api import MissingEntry
    from .gradebook import open_gradebook
    path = course.autograded / student / assignment / f"{notebook}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    found = []
    with open_gradebook(course) as gb:
        master = gb.find_notebook(notebook, assignment)
        graded = {c.name: c for c in master.grade_cells}
        answers = {c.name for c in master.solution_cells}
        verdicts = {}
        for cell in cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in graded and grade_id not in verdicts:
                verdicts[grade_id] = cell.get("metadata", {}).get("nnkit", {})
        for name in list(verdicts) + [n for n in graded if n not in verdicts]:
            cell = graded[name]
            try:
                score = gb.find_grade(name, notebook, assignment, student).score
            except MissingEntry:
                score = None
            by_hand = cell.cell_type != "code" or name in answers
            verdict = {} if by_hand else verdicts.get(name) or {}
            found.append(Exercise(name, by_hand, bool(verdict.get("passed")),
                                  str(verdict.get("feedback") or ""), score or 0.0,
                                  float(cell.max_score or 0)))
    return found


def page_name(secret, notebook):
    """The file name nbgrader gives a notebook's feedback in the exchange."""
    return f"{notebook_hash(secret=secret, notebook_id=notebook)}.html"


def _page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def _when(seconds, zone):
    return shown(dt.datetime.fromtimestamp(seconds, dt.timezone.utc), zone)


def title(entry, notebook):
    return f"{entry.assignment} / {notebook}"


@dataclass(frozen=True)
class Standing:
    """Where a submission stands, for its page (see :func:`status_page`)."""
    state: str                 # "waiting", "limited", "grading", "superseded", "failed"
    text: str                  # one or two sentences for the student
    eta: float = None          # when it should be graded (epoch seconds), if known


def status_page(entry, notebook, standing, zone, now):
    """The page of a submission that is not graded (yet)."""
    css = {"failed": "failed", "superseded": "failed"}.get(standing.state, "waiting")
    lines = [f"<p>Your submission of {html.escape(_when(entry.received, zone))} was received."
             "</p>",
             f'<div class="state {css}"><p>{html.escape(standing.text)}</p>']
    if standing.eta is not None:
        lines.append(f"<p>Expected by about {html.escape(_when(standing.eta, zone))}.</p>")
    lines.append("</div>")
    if standing.state not in ("failed", "superseded"):
        lines.append("<p>This page is replaced by the result as soon as the submission is "
                     "graded: in the Assignments tab, press <b>Fetch Feedback</b> again (or "
                     "run <code>nbgrader fetch_feedback " + html.escape(entry.assignment)
                     + "</code> in a terminal) and open the new page.</p>")
    lines.append(f'<p class="small">Page written {html.escape(_when(now, zone))}.</p>')
    return _page(title(entry, notebook), "\n".join(lines))


def verdict_page(entry, notebook, found, show, remaining, late, zone, now, left_out=""):
    """The page of a graded notebook: ``found`` its :class:`Exercise` list,
    ``show`` what the course shows now, ``remaining`` one sentence on the
    graded submissions left, ``late`` one sentence or "", ``left_out`` the
    files of the folder that were not taken in, or ""."""
    graded_at = entry.finished if entry.finished is not None else now
    parts = [f"<p>Your submission of {html.escape(_when(entry.received, zone))}, graded "
             f"{html.escape(_when(graded_at, zone))}.</p>"]
    if left_out:
        parts.append("<p>Not everything in your submission folder was taken in ("
                     f"{html.escape(left_out)}).</p>")
    tests = [e for e in found if not e.by_hand]
    passed = sum(1 for e in tests if e.passed)
    if show == NOTHING:
        parts.append('<div class="state graded"><p>Your submission was graded. What the '
                     "checks found is shown after the deadline.</p></div>")
    else:
        summary = f"{passed} of {len(tests)} checked exercises passed"
        if show != PASS_FAIL:
            score = sum(e.score for e in found if not e.by_hand)
            most = sum(e.max_score for e in found)
            summary += f"; {score:g} of {most:g} points"
            hand = sum(e.max_score for e in found if e.by_hand)
            if hand:
                summary += f" ({hand:g} of them for written answers, graded by a person later)"
        parts.append(f'<div class="state graded"><p>{html.escape(summary)}.</p></div>')
        if late:
            parts.append(f"<p>{html.escape(late)}</p>")
        head = "<tr><th>Exercise</th><th>Result</th>" + (
            "<th>Points</th>" if show != PASS_FAIL else "") + "</tr>"
        rows = []
        for e in found:
            if e.by_hand:
                result = "graded by a person later"
                points = f"– / {e.max_score:g}"
            else:
                result = ('<span class="pass">passed</span>' if e.passed
                          else '<span class="fail">failed</span>')
                points = f"{e.score:g} / {e.max_score:g}"
            rows.append(f"<tr><td>{html.escape(e.grade_id)}</td><td>{result}</td>"
                        + (f"<td>{points}</td>" if show != PASS_FAIL else "") + "</tr>")
        parts.append(f"<table>{head}{''.join(rows)}</table>")
        for e in tests:
            if not e.passed:
                message = e.message or "This test failed."
                parts.append(f"<h2>{html.escape(e.grade_id)}</h2><pre>{html.escape(message)}</pre>")
    if remaining:
        parts.append(f"<p>{html.escape(remaining)}</p>")
    parts.append(f'<p class="small">Page written {html.escape(_when(now, zone))}.</p>')
    return _page(title(entry, notebook), "\n".join(parts))


def remaining_text(allowance, settings, zone, now):
    """One sentence on how many graded submissions a student has left."""
    if allowance.exhausted:
        return (f"You have used all {settings.total} graded submissions of this assignment: "
                "your latest submission is graded at the deadline.")
    if allowance.left > 0:
        return (f"You can have {allowance.left} more submission(s) graded now "
                f"(at most {settings.per_window} per {settings.window_minutes:g} minutes, "
                f"{settings.total} in all).")
    return (f"Your next submission is graded from {_when(allowance.next_at, zone)} (at most "
            f"{settings.per_window} per {settings.window_minutes:g} minutes); submitting "
            "before then is fine: the latest one waits.")


def limited_text(allowance, settings, zone, due):
    """Why a submission waits for the rate limit, and until when."""
    if allowance.exhausted:
        when = f" at the deadline ({_when(due, zone)})" if due is not None else \
            " when the instructor grades the class"
        return (f"You have had {settings.total} submissions graded, the most this assignment "
                f"allows before its deadline: this one (or a later one) is graded{when}.")
    return (f"You have had {settings.per_window} submissions graded in the last "
            f"{settings.window_minutes:g} minutes: this one (or a later one: the latest wins) "
            f"is graded at {_when(allowance.next_at, zone)}.")


def late_text(lateness):
    """One sentence for a late submission's page, or ""."""
    if lateness is None or not lateness.late:
        return ""
    text = f"This submission came {span(lateness.seconds_late)} after the due date"
    if lateness.penalty:
        return text + f": {lateness.penalty:.0%} of its points are taken off in the gradebook."
    return text + "."


class Publisher:
    """Writes a submission's pages where its student fetches them."""

    def __init__(self, exchange_feedback, archive):
        self.folder = Path(exchange_feedback)
        self.archive = Path(archive)

    def prepare(self):
        """Make the exchange's feedback folder (enterable, not listable) and
        check that its file system can keep a page to one student; raise
        :class:`utils.grader.acl.AclUnsupported` otherwise.  Returns False
        (and makes nothing) when the exchange has no folder for the course
        yet: nothing was released through it."""
        if not self.folder.parent.is_dir():
            return False
        self.folder.mkdir(exist_ok=True)
        if os.stat(self.folder).st_uid == os.geteuid():
            os.chmod(self.folder, 0o711)
        acl.require_support(str(self.folder))
        return True

    def publish(self, entry, notebook, text):
        """Write one page: in the exchange (readable by the student alone) when
        the submission came with a secret, and in the service's archive."""
        data = text.encode("utf-8")
        kept = self.archive / str(entry.id)
        kept.mkdir(mode=0o700, parents=True, exist_ok=True)
        (kept / f"{notebook}.html").write_bytes(data)
        if entry.secret and (self.folder.is_dir() or self.prepare()):
            acl.write_for(str(self.folder / page_name(entry.secret, notebook)), data,
                          entry.student)
