"""Clean-up of a submitted notebook before nbgrader grades it.

nbgrader's ``DeduplicateIds`` answers a duplicated test or answer cell by
emptying the grading metadata of all but the last copy, and a later step
(``OverwriteCells`` with ``add_missing_cells``) then fails on the emptied
metadata, so the whole submission goes ungraded.
:class:`DropEmptyGradingMetadata` removes the emptied metadata in between:
the extra copies become ordinary cells, and the instructor's version of the
test is graded once.  A cell whose grade id the instructor's notebook does
not have (one a student wrote to look like a test) becomes an ordinary cell
the same way, in :class:`OverwriteCellsWithHiddenTests`.

:class:`OverwriteCellsWithHiddenTests` puts the instructor's test cells back
as nbgrader does, and warns only about the cells a student really changed.
"""
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells


def _drop_empty_grading_metadata(cell):
    """An ordinary cell of one whose nbgrader metadata lacks a grade id."""
    meta = cell.metadata.get("nbgrader")
    if meta is not None and "grade_id" not in meta:
        del cell.metadata["nbgrader"]


class DropEmptyGradingMetadata(NbGraderPreprocessor):
    """Turn cells whose nbgrader metadata lacks a grade id into ordinary cells."""

    def preprocess_cell(self, cell, resources, index):
        _drop_empty_grading_metadata(cell)
        return cell, resources


class OverwriteCellsWithHiddenTests(OverwriteCells):
    """nbgrader's OverwriteCells, silent about the hidden tests it puts back.

    The gradebook keeps a test cell's checksum as it was before its hidden
    tests were cleared, so nbgrader's check of a locked cell sees every test
    cell with hidden tests as edited, even in an untouched submission, and
    warns once per such cell.  This step compares the submitted cell with the
    cell as released (hidden tests cleared) instead: an unchanged cell is
    restored in silence, an edited one is still reported, and every locked
    cell is restored from the gradebook either way.
    """

    def preprocess_cell(self, cell, resources, index):
        """nbgrader's, then: a cell claiming a grade id the instructor's
        notebook does not have (a student's own "test") loses its grade id
        there and becomes an ordinary cell here; nbgrader would otherwise fail
        on it and leave the whole notebook ungraded."""
        cell, resources = super().preprocess_cell(cell, resources, index)
        _drop_empty_grading_metadata(cell)
        return cell, resources

    def really_changed(self, name, attr, new):
        """Whether a change nbgrader found is the student's, not the hidden
        tests that the release cleared."""
        return not (attr == "checksum" and new == self._released_checksum(name))

    def report_change(self, name, attr, old, new):
        if not self.really_changed(name, attr, new):
            self.log.debug("Test cell %s restored with its hidden tests", name)
            return
        super().report_change(name, attr, old, new)

    def _released_checksum(self, name):
        """The checksum of the gradebook's cell ``name`` as released: hidden tests cleared."""
        gradebook, notebook, assignment = self.gradebook, self.notebook_id, self.assignment_id
        source = gradebook.find_source_cell(name, notebook, assignment)
        meta = NotebookNode(grade_id=name, locked=source.locked, grade=False, solution=False)
        try:
            meta.points = gradebook.find_grade_cell(name, notebook, assignment).max_score
            meta.grade = True
        except MissingEntry:
            pass
        try:
            gradebook.find_solution_cell(name, notebook, assignment)
            meta.solution = True
        except MissingEntry:
            pass
        cell = NotebookNode(cell_type=source.cell_type, source=source.source,
                            metadata=NotebookNode(nbgrader=meta))
        ClearHiddenTests(parent=self)._remove_hidden_test_region(cell)
        return utils.compute_checksum(cell)
