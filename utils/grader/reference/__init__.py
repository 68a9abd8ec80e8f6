"""Independent reference implementations for the hidden tests (instructor only).

Hidden test cells import these at grading time, for example
``from utils.grader.reference import lab1 as ref``.  They never ship with a release:
the released notebooks do not contain the hidden tests, and the student copy
of ``utils`` does not contain this package.

One module per assignment, plus :mod:`utils.grader.reference.gradcheck` for the
numerical gradient checks every assignment shares.
"""
