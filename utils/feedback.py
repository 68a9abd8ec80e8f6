"""Feedback that teaches without giving the hidden tests away.

nbgrader builds feedback HTML from the autograded notebook, in which every
test cell holds its hidden checks and every failure its full traceback, with
the lines around the failing one.  :class:`RedactHiddenTests` rewrites the
test cells of that notebook before it is rendered:

- the hidden region of each test cell becomes one comment line;
- an error keeps only its message, never the traceback with source lines;
- a failure inside the hidden region keeps what was checked but drops the
  expected value and the test author's hint, which may be computed from the
  reference answer.
"""
import re

from nbgrader import utils as nbutils
from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN_NOTE = "# (hidden tests ran here; they are not shown)"
_BEGIN, _END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"(?:Cell In ?\[\d*\]|Input In ?\[\d*\]|<ipython-input-[^>]*>), line (\d+)")
_VALUE_TAIL = re.compile(r"(?::\s*|,\s*|\s+)(?:expected\b|should be\b).*$", re.S)


def hidden_lines(source):
    """1-based numbers of the lines inside (and on) the hidden-test markers."""
    numbers, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip().startswith(_BEGIN):
            inside = True
        if inside:
            numbers.add(number)
        if line.strip().startswith(_END):
            inside = False
    return numbers


def without_hidden_tests(source):
    """The cell source with each hidden region replaced by one comment line."""
    kept, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(_BEGIN):
            inside = True
            kept.append(line[: len(line) - len(line.lstrip())] + HIDDEN_NOTE)
            continue
        if inside:
            inside = not stripped.startswith(_END)
            continue
        kept.append(line)
    return "\n".join(kept)


def failing_line(traceback):
    """The line of the test cell where an error was raised, if the traceback says."""
    for entry in traceback:
        match = _CELL_LINE.search(_ANSI.sub("", entry))
        if match:
            return int(match.group(1))
    return None


def redact(message):
    """Keep what a hidden check was about; drop values and hints."""
    first = message.strip().splitlines()[0] if message.strip() else "a check failed"
    first = _VALUE_TAIL.sub("", first).rstrip(" .:,")
    return (f"A hidden test failed: {first}. It uses inputs you have not seen: "
            "try your code on other shapes and values, as the exercise describes.")


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, their tracebacks and reference values from feedback."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not nbutils.is_grade(cell):
            return cell, resources
        hidden = hidden_lines(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            message = output.get("evalue", "")
            if failing_line(output.get("traceback", [])) in hidden:
                message = redact(message)
            output.evalue = message
            output.traceback = [f"{output.get('ename', 'Error')}: {message}"]
        cell.source = without_hidden_tests(cell.source)
        return cell, resources
