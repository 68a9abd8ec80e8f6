"""nbgrader settings for a STUDENT of this course (not for the course folder).

With it, JupyterLab's Assignments panel lists the released assignments,
fetches them and submits them, and Validate works, against the course's
exchange.  Install it either

- for one student: as ``~/.jupyter/nbgrader_config.py`` (or in the folder
  that ``jupyter --config-dir`` names), or
- for everyone on a JupyterHub: as ``/etc/jupyter/nbgrader_config.py``.

The instructor fills in the two values below (``python -m utils.student_setup
config`` prints this file filled in from the course's ``nbgrader_config.py``):
the course id and the exchange folder must be the ones the instructor's
``nbgrader release_assignment`` uses, and every student must be able to read
``outbound/`` and write ``inbound/`` there.
"""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

COURSE_ID = "nn-from-scratch"
EXCHANGE_ROOT = "/srv/nbgrader/exchange"

c.CourseDirectory.course_id = COURSE_ID
c.Exchange.root = EXCHANGE_ROOT
# The course keeps each course's files in a folder of its own in the exchange.
c.Exchange.path_includes_course = True
