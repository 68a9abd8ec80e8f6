"""What grading during the assignment window may do, set in one place.

The grading service (:mod:`utils.grader.service`) grades each submission as
it arrives.  Every graded submission tells its student something about the
hidden checks, so a student who submits as often as they like can probe the
checks one change at a time.  These settings bound that, and say what a
student sees before the deadline; they live in ``nbgrader_config.py``::

    c.LiveGrading.per_window = 3          # graded submissions per window ...
    c.LiveGrading.window_minutes = 60     # ... of this many minutes
    c.LiveGrading.total = 20              # and in all, per assignment
    c.LiveGrading.show = {"lab1": "points", "hw1": "pass/fail"}
    c.LiveGrading.drop_folder = "lms-drop"

A submission beyond a limit waits (later ones replace it: the latest wins)
and its student is told when it will be graded; at the deadline the latest
waiting one is graded whatever the limits, since it is the one that counts.
"""
from traitlets import Bool, Dict, Float, Int, Unicode, validate
from traitlets.config import Configurable

from ..course import CourseError

#: What a student's page shows before the deadline: every exercise's points;
#: only passed or failed (with the messages); or nothing but "graded".
POINTS, PASS_FAIL, NOTHING = "points", "pass/fail", "nothing"
SHOW_CHOICES = (POINTS, PASS_FAIL, NOTHING)


class LiveGrading(Configurable):
    """Limits and visibility of grading during the window (``c.LiveGrading``)."""

    per_window = Int(3, min=1, help=(
        "Graded submissions per student and assignment within window_minutes: "
        "more would let a student probe the hidden checks one change at a time.")
    ).tag(config=True)
    window_minutes = Float(60.0, min=1.0, help=(
        "The length of the sliding window of per_window, in minutes.")).tag(config=True)
    total = Int(20, min=1, help=(
        "Graded submissions per student and assignment before the deadline, in all; "
        "after that the latest waits for the deadline.")).tag(config=True)
    show = Dict(value_trait=Unicode(), help=(
        "Per assignment, what a page shows before the deadline: 'points', "
        "'pass/fail' (each exercise passed or failed, with its messages) or "
        "'nothing' (only that it was graded).  Unnamed assignments: default_show.")
    ).tag(config=True)
    default_show = Unicode(POINTS, help="What show gives an assignment it does not name."
                           ).tag(config=True)
    drop_folder = Unicode("lms-drop", help=(
        "A folder of the course (relative) or an absolute path where downloads of a "
        "learning platform are dropped, one sub-folder per assignment: "
        "<drop_folder>/<assignment>/*.zip.")).tag(config=True)
    poll_seconds = Float(2.0, min=0.2, help=(
        "How often the exchange and the drop folder are looked at.")).tag(config=True)
    report_seconds = Float(30.0, min=0.0, help=(
        "The class report is written again at most this often while grading goes on "
        "(and always when the queue empties).")).tag(config=True)
    check_owner = Bool(True, help=(
        "A submission belongs to the user owning its folder in the exchange (nbgrader's "
        "own ExchangeCollect.check_owner: turn both off only for an exchange where one "
        "service account writes every folder).")).tag(config=True)

    @validate("show")
    def _known_choice(self, proposal):
        for assignment, choice in proposal["value"].items():
            if choice not in SHOW_CHOICES:
                raise CourseError(f"c.LiveGrading.show[{assignment!r}] = {choice!r}: use one of "
                                  + ", ".join(repr(c) for c in SHOW_CHOICES))
        return proposal["value"]

    @validate("default_show")
    def _known_default(self, proposal):
        if proposal["value"] not in SHOW_CHOICES:
            raise CourseError(f"c.LiveGrading.default_show = {proposal['value']!r}: use one of "
                              + ", ".join(repr(c) for c in SHOW_CHOICES))
        return proposal["value"]

    def shows(self, assignment):
        """What pages of ``assignment`` show before its deadline."""
        return self.show.get(assignment, self.default_show)

    def check(self, assignments):
        """Refuse a setting that names an unknown assignment, at once."""
        for name in self.show:
            if name not in assignments:
                raise CourseError(f"c.LiveGrading.show names {name!r}, which is not an "
                                  f"assignment of this course ({', '.join(assignments)})")


def live_settings(course, config=None):
    """The course's :class:`LiveGrading`, read from its ``nbgrader_config.py``."""
    settings = LiveGrading(config=course.config() if config is None else config)
    settings.check(course.assignments())
    return settings
