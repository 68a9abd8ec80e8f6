"""Feedback built from verdicts and the student's own work, nothing else.

nbgrader renders feedback from the graded notebook.  Everything the kernel
printed during grading may carry what student code saw there (hidden inputs
included), and the test cells hold the hidden tests, so
:class:`FeedbackFromVerdicts` rewrites that notebook before it is rendered:

- a test cell shows its visible checks, its hidden region as one comment
  line, and one output written by the grader: that it passed, or why not in
  words (:mod:`utils.grader.verdict`);
- every other code cell shows the student's code without outputs;
- markdown (written answers) stays; nbgrader adds the grader's comments.

:class:`FeedbackOnly` writes the feedback pages and no other file: nothing
of the submission folder is copied into feedback.
"""
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool
from nbformat.v4 import new_output
from nbgrader import utils as nbutils
from nbgrader.converters import GenerateFeedback

from .verdict import visible_source


class FeedbackFromVerdicts(Preprocessor):
    """Replace every output of the graded run by what the grader decided."""

    #: nbconvert runs a registered preprocessor only when it is enabled.
    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
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


class FeedbackOnly(GenerateFeedback):
    """nbgrader's GenerateFeedback without copying the graded folder's other files."""

    def init_assignment(self, assignment_id, student_id):
        """Copy nothing: the feedback folder holds only the pages written for it."""
