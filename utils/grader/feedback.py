"""Feedback built from verdicts and the student's own work, nothing else.

nbgrader renders feedback from the graded notebook.  Everything the kernel
printed during grading may carry what student code saw there (hidden inputs
included), and the test cells hold the hidden tests, so
:class:`FeedbackFromVerdicts` rewrites that notebook before it is rendered:

- a test cell shows its visible checks, its hidden region as one comment
  line, and one output written by the grader: that it passed, or why not in
  words (:mod:`utils.grader.verdict`);
- every other code cell shows the student's code without outputs;
- markdown (written answers) stays, but a link to a file of the assignment
  folder (``CONVENTIONS.md``) keeps only its words: the file is not beside
  the feedback page; nbgrader adds the grader's comments;
- an answer whose points still wait for hand grading shows no score (never
  "0 / 3") but the words of :func:`pending_text`, and the page opens with a
  note saying how many of its points are still to be graded.

:class:`FeedbackStyle` gives the page's tables borders and padding.

:class:`FeedbackOnly` writes the feedback pages, and a copy of MathJax beside
them so that equations render without a network; of the submission folder
only ``timestamp.txt`` and ``submission_secret.txt``, checked, which
``release_feedback`` needs (:mod:`utils.grader.feedback_release`).  A page
that travels without its folder (nbgrader's ``release_feedback`` hands out
pages alone) loads MathJax from the web instead, as nbconvert's pages do.
"""
import re

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader import utils as nbutils
from nbgrader.converters import GenerateFeedback
from traitlets import Bool

from .feedback_release import ReceiptsForRelease
from .verdict import visible_source

