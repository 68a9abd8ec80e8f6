"""Where things are in a course folder, and what ships to students.

A course folder is an ordinary nbgrader course: ``nbgrader_config.py``,
``source/``, ``release/``, ``submitted/``, ``autograded/``, ``feedback/`` and
``gradebook.db``.  The kit's own repository is one; the demo builds another
in a scratch folder that reuses the kit's configuration.
"""
import os
import shutil
import string
import sys
import warnings
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

#: The kit's repository: the folder that holds ``utils/``.
KIT_ROOT = Path(__file__).resolve().parent.parent

#: Assignments in teaching order (the order of tables and reports).
ASSIGNMENTS = ("lab1", "lab2", "hw1", "hw2")

#: The student-facing part of ``utils``: copied into every released
#: assignment as ``utils/``.  Nothing else of the package ships.
STUDENT_MODULES = ("__init__.py", "checks.py", "plots.py", "data.py", "earlier.py",
                   "prerequisites/__init__.py")


def student_modules(assignment):
    """The files of ``utils/`` that ``assignment`` ships: :data:`STUDENT_MODULES`
    and its own table of ``utils/prerequisites`` (no other assignment's)."""
    return STUDENT_MODULES + (f"prerequisites/{assignment}.py",)

#: The course's conventions (shapes, layouts, cost scaling): one page, shipped
#: at the root of every released assignment as ``CONVENTIONS.md``.
CONVENTIONS = KIT_ROOT / "utils" / "conventions.md"

#: The page that tells a student how to install, open, check and hand in an
#: assignment: shipped as ``README.md``, with the assignment filled in.
STUDENT_README = KIT_ROOT / "utils" / "student_readme.md"

#: The course's pinned stack; a student gets it as ``requirements.txt``.
REQUIREMENTS = KIT_ROOT / "requirements.txt"

#: Packages only the kit's own tests need (pytest and what only pytest
#: uses); left out of a student's requirements.  Every package named in an
#: extra ``requirements-*.txt`` beside ``requirements.txt`` is left out too:
#: such files hold what only the kit's tests and tools need.
TEST_ONLY_PACKAGES = ("pytest", "iniconfig", "pluggy")


class CourseError(Exception):
    """A problem the instructor must fix; its message is one clear line."""


def prepare_environment():
    """Make nbgrader and its kernels work without an activated environment.

    nbgrader runs ``alembic`` and starts kernels as subprocesses found on
    ``PATH``: put this Python's ``bin`` folder first.  Kernels started in the
    course folder must import the kit's ``utils``: put the kit first on
    ``PYTHONPATH`` (the course configuration also does so inside kernels).
    """
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, path]) if path else bindir
    pythonpath = os.environ.get("PYTHONPATH", "")
    if str(KIT_ROOT) not in pythonpath.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(KIT_ROOT), pythonpath) if p)
    # Matplotlib draws to files only, never to a screen, wherever this runs.
    os.environ.setdefault("MPLBACKEND", "Agg")
    # nbgrader 0.9 creates gradebook rows in a way SQLAlchemy 2 warns about
    # (objects added during autoflush); the rows are written correctly.
    warnings.filterwarnings("ignore", message=r"Object of type <Submitted",
                            module=r"nbgrader\.api")


class Course:
    """An nbgrader course folder."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise CourseError(f"{self.root} is not a course folder: "
                              "it has no nbgrader_config.py")

    def __repr__(self):
        return f"Course({str(self.root)!r})"

    # -- folders ------------------------------------------------------------
    @property
    def source(self):
        return self.root / "source"

    @property
    def release(self):
        return self.root / "release"

    @property
    def submitted(self):
        return self.root / "submitted"

    @property
    def autograded(self):
        return self.root / "autograded"

    @property
    def feedback(self):
        return self.root / "feedback"

    @property
    def gradebook(self):
        """The SQLite file nbgrader uses when no ``db_url`` is set (see :attr:`db_url`)."""
        return self.root / "gradebook.db"

    @property
    def db_url(self):
        """The gradebook's SQLAlchemy URL, exactly as nbgrader sees it.

        ``CourseDirectory.db_url`` from the course's ``nbgrader_config.py``
        (e.g. ``postgresql+psycopg://user@host/dbname``), else nbgrader's
        default, ``sqlite:///<root>/gradebook.db``.  Everything that opens the
        gradebook asks here (:mod:`utils.grader.gradebook`).
        """
        from nbgrader.coursedir import CourseDirectory
        return CourseDirectory(config=self.config()).db_url

    # -- contents -----------------------------------------------------------
    def assignments(self):
        """Assignment ids found in ``source/``, in teaching order."""
        found = sorted(p.name for p in self.source.iterdir()
                       if p.is_dir() and any(p.glob("*.ipynb")))
        known = [a for a in ASSIGNMENTS if a in found]
        return known + [a for a in found if a not in known]

    def check_assignment(self, assignment):
        """Raise a :class:`CourseError` unless ``assignment`` is in ``source/``."""
        names = self.assignments()
        if assignment not in names:
            raise CourseError(f"unknown assignment {assignment!r}: this course has "
                              f"{', '.join(names) or 'no assignments'} in {self.source}")

    def notebooks(self, assignment):
        """Notebook names (without ``.ipynb``) of an assignment, in order."""
        return sorted(p.stem for p in (self.source / assignment).glob("*.ipynb"))

    def keep_only(self, assignment, notebooks=None):
        """Remove from ``source/`` every other assignment and, if ``notebooks``
        are named, every other notebook of ``assignment`` (scratch courses)."""
        for other in self.assignments():
            if other != assignment:
                shutil.rmtree(self.source / other)
        for path in (self.source / assignment).glob("*.ipynb"):
            if notebooks is not None and path.stem not in notebooks:
                path.unlink()

    def students(self, assignment):
        """Students with a submission folder for ``assignment``."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir()
                      if (p / assignment).is_dir())

    # -- nbgrader -----------------------------------------------------------
    def config(self):
        """The course's nbgrader configuration, rooted at this folder."""
        loader = PyFileConfigLoader("nbgrader_config.py", path=str(self.root))
        config = loader.load_config()
        config.CourseDirectory.root = str(self.root)
        return config

    def api(self):
        """An :class:`nbgrader.apps.NbGraderAPI` for this course."""
        from nbgrader.apps import NbGraderAPI
        return NbGraderAPI(config=self.config())


