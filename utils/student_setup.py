"""A student's nbgrader settings, and a student's home to try the course in.

``python -m utils.student_setup config [--exchange DIR]`` prints the
student configuration (``utils/student_nbgrader_config.py``) filled in from
the course's ``nbgrader_config.py``: give it to students as
``~/.jupyter/nbgrader_config.py``, or install it hub-wide as
``/etc/jupyter/nbgrader_config.py``.

``python -m utils.student_setup home [DIR]`` (``make student``) makes a
student's home in ``DIR`` (default ``build/student``): its own Jupyter
configuration folder holding that file (and with nbgrader's instructor tools,
formgrader and the course list, turned off), and a copy of every released
assignment in its work folder, then opens JupyterLab there as that student.
With ``--release ASSIGNMENT`` (``make student`` gives ``lab1``) the home
gets an exchange of its own, ``DIR/exchange``, and stock nbgrader's
``release_assignment`` puts the assignment there: the Assignments tab lists
it to fetch, validate and submit, without touching the course's exchange.
Without it the home uses the course's exchange, whose Assignments tab stays
empty until the instructor releases an assignment to it.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .course import KIT_ROOT, Course, CourseError

#: The template the instructor gives to students.
STUDENT_CONFIG = KIT_ROOT / "utils" / "student_nbgrader_config.py"

#: nbgrader's parts that only an instructor uses (hidden from a student).
INSTRUCTOR_ONLY = ("formgrader", "course_list")

#: The student's login in the home ``make student`` builds.
TRY_STUDENT = "student"


def course_settings(course):
    """``(course_id, exchange root, path_includes_course)`` of a course folder.

    Read from the course's ``nbgrader_config.py`` in a separate process, so
    that nothing it sets up for grading stays in this one.
    """
    code = ("import json, sys; from utils.course import Course; "
            "c = Course(sys.argv[1]).config(); "
            "print(json.dumps([c.CourseDirectory.course_id, c.Exchange.root, "
            "bool(c.Exchange.path_includes_course)]))")
    env = dict(os.environ, PYTHONPATH=str(KIT_ROOT), NN_KIT_SANDBOX="off")
    done = subprocess.run([sys.executable, "-c", code, str(course.root)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise CourseError(f"cannot read {course.root / 'nbgrader_config.py'}: "
                          f"{(done.stderr.strip().splitlines() or ['no reason given'])[-1]}")
    course_id, root, includes = json.loads(done.stdout.strip().splitlines()[-1])
    return course_id, root, includes


def student_config(course_id, exchange_root, path_includes_course=True):
    """The text of a student's ``nbgrader_config.py`` for this course."""
    text = STUDENT_CONFIG.read_text()
    text = re.sub(r'^COURSE_ID = .*$', f"COURSE_ID = {course_id!r}", text, count=1, flags=re.M)
    text = re.sub(r'^EXCHANGE_ROOT = .*$', f"EXCHANGE_ROOT = {str(exchange_root)!r}",
                  text, count=1, flags=re.M)
    return re.sub(r'^c\.Exchange\.path_includes_course = .*$',
                  f"c.Exchange.path_includes_course = {bool(path_includes_course)}",
                  text, count=1, flags=re.M)


