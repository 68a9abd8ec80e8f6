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

# --- executing notebooks (validate and autograde) --------------------------
# A training cell may legitimately take tens of seconds on a slow laptop; an
# endless loop is still interrupted, and the rest of the notebook still runs.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# The default graceful shutdown stalls about 3 s on a few percent of
# notebooks; the kernel holds nothing worth saving, so stop it at once.
c.Execute.shutdown_kernel = "immediate"
# The kit's helpers are imported as ``utils``.  A student's folder holds a
# copy of the student-facing part; grading must use the instructor's copy,
# so the course root goes first on the kernel's import path.
# The same start-up watches for submissions that replace what the tests
# rely on (see utils/guard.py).
c.Execute.extra_arguments = [
    "--IPKernelApp.exec_lines=import sys; sys.path.insert(0, %r)" % COURSE_ROOT,
    "--IPKernelApp.exec_lines=import utils.guard; utils.guard.install()",
]

# A cell that kills the kernel, or loops through the interrupt, costs only
# itself: the kernel is restarted, earlier cells run again, grading goes on.
if COURSE_ROOT not in sys.path:
    sys.path.insert(0, COURSE_ROOT)
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402
from utils.execution import ResilientExecute  # noqa: E402

from nbgrader.preprocessors import DeduplicateIds  # noqa: E402
from utils.sanitize import DropEmptyGradingMetadata  # noqa: E402

# A duplicated test cell is graded once, from the instructor's copy.
c.Autograde.sanitize_preprocessors = [
    step for default in Autograde.class_traits()["sanitize_preprocessors"].default()
    for step in ((default, DropEmptyGradingMetadata) if default is DeduplicateIds else (default,))
]
c.Autograde.autograde_preprocessors = [
    ResilientExecute if step is Execute else step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
]

# A grade cell that a student deleted is put back and graded, instead of
# sitting in "needs manual grading" for ever.
c.OverwriteCells.add_missing_cells = True

# --- feedback --------------------------------------------------------------
# Feedback shows what failed and why, never the hidden tests, their lines in
# a traceback, or the reference values they compare with.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402
from utils.feedback import RedactHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, RedactHiddenTests]

# --- exchange --------------------------------------------------------------
# A course-local exchange instead of the system-wide default; on a shared
# JupyterHub, point this at the hub's exchange folder instead.
c.Exchange.root = os.path.join(COURSE_ROOT, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)
c.Exchange.path_includes_course = True

# Kernels talk to the grader over local socket files rather than TCP ports:
# nothing listens on the network while student code runs.  The socket path
# must be absolute (the kernel runs in the notebook's folder, the grader not)
# and private to this grading process.
_RUNTIME = tempfile.mkdtemp(prefix="nn-kit-")
atexit.register(shutil.rmtree, _RUNTIME, True)
c.KernelManager.transport = "ipc"
c.KernelManager.ip = os.path.join(_RUNTIME, "kernel")

# --- sandbox ---------------------------------------------------------------
# Kernels started by nbgrader run under bubblewrap: no network, no view of
# source/, the gradebook or other students, capped memory and CPU time (see
# utils/sandbox.py).  NN_KIT_SANDBOX=off turns it off; the kit's commands
# refuse to grade without a sandbox unless told --no-sandbox.
if os.environ.get("NN_KIT_SANDBOX", "on") != "off":
    from utils import sandbox  # noqa: E402

    _ok, _why = sandbox.available()
    if _ok:
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            p for p in (sandbox.kernel_spec(_RUNTIME), os.environ.get("JUPYTER_PATH")) if p)
    else:
        print(f"WARNING: grading kernels are NOT sandboxed: {_why}", file=sys.stderr)