def _package(line):
    """The normalised package name of a requirements line, or ``None``."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    for stop in "=<>!~;[ @":
        text = text.split(stop, 1)[0]
    return text.strip().lower().replace("_", "-")


def student_requirements(requirements=REQUIREMENTS):
    """The text of a student's ``requirements.txt``: the course's pinned
    stack without :data:`TEST_ONLY_PACKAGES` and what ``requirements-*.txt``
    files name."""
    requirements = Path(requirements)
    left_out = {_package(n) for n in TEST_ONLY_PACKAGES}
    for extra in sorted(requirements.parent.glob("requirements-*.txt")):
        left_out |= {_package(line) for line in extra.read_text().splitlines()}
    kept = [line.strip() for line in requirements.read_text().splitlines()
            if _package(line) and _package(line) not in left_out]
    header = ("# Everything this course's notebooks need, at the exact versions the\n"
              "# grader uses (Python 3.11).  Install it in a virtual environment:\n"
              "#     pip install -r requirements.txt\n")
    return header + "\n".join(kept) + "\n"


def student_readme(assignment, notebooks):
    """The ``README.md`` of a released assignment, from :data:`STUDENT_README`."""
    listing = "\n".join(f"{number}. `{name}.ipynb`"
                         for number, name in enumerate(notebooks, 1))
    template = string.Template(STUDENT_README.read_text())
    return template.substitute(assignment=assignment,
                               notebooks=listing or "(no notebooks)")


def copy_student_modules(destination, notebooks=None, assignment=None):
    """Put what every student needs beside the released notebooks.

    ``destination/utils/`` gets the student-facing part of ``utils``;
    ``CONVENTIONS.md`` the conventions page; ``README.md`` how to install,
    work, check and hand in (for ``assignment``, by default the folder's
    name, and its ``notebooks``, by default the ``.ipynb`` files found
    there); ``requirements.txt`` the pinned stack (:func:`student_requirements`).
    """
    destination = Path(destination)
    target = destination / "utils"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in student_modules(assignment or destination.name):
        source = KIT_ROOT / "utils" / name
        if source.exists():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / name)
    shutil.copyfile(CONVENTIONS, destination / "CONVENTIONS.md")
    if notebooks is None:
        notebooks = sorted(p.stem for p in destination.glob("*.ipynb"))
    (destination / "README.md").write_text(
        student_readme(assignment or destination.name, notebooks))
    (destination / "requirements.txt").write_text(student_requirements())
    return target


SCRATCH_CONFIG = '''\
"""A scratch course: the kit's settings, with this folder as the course root."""
import os
c = get_config()  # noqa: F821
load_subconfig("{relative}")  # noqa: F821
# Its own gradebook file: never the server a db_url in the kit's settings names.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "gradebook.db")
'''


def make_scratch_course(kit, folder):
    """A fresh course folder that shares the kit's source and settings.

    The demo, the self-test and the tests grade in such a folder, never in
    the kit itself.
    """
    folder = Path(folder).resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # The kit's own settings, never another scratch course's (whose relative
    # path would not resolve from here): a scratch course of a scratch course
    # (the release check of the self-test) must still grade the kit's way.
    relative = Path(*[".."] * len(folder.relative_to(KIT_ROOT).parts)) / "nbgrader_config.py" \
        if folder.is_relative_to(KIT_ROOT) else KIT_ROOT / "nbgrader_config.py"
    (folder / "nbgrader_config.py").write_text(SCRATCH_CONFIG.format(relative=relative.as_posix()))
    shutil.copytree(kit.source, folder / "source",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return Course(folder)