def student_environment(home, user=TRY_STUDENT):
    """The environment of a student whose home is ``home``: their own Jupyter
    configuration, the course's Python first on ``PATH``, nothing of the
    instructor's grading set-up.  The home gets a plain ``python3`` kernel spec
    of the course's Python: a student's kernel has none of the helpers the
    instructor's kernels give test cells (:mod:`utils.grader.instructor_kernel`)."""
    home = Path(home)
    _plain_kernel_spec(home / ".local" / "share" / "jupyter")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "NN_KIT", "PYTHON"))}
    env.update(HOME=str(home), USER=user, LOGNAME=user,
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
               # searched before the environment's own folder (which a virtual
               # environment otherwise puts first): the plain kernel spec wins
               JUPYTER_PATH=str(home / ".local" / "share" / "jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return env


def _plain_kernel_spec(data_dir):
    """Write ipykernel's own ``python3`` spec for this Python under ``data_dir``."""
    from ipykernel.kernelspec import get_kernel_dict
    folder = Path(data_dir) / "kernels" / "python3"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps(
            dict(get_kernel_dict(), display_name="Python 3"), indent=1) + "\n")
    except OSError:
        pass                # a home this process cannot write: its owner set it up


def make_home(course, folder, exchange=None):
    """A student's home in ``folder``: the student config, and the release
    copied into ``folder/work``.  Returns the work folder."""
    folder = Path(folder).resolve()
    course_id, root, includes = course_settings(course)
    config_dir = folder / ".jupyter"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "nbgrader_config.py").write_text(
        student_config(course_id, exchange or root, includes))
    # A student sees the Assignments panel and Validate, not the instructor's tools.
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {
            f"nbgrader.server_extensions.{name}": False for name in INSTRUCTOR_ONLY}}},
        indent=1))
    (config_dir / "labconfig").mkdir(exist_ok=True)
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {f"@jupyter/nbgrader:{name.replace('_', '-')}": True
                                for name in INSTRUCTOR_ONLY + ("create_assignment",)}},
        indent=1))
    work = folder / "work"
    work.mkdir(exist_ok=True)
    for assignment in course.assignments():
        released = course.release / assignment
        if released.is_dir() and not (work / assignment).exists():
            shutil.copytree(released, work / assignment,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return work


def release_to_exchange(course, exchange, assignments):
    """Release ``assignments`` (already in ``release/``) into the exchange
    folder ``exchange`` with stock ``nbgrader release_assignment``, as an
    instructor would into the real one; the course's own exchange is left
    alone."""
    exchange = Path(exchange)
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o777)               # what nbgrader asks of an exchange
    env = dict(os.environ, PYTHONPATH=str(KIT_ROOT), NN_KIT_SANDBOX="off")
    for assignment in assignments:
        course.check_assignment(assignment)
        if not (course.release / assignment).is_dir():
            raise CourseError(f"{assignment} is not released yet: run "
                              f"`python -m utils release {assignment}` first")
        done = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment",
                               assignment, "--force", f"--Exchange.root={exchange}"],
                              cwd=course.root, env=env, capture_output=True, text=True)
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise CourseError(f"cannot release {assignment} into {exchange}: {last}")


def main(argv=None):
    """``config`` or ``home``; see the module's docstring."""
    top = argparse.ArgumentParser(prog="python -m utils.student_setup",
                                  description="A student's nbgrader settings and home.")
    top.add_argument("--course", default=".", metavar="DIR", help="course folder")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("config", help="print the student nbgrader_config.py")
    p.add_argument("--exchange", metavar="DIR",
                   help="the exchange folder as students see it (default: the course's)")
    p = sub.add_parser("home", help="make a student's home and open JupyterLab in it")
    p.add_argument("folder", nargs="?", default="build/student")
    p.add_argument("--no-open", action="store_true", help="only make the home")
    p.add_argument("--release", action="append", default=[], metavar="ASSIGNMENT",
                   help="give the home an exchange of its own (DIR/exchange) and release "
                        "this assignment there, so that the Assignments tab lists it "
                        "(repeatable)")
    args = top.parse_args(argv)
    try:
        course = Course(args.course)
        if args.command == "config":
            course_id, root, includes = course_settings(course)
            print(student_config(course_id, args.exchange or root, includes), end="")
            return 0
        exchange = Path(args.folder).resolve() / "exchange" if args.release else None
        if exchange:
            release_to_exchange(course, exchange, args.release)
        work = make_home(course, args.folder, exchange=exchange)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    home = work.parent
    print(f"Student home: {home} (configuration in {home / '.jupyter'}); "
          f"the released assignments are copied into {work}.")
    if exchange:
        print(f"The Assignments tab lists {', '.join(args.release)} from the home's own "
              f"exchange ({exchange}): Fetch, work, Validate, Submit.")
    else:
        print("The Assignments tab is empty until an assignment is released to the "
              "course's exchange (nbgrader release_assignment ASSIGNMENT).")
    if args.no_open:
        return 0
    command = [str(Path(sys.executable).parent / "jupyter"), "lab"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return subprocess.call(command, cwd=work, env=student_environment(home))


if __name__ == "__main__":
    sys.exit(main())
