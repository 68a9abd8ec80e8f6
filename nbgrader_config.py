"""nbgrader configuration for the course.

Every path here is relative to this file, so the course folder can live
anywhere: clone it, run ``make demo`` or ``python -m utils ...`` from it.
"""
import os
import sys
import warnings

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

#: The folder that holds this file: the course root and the home of ``utils/``.
COURSE_ROOT = os.path.dirname(os.path.realpath(__file__))

c.CourseDirectory.course_id = "nn-from-scratch"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Editor and checkpoint debris never belongs in an assignment.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store",
]

# Students and graders run the same kernel: the Python that runs nbgrader.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# --- executing notebooks (autograde) ---------------------------------------
# A training cell may legitimately take tens of seconds on a slow laptop; an
# endless loop is still interrupted, and the rest of the notebook still runs.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# The default graceful shutdown stalls about 3 s on a few percent of
# notebooks; the kernel holds nothing worth saving, so stop it at once.
c.Execute.shutdown_kernel = "immediate"
# Before any student code: the kernel's own folder goes last on its import
# path (a submitted numpy/ or utils/ shadows nothing), and the guard watches
# for replaced functions (a flag for the instructor; scores are decided
# outside the kernel).
c.Execute.extra_arguments = [
    "--IPKernelApp.exec_lines=import sys, os; sys.path[:] = [p for p in sys.path "
    "if p not in ('', '.', os.getcwd())] + ['']",
    "--IPKernelApp.exec_lines=import utils.grader.guard; utils.grader.guard.install()",
]

if COURSE_ROOT not in sys.path:
    sys.path.insert(0, COURSE_ROOT)
import nbgrader.apps.api  # noqa: E402
import nbgrader.apps.autogradeapp  # noqa: E402
import nbgrader.apps.generatefeedbackapp  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import DeduplicateIds, Execute, GetGrades, OverwriteCells  # noqa: E402
from utils.grader.execute import GradedExecute  # noqa: E402
from utils.grader.feedback import FeedbackFromVerdicts, FeedbackOnly, FeedbackStyle  # noqa: E402
from utils.grader.intake import GuardedAutograde  # noqa: E402
from utils.grader.sanitize import (DropEmptyGradingMetadata,  # noqa: E402
                                   OverwriteCellsWithHiddenTests)

# Every way of autograding (python -m utils, nbgrader autograde, formgrader)
# first checks the submission folder: links, pipes, devices and odd names
# are refused, and nbgrader copies nothing from a folder it cannot trust.
# Feedback likewise copies nothing but the pages written for it.
nbgrader.apps.autogradeapp.Autograde = nbgrader.apps.api.Autograde = GuardedAutograde
nbgrader.apps.generatefeedbackapp.GenerateFeedback = FeedbackOnly
nbgrader.apps.api.GenerateFeedback = FeedbackOnly

# --- generating the student release ----------------------------------------
# Every way of generating a release (python -m utils release, nbgrader
# generate_assignment, formgrader's Generate) makes the same complete folder:
# the notebooks, utils/ with the student helpers, CONVENTIONS.md, a README.md
# for the student and the pinned requirements.txt; cells that fail on an
# untouched release are tagged raises-exception so Run All reaches the end
# (see utils/student_release.py).
import nbgrader.apps.generateassignmentapp  # noqa: E402
from utils.student_release import StudentGenerateAssignment  # noqa: E402

nbgrader.apps.generateassignmentapp.GenerateAssignment = StudentGenerateAssignment
nbgrader.apps.api.GenerateAssignment = StudentGenerateAssignment

# --- submissions downloaded from a learning platform (zip_collect) ---------
# `nbgrader zip_collect <assignment>` (and `python -m utils import-zips`,
# which runs it) reads downloaded/<assignment>/archive/: each student's upload
# is checked before anything is unpacked (links, paths outside the folder,
# odd names, absurd sizes or counts are refused per student), then only the
# assignment's notebooks are written to extracted/<student id>/, which the
# regexp below hands to nbgrader.  Which student a file belongs to comes from
# the platform's naming (Canvas, Moodle): utils/grader/downloads.py NAMINGS
# (utils.lms gives the same names, for a config that imports them from there).
from utils.grader.downloads import EXTRACTED_NAMING, VettedExtractor  # noqa: E402

c.ZipCollectApp.extractor_plugin = VettedExtractor
c.FileNameCollectorPlugin.named_regexp = EXTRACTED_NAMING

# A duplicated test cell is graded once, from the instructor's copy.  A test
# cell is put back with its hidden tests, and nbgrader's warning that a locked
# cell changed comes only for a cell the student really changed (nbgrader
# compares with the cell before its hidden tests were cleared, and would warn
# about every test cell of every student).
_SANITIZE = {DeduplicateIds: (DeduplicateIds, DropEmptyGradingMetadata),
             OverwriteCells: (OverwriteCellsWithHiddenTests,)}
