"""Clean-up of a submitted notebook before nbgrader grades it.

nbgrader's ``DeduplicateIds`` answers a duplicated test or answer cell by
emptying the grading metadata of all but the last copy, and a later step
(``OverwriteCells`` with ``add_missing_cells``) then fails on the emptied
metadata, so the whole submission goes ungraded.
:class:`DropEmptyGradingMetadata` removes the emptied metadata in between:
the extra copies become ordinary cells, and the instructor's version of the
test is graded once.
"""
from nbgrader.preprocessors import NbGraderPreprocessor


class DropEmptyGradingMetadata(NbGraderPreprocessor):
    """Turn cells whose nbgrader metadata lacks a grade id into ordinary cells."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is not None and "grade_id" not in meta:
            del cell.metadata["nbgrader"]
        return cell, resources
