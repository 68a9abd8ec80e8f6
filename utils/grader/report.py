"""Scores out of the gradebook: per cell, per notebook, as a table and as CSV.

A score is only ever reported next to its status: a notebook that could not
be graded says so, instead of showing up as a silent 0.
"""
import csv
from contextlib import contextmanager

from nbgrader.api import MissingEntry

from .gradebook import open_gradebook
from .intake import safe_text

NOT_GRADED = "not graded"
NOT_SUBMITTED = "not submitted"
GRADED = "graded"


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


def notebook_rows(course, outcome):
    """One row per notebook of an outcome: name, score, max_score, status."""
    rows = []
    with gradebook(course) as gb:
        for name in course.notebooks(outcome.assignment):
            try:
                max_score = gb.find_notebook(name, outcome.assignment).max_score
            except MissingEntry:
                max_score = None
            if name in outcome.problems:
                rows.append((name, None, max_score, f"{NOT_GRADED}: {outcome.problems[name]}"))
            elif not outcome.graded:
                rows.append((name, None, max_score, f"{NOT_GRADED}: {outcome.message}"))
            elif name in outcome.missing:
                rows.append((name, 0.0, max_score, NOT_SUBMITTED))
            else:
                nb = gb.find_submission_notebook(name, outcome.assignment, outcome.student)
                rows.append((name, nb.score, max_score, _graded_status(nb)))
    return rows


BY_HAND = "point(s) to grade by hand"


def _graded_status(nb):
    """'graded', or how many of its points still wait for a person to grade them."""
    waiting = sum(g.max_score for g in nb.grades if g.needs_manual_grade)
    return f"{GRADED}, {waiting:g} {BY_HAND}" if waiting else GRADED


def _number(name):
    """'03_network' -> '03', the short column title of a notebook."""
    return name.split("_", 1)[0]


def score_table(course, assignment, outcomes):
    """A student-by-notebook table of scores, totals and remarks, as text."""
    notebooks = course.notebooks(assignment)
    header = ["student"] + [_number(n) for n in notebooks] + ["total", "remark"]
    lines = []
    for outcome in outcomes:
        rows = notebook_rows(course, outcome)
        cells = [safe_text(outcome.student, 40)]
        total, total_max, by_hand = 0.0, 0.0, 0.0
        for _, score, max_score, status in rows:
            cells.append("n/g" if score is None else f"{score:g}")
            total += score or 0.0
            total_max += max_score or 0.0
            if status.endswith(BY_HAND):
                by_hand += float(status.split(", ", 1)[1].split()[0])
        cells.append(f"{total:g}/{total_max:g}" if outcome.graded else "NOT GRADED")
        waiting = f"{by_hand:g} {BY_HAND} (formgrader)" if by_hand else ""
        cells.append(safe_text("; ".join(filter(None, [outcome.message, waiting])), 2000))
        lines.append(cells)
    widths = [max(len(str(row[i])) for row in [header] + lines)
              for i in range(len(header) - 1)]
    def fmt(row):
        return "  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " + row[-1]
    legend = "  ".join(f"{_number(n)} = {n}" for n in notebooks)
    return "\n".join([f"{assignment}:  {legend}", fmt(header),
                      "  ".join("-" * w for w in widths)] + [fmt(r) for r in lines])


def spreadsheet_safe(value):
    """A CSV cell a spreadsheet shows as text: a leading = + - @ or control
    character would make it run the cell as a formula."""
    text = str(value)
    if text and (text[0] in "=+-@" or not text[0].isprintable()):
        return "'" + text
    return text


def write_grades_csv(course, outcomes, path):
    """Write one CSV row per student and notebook; return the number of rows."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "notebook", "score", "max_score", "status"])
        for outcome in outcomes:
            for name, score, max_score, status in notebook_rows(course, outcome):
                writer.writerow([spreadsheet_safe(outcome.student), outcome.assignment, name,
                                 "" if score is None else f"{score:g}",
                                 "" if max_score is None else f"{max_score:g}",
                                 spreadsheet_safe(status)])
                count += 1
    return count