c.Autograde.sanitize_preprocessors = [
    step for default in Autograde.class_traits()["sanitize_preprocessors"].default()
    for step in _SANITIZE.get(default, (default,))
]
# nbgrader 0.9 adds gradebook rows in a way SQLAlchemy 2 warns about three
# times per submission (objects added during autoflush); the rows are written
# correctly, so stock commands and formgrader stay quiet about it.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted", module=r"nbgrader\.api")
# Test cells are judged in the grading process, never in the student's kernel;
# a cell that kills the kernel costs only itself (see utils/grader/execute.py).
c.Autograde.autograde_preprocessors = [
    GradedExecute if step is Execute else step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
]

# A grade cell that a student deleted is put back and graded, instead of
# sitting in "needs manual grading" for ever.
c.OverwriteCells.add_missing_cells = True

# --- feedback --------------------------------------------------------------
# Feedback shows the student's own code and what the grader decided: never
# the hidden tests, the reference values, or what the kernel printed.  Its
# tables get borders (FeedbackStyle), and FeedbackOnly (above) puts MathJax
# beside the pages, so that they read well offline.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, FeedbackFromVerdicts,
                                    FeedbackStyle]

# --- formgrader --------------------------------------------------------------
# formgrader's grading page loads MathJax from the Jupyter server's own copy
# (jupyter-server-mathjax) instead of a CDN, so written answers and
# derivations render offline: utils/templates/formgrade/ overrides the page's
# head and extends nbgrader's page (reached as formgrade/index.html.j2 from
# nbgrader's template folder).  Feedback keeps nbgrader's feedback template.
import nbgrader.server_extensions.formgrader.handlers as _formgrader  # noqa: E402

c.HTMLExporter.extra_template_basedirs = [os.path.join(COURSE_ROOT, "utils", "templates"),
                                          _formgrader.template_path]
c.HTMLExporter.extra_template_paths = [_formgrader.template_path]

# --- deadlines -------------------------------------------------------------
# Due dates, extensions and the late penalty (utils/grader/deadlines.py).
# When a student submitted comes from the course's record
# (submission_times.json: written by nbgrader collect and import-zips), never
# from the submission's own timestamp.txt, which the student writes.  A time
# without a zone is in c.Deadlines.timezone.  For example:
#   c.Deadlines.due = {"lab1": "2026-10-16 23:59"}
#   c.Deadlines.extensions = {"lab1": {"bob": "2026-10-18 23:59"}}
#   c.Deadlines.timezone = "Europe/Berlin"
#   c.Deadlines.grace_minutes = 10       # a slow upload is not late
#   c.Deadlines.penalty_per_day = 0.1    # 10 % of the score per started day late
#   c.Deadlines.max_penalty = 0.5
from utils.grader.deadlines import PerDayPenalty  # noqa: E402

c.AssignLatePenalties.plugin_class = PerDayPenalty
# (collect records the times: RecordingCollect, through OwnedCollect below)

# --- exchange --------------------------------------------------------------
# A course-local exchange instead of the system-wide default; on a shared
# JupyterHub, point this at the hub's exchange folder instead.
c.Exchange.root = os.path.join(COURSE_ROOT, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)
c.Exchange.path_includes_course = True
# `nbgrader collect` takes a student's newest submission even when an older
# one was collected before (nbgrader's own default keeps the old one unless
# told --update), and records its time.  A folder in inbound/ is collected
# only when the student it names owns it: a student id is the student's login
# name on the server (utils/grader/ownership.py); a forged folder is reported
# and the others are collected.
from utils.grader.feedback_release import CheckedReleaseFeedback  # noqa: E402
from utils.grader.ownership import OwnedCollect  # noqa: E402

c.ExchangeCollect.update = True
c.ExchangeFactory.collect = OwnedCollect
# `nbgrader release_feedback` skips (and reports) a student whose feedback
# folder lacks the submission's timestamp.txt and submission_secret.txt,
# instead of stopping for the whole class (utils/grader/feedback_release.py).
c.ExchangeFactory.release_feedback = CheckedReleaseFeedback

# --- sandbox ---------------------------------------------------------------
# Kernels started by nbgrader run under bubblewrap: no network, no view of
# the course, the kit's grading code or other students, an explicit minimal
# environment, capped memory, CPU, processes, files and disk (see
# utils/grader/sandbox.py).  NN_KIT_SANDBOX=off turns it off; the kit's
# commands refuse to grade without a sandbox unless told --no-sandbox.
# Interactive Jupyter (JupyterLab in this folder, formgrader's pages, lectures)
# keeps the environment's ordinary python3 kernel: only grading starts kernels
# from the sandbox's own spec, by name.
# The kernel-side kit files and the sandbox's kernel spec live in one private
# folder per grading run: made by the first process that loads this file,
# shared with the worker processes it starts (NN_KIT_RUNTIME), removed when
# that first process exits.
from utils.grader import sandbox  # noqa: E402

_sandboxed, _why = sandbox.prepare_runtime()
if not _sandboxed and os.environ.get("NN_KIT_SANDBOX", "on") != "off":
    print(f"WARNING: grading kernels are NOT sandboxed: {_why}", file=sys.stderr)
