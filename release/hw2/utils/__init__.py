"""Helpers for the notebooks of the neural-networks-from-scratch course.

- ``utils.checks``  friendly checks used by the test cells;
- ``utils.plots``   network diagrams, curves and decision boundaries;
- ``utils.data``    the data sets the notebooks load or generate.

In the instructor's course folder this package also holds the grading
tooling; see the course README.
"""
