"""nbgrader configuration for the course.

Every path here is relative to this file, so the course folder can live
anywhere: clone it, run ``make demo`` or ``python -m utils ...`` from it.
"""
import atexit
import os
import shutil
import sys
import tempfile

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
from nbgrader.preprocessors import DeduplicateIds, Execute, GetGrades  # noqa: E402
from utils.grader.execute import GradedExecute  # noqa: E402
from utils.grader.feedback import FeedbackFromVerdicts, FeedbackOnly  # noqa: E402
from utils.grader.intake import GuardedAutograde  # noqa: E402
from utils.grader.sanitize import DropEmptyGradingMetadata  # noqa: E402

# Every way of autograding (python -m utils, nbgrader autograde, formgrader)
# first checks the submission folder: links, pipes, devices and odd names
# are refused, and nbgrader copies nothing from a folder it cannot trust.
# Feedback likewise copies nothing but the pages written for it.
nbgrader.apps.autogradeapp.Autograde = nbgrader.apps.api.Autograde = GuardedAutograde
nbgrader.apps.generatefeedbackapp.GenerateFeedback = FeedbackOnly
nbgrader.apps.api.GenerateFeedback = FeedbackOnly

# A duplicated test cell is graded once, from the instructor's copy.
c.Autograde.sanitize_preprocessors = [
    step for default in Autograde.class_traits()["sanitize_preprocessors"].default()
    for step in ((default, DropEmptyGradingMetadata) if default is DeduplicateIds else (default,))
]
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
# the hidden tests, the reference values, or what the kernel printed.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, FeedbackFromVerdicts]

# --- exchange --------------------------------------------------------------
# A course-local exchange instead of the system-wide default; on a shared
# JupyterHub, point this at the hub's exchange folder instead.
c.Exchange.root = os.path.join(COURSE_ROOT, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)
c.Exchange.path_includes_course = True

# --- sandbox ---------------------------------------------------------------
# Kernels started by nbgrader run under bubblewrap: no network, no view of
# the course, the kit's grading code or other students, an explicit minimal
# environment, capped memory, CPU, processes, files and disk (see
# utils/grader/sandbox.py).  NN_KIT_SANDBOX=off turns it off; the kit's
# commands refuse to grade without a sandbox unless told --no-sandbox.
# The kernel-side kit files and the sandbox's kernel spec live in one private
# folder per grading run: made by the first process that loads this file,
# shared with the worker processes it starts (NN_KIT_RUNTIME), removed when
# that first process exits.
_RUNTIME = os.environ.get("NN_KIT_RUNTIME", "")
try:
    _info = os.lstat(_RUNTIME) if _RUNTIME else None
except OSError:
    _info = None
if _info is None or _info.st_uid != os.getuid() or _info.st_mode & 0o777 != 0o700 \
        or not os.path.isdir(_RUNTIME):
    _RUNTIME = tempfile.mkdtemp(prefix="nn-kit-")
    os.environ["NN_KIT_RUNTIME"] = _RUNTIME
    _MAKER = os.getpid()
    atexit.register(lambda: os.getpid() == _MAKER and shutil.rmtree(_RUNTIME, True))
if os.environ.get("NN_KIT_SANDBOX", "on") != "off":
    from utils.grader import sandbox  # noqa: E402

    _ok, _why = sandbox.available()
    if _ok:
        _spec = os.path.join(_RUNTIME, "spec")
        if not os.path.isdir(_spec):
            sandbox.kernel_spec(_spec, sandbox.kernel_files(os.path.join(_RUNTIME, "kit")))
        if _spec not in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
            os.environ["JUPYTER_PATH"] = os.pathsep.join(
                p for p in (_spec, os.environ.get("JUPYTER_PATH")) if p)
    else:
        print(f"WARNING: grading kernels are NOT sandboxed: {_why}", file=sys.stderr)
