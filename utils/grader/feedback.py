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
  the feedback page; nbgrader adds the grader's comments.

:class:`FeedbackStyle` gives the page's tables borders and padding.

:class:`FeedbackOnly` writes the feedback pages, and a copy of MathJax beside
them so that equations render without a network; no other file: nothing of
the submission folder is copied into feedback.  A page that travels without
its folder (nbgrader's ``release_feedback`` hands out pages alone) loads
MathJax from the web instead, as nbconvert's pages do.
"""
import re

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from nbgrader import utils as nbutils
from nbgrader.converters import GenerateFeedback
from traitlets import Bool

from .verdict import visible_source

#: A markdown link or image whose target is neither a web address, an
#: anchor in the page nor inline data: a file that only the assignment
#: folder holds.
_LOCAL_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\((?!\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|//))[^)\n]*\)")


def _drop_local_links(markdown):
    """``markdown`` with links to local files turned into their words."""
    return _LOCAL_LINK.sub(lambda m: "" if m.group(1) else m.group(2), markdown)


class FeedbackFromVerdicts(Preprocessor):
    """Replace every output of the graded run by what the grader decided."""

    #: nbconvert runs a registered preprocessor only when it is enabled.
    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = _drop_local_links(cell.source)
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


class FeedbackOnly(GenerateFeedback):
    """nbgrader's GenerateFeedback without copying the graded folder's other
    files, and with MathJax beside the pages instead of from the network."""

    def init_assignment(self, assignment_id, student_id):
        """Copy MathJax into the feedback folder, and nothing of the submission."""
        from ..offline import copy_mathjax
        self._mathjax_url = copy_mathjax(self._format_dest(assignment_id, student_id))

    def write_single_notebook(self, output, resources):
        """Write the page, loading MathJax from the copy beside it."""
        local = getattr(self, "_mathjax_url", None)
        if local:
            output = _CDN_SCRIPT.sub(lambda _: _mathjax_scripts(local), output, count=1)
        output = _ICON_FONT.sub("", output)
        super().write_single_notebook(output, resources)