#: A markdown link or image whose target is neither a web address, an
#: anchor in the page nor inline data: a file that only the assignment
#: folder holds.
_LOCAL_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\((?!\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|//))[^)\n]*\)")


def _drop_local_links(markdown):
    """``markdown`` with links to local files turned into their words."""
    return _LOCAL_LINK.sub(lambda m: "" if m.group(1) else m.group(2), markdown)


def _points(points):
    """``"1 point"``, ``"3 points"``, ``"1.5 points"``."""
    return f"{points:g} point" + ("" if points == 1 else "s")


def pending_text(points):
    """What an answer still waiting for hand grading shows instead of a score."""
    return f"Not graded yet — {_points(points)} to be graded by hand."


def pending_notice(points, max_score):
    """The note at the top of a page with points still waiting for hand grading."""
    return (f"**Not graded yet:** {_points(points)} of this notebook's {max_score:g} are for "
            "answers that a person still has to read and grade by hand. The score at the "
            "top counts only what has been graded so far; these points come later, and "
            "this page will be written again then.")


def waiting_for_hand_grading(resources):
    """``{grade_id: points}`` of the notebook's cells still waiting for a person,
    read from the gradebook that nbgrader's feedback names in ``resources``."""
    info = resources.get("nbgrader") or {}
    if not info.get("db_url"):
        return {}
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(info["db_url"]) as gb:
        try:
            nb = gb.find_submission_notebook(info["notebook"], info["assignment"],
                                             info["student"])
        except MissingEntry:
            return {}
        return {g.name: g.max_score for g in nb.grades if g.needs_manual_grade}


class FeedbackFromVerdicts(Preprocessor):
    """Replace every output of the graded run by what the grader decided."""

    #: nbconvert runs a registered preprocessor only when it is enabled.
    enabled = Bool(True)

    def preprocess(self, nb, resources):
        self._waiting = waiting_for_hand_grading(resources)
        nb, resources = super().preprocess(nb, resources)
        if self._waiting:
            max_score = (resources.get("nbgrader") or {}).get("max_score") or 0.0
            nb.cells.insert(0, new_markdown_cell(
                pending_notice(sum(self._waiting.values()), max_score)))
        return nb, resources

    def _mark_pending(self, cell):
        """A cell still waiting for hand grading: no score shown (nbgrader's
        page would say 0), its points named as not graded yet."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        waiting = getattr(self, "_waiting", {})
        if not nbutils.is_grade(cell) or grade_id not in waiting:
            return False
        cell.metadata.nbgrader["grade"] = False
        text = pending_text(waiting[grade_id])
        if cell.cell_type == "markdown":
            cell.source = cell.source.rstrip() + f"\n\n---\n*{text}*"
        else:
            cell.outputs = [new_output("stream", name="stdout", text=text + "\n")]
        return True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = _drop_local_links(cell.source)
            self._mark_pending(cell)
            return cell, resources
        if cell.cell_type != "code":
            return cell, resources
        if nbutils.is_grade(cell) and not nbutils.is_solution(cell):
            verdict = cell.metadata.get("nnkit", {})
            cell.source = visible_source(cell.source)
            if verdict.get("passed"):
                cell.outputs = [new_output("stream", name="stdout", text="This test passed.\n")]
            else:
                message = verdict.get("feedback") or "This test failed."
                cell.outputs = [new_output("error", ename="TestFailed", evalue=message,
                                           traceback=[f"TestFailed: {message}"])]
        else:
            cell.outputs = []
            self._mark_pending(cell)
        cell.execution_count = None
        cell.metadata.pop("nnkit", None)
        return cell, resources


#: Tables in explanations and written answers: nbgrader's feedback page
#: styles only tables of its own classes, so markdown tables would have no
#: borders or spacing.  The list of scores at the top gets some air too.
TABLE_CSS = """
.rendered_html table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
.rendered_html th, .rendered_html td {
  border: 1px solid #c8c8c8; padding: 0.3em 0.8em; text-align: left; vertical-align: top;
}
.rendered_html thead th, .rendered_html tr:first-child th { background: #eef1f5; }
.rendered_html tbody tr:nth-child(even) { background: #f8f8f8; }
#toc ol { padding-left: 1.6em; }
#toc li { padding: 0.1em 0; }
"""


class FeedbackStyle(Preprocessor):
    """Add :data:`TABLE_CSS` to the styles the feedback page inlines.

    Runs after nbconvert's ``CSSHTMLHeaderPreprocessor``, which sets the list.
    """

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        inlining = resources.setdefault("inlining", {})
        inlining["css"] = list(inlining.get("css", [])) + [TABLE_CSS]
        return nb, resources


#: The address nbconvert's templates load MathJax from; nbgrader's feedback
#: template writes it in the page whatever ``HTMLExporter.mathjax_url`` says.
CDN_MATHJAX = HTMLExporter.class_traits()["mathjax_url"].default_value

_CDN_SCRIPT = re.compile(r'<script src="' + re.escape(CDN_MATHJAX) + r'">\s*</script>')


def _mathjax_scripts(local):
    """Load MathJax from the copy beside the page; only when it is not there
    (nbgrader's exchange, ``release_feedback``, hands out the pages alone)
    from the web, as nbconvert would."""
    return (f'<script src="{local}"></script>\n'
            "<script>if (!window.MathJax) {  // no copy beside this page\n"
            "  var web = document.createElement('script');\n"
            f"  web.src = '{CDN_MATHJAX}';\n"
            "  document.head.appendChild(web);\n"
            "}</script>")


#: Bootstrap's icon font, inlined with its CSS but never used by the page: its
#: files (``../fonts/``) are not beside the page, so the rule goes.
_ICON_FONT = re.compile(r"@font-face\s*\{[^}]*url\(\s*['\"]?\.\./fonts/[^}]*\}")


class FeedbackOnly(ReceiptsForRelease, GenerateFeedback):
    """nbgrader's GenerateFeedback without copying the graded folder's other
    files, and with MathJax beside the pages instead of from the network.
    The submission's timestamp.txt and submission_secret.txt, checked, are
    the only files taken from it: release_feedback needs them
    (:mod:`utils.grader.feedback_release`)."""

    def init_assignment(self, assignment_id, student_id):
        """Copy MathJax into the feedback folder, and of the submission only
        the files release_feedback needs."""
        from ..offline import copy_mathjax
        self._mathjax_url = copy_mathjax(self._format_dest(assignment_id, student_id))
        self.write_receipt(assignment_id, student_id)

    def write_single_notebook(self, output, resources):
        """Write the page, loading MathJax from the copy beside it."""
        local = getattr(self, "_mathjax_url", None)
        if local:
            output = _CDN_SCRIPT.sub(lambda _: _mathjax_scripts(local), output, count=1)
        output = _ICON_FONT.sub("", output)
        super().write_single_notebook(output, resources)
