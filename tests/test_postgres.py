"""A gradebook on a real PostgreSQL server, through nbgrader's ``db_url``.

A throwaway server is started for this module (``initdb`` and ``pg_ctl``,
as an unprivileged user when the tests run as root; trust authentication
on the loopback address only; stopped at the end, whatever happened).

- A course whose ``nbgrader_config.py`` sets ``CourseDirectory.db_url`` to
  the server is released and autograded: the scores are in PostgreSQL, no
  ``gradebook.db`` appears, and formgrader, started the way an instructor
  starts it, shows the same scores.
- A course graded on SQLite, with a score, a comment and extra credit given
  by hand, is migrated into a fresh database: every row of every table
  arrives as it was, and a second migration into that database is refused.
- An unreachable server or a missing driver is one clear line, with any
  password masked.

Skipped when PostgreSQL's server programs or psycopg are not installed
(``make test`` installs psycopg; Debian's ``postgresql`` package has the server).
"""
import contextlib
import glob
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, jupyter_app
from utils import grading
from utils.grader import coordinator
from utils.course import KIT_ROOT, Course, CourseError, make_scratch_course
from utils.submissions import synthetic_class, write_submission

pytest.importorskip("psycopg", reason="psycopg is not installed "
                                      "(pip install -r requirements-cluster.txt)")

from utils.grader import gradebook  # noqa: E402

#: Seconds a server (PostgreSQL or Jupyter) may take to start on a loaded machine.
PATIENCE = 90
#: The server's superuser: trusted on the loopback address, no password.
PG_USER = "grader"
#: Who runs the server when the tests run as root (initdb refuses root).
PG_OS_USER = "nobody"


def quiet(*_):
    """A progress callback that says nothing."""


def _pg_bin():
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _server_user():
    """``(name, uid, gid)`` of an unprivileged user to run the server as root."""
    try:
        entry = pwd.getpwnam(PG_OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_OS_USER], check=True)
        entry = pwd.getpwnam(PG_OS_USER)
    return entry.pw_name, entry.pw_uid, entry.pw_gid


class Server:
    """A running PostgreSQL server for the tests: its address and databases."""

    def __init__(self, bindir, port):
        self.bindir, self.port = bindir, port

    def url(self, database):
        """The SQLAlchemy URL of ``database`` on this server, as a course would write it."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def createdb(self, database):
        """Create an empty database, as an instructor does with ``createdb``."""
        subprocess.run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", PG_USER, database], check=True, capture_output=True)
        return self.url(database)


@pytest.fixture(scope="module")
def server():
    """A throwaway PostgreSQL server on 127.0.0.1 and a socket in its own folder."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed "
                    "(Debian: apt-get install postgresql)")
    home = Path(tempfile.mkdtemp(prefix="postgres-test-"))
    data, log = home / "data", home / "server.log"
    as_user = []
    if os.getuid() == 0:
        name, uid, gid = _server_user()
        os.chown(home, uid, gid)
        as_user = (["runuser", "-u", name, "--"] if shutil.which("runuser") else
                   ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"])
    port = free_port()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
               f"-c unix_socket_directories={home} -c fsync=off")
    started = False
    try:
        run = subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "--auth=trust",
                                        f"--username={PG_USER}", "--encoding=UTF8",
                                        "--no-locale", "--no-sync"],
                             capture_output=True, text=True, cwd=home)
        assert run.returncode == 0, f"initdb failed:\n{run.stdout}{run.stderr}"
        started = True
        run = subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log),
                                        "-w", "-t", str(PATIENCE), "-o", options, "start"],
                             capture_output=True, text=True, cwd=home)
        assert run.returncode == 0, (f"PostgreSQL did not start:\n{run.stdout}{run.stderr}\n"
                                     + (log.read_text()[-3000:] if log.exists() else ""))
        yield Server(bindir, port)
    finally:
        if started:
            subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                      "stop"], capture_output=True, cwd=home)
        shutil.rmtree(home, ignore_errors=True)


def _graded_course(folder, db_url=None):
    """A scratch course with lab2 released and ``correct`` and ``blank`` autograded."""
    course = make_scratch_course(Course(KIT_ROOT), folder)
    if db_url:
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f'c.CourseDirectory.db_url = "{db_url}"\n')
        course = Course(course.root)
    grading.release(course, "lab2", validate=False, progress=quiet)
    students, _ = synthetic_class(course, "lab2", mistake_students=0, alternative_students=0)
    for student in ("correct", "blank"):
        write_submission(course, student, "lab2", students[student])
    outcomes = coordinator.autograde(course, "lab2", jobs=2, progress=quiet)
    assert all(o.graded and not o.problems for o in outcomes), \
        [(o.student, o.message, o.problems) for o in outcomes]
    return course


def _auto_scores(url, course):
    """``{student: [(auto_score, max_score) of each autograded test cell]}`` of lab2."""
    scores = {}
    with gradebook.open_gradebook(course, url) as gb:
        for student in ("correct", "blank"):
            scores[student] = [
                (g.auto_score, g.max_score)
                for name in course.notebooks("lab2")
                for g in gb.find_submission_notebook(name, "lab2", student).grades
                if g.cell.cell_type == "code"]
    return scores


def _totals(url, course):
    """``{student: (score, code score)}`` of lab2, as nbgrader totals them."""
    with gradebook.open_gradebook(course, url) as gb:
        return {s: (gb.find_submission("lab2", s).score, gb.find_submission("lab2", s).code_score)
                for s in ("correct", "blank")}


@pytest.fixture(scope="module")
def pg_course(server, tmp_path_factory):
    """lab2 released and graded in a course whose gradebook is on the server."""
    url = server.createdb("course")
    course = _graded_course(tmp_path_factory.mktemp("pg") / "course", url)
    return course, url


def test_course_grades_into_postgresql(pg_course):
    """The course's db_url decides where scores go: PostgreSQL, no gradebook.db."""
    course, url = pg_course
    assert course.db_url == url
    assert not course.gradebook.exists()
    scores = _auto_scores(url, course)
    assert scores["correct"] and len(scores["correct"]) == len(scores["blank"])
    assert all(score == most and most > 0 for score, most in scores["correct"])
    assert all(score == 0 for score, _ in scores["blank"])
    # The kit's own report reads the same gradebook.
    from utils.grader.report import cell_scores
    cells = cell_scores(course, "lab2", "correct", course.notebooks("lab2")[0])
    assert cells and all(score is not None for score, _ in cells.values())


@contextlib.contextmanager
def _jupyter_server(folder):
    """Jupyter Server with formgrader in ``folder``, as an instructor starts it; yield
    ``get(path) -> parsed JSON``."""
    token = "postgres-test"
    with jupyter_app("server", folder, Path(folder) / "jupyter-server.log", token=token,
                     patience=PATIENCE) as base:
        def get(path):
            with urllib.request.urlopen(f"{base}{path}?token={token}",
                                        timeout=PATIENCE) as reply:
                return json.loads(reply.read())
        yield get


def test_formgrader_reads_the_postgresql_gradebook(pg_course):
    """Formgrader, started in the course folder, lists both students with the same scores."""
    course, url = pg_course
    expected = _totals(url, course)
    with _jupyter_server(course.root) as get:
        submissions = get("/formgrader/api/submissions/lab2")
    shown = {s["student"]: (s["score"], s["code_score"]) for s in submissions}
    assert shown == expected
    assert expected["correct"][1] > 0 and expected["blank"] == (0, 0)
    assert not course.gradebook.exists()


def _rows(url):
    """Every row of every nbgrader table at ``url``: ``{table: sorted rows}``."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, select
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: sorted((dict(r) for r in conn.execute(select(t)).mappings()),
                                   key=lambda row: repr(sorted(row.items())))
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def test_migrate_copies_every_row(server, tmp_path):
    """A SQLite gradebook, with grading by hand, arrives whole; a second copy is refused."""
    course = _graded_course(tmp_path / "course")
    assert course.gradebook.exists() and course.db_url == f"sqlite:///{course.gradebook}"
    # What an instructor adds in formgrader: a manual score, extra credit, a comment.
    with gradebook.open_gradebook(course) as gb:
        nb = gb.find_submission_notebook(course.notebooks("lab2")[0], "lab2", "blank")
        grade = next(g for g in nb.grades if g.cell.cell_type == "markdown")
        grade.manual_score, grade.extra_credit = grade.max_score / 2, 0.5
        nb.comments[0].manual_comment = "Almost: say why the gradient vanishes."
        gb.db.commit()
    before = _rows(course.db_url)
    assert before["grade"] and before["comment"] and before["submitted_assignment"]

    target = server.createdb("migrated")
    lines = []
    copied = gradebook.migrate(course, target, progress=lines.append)
    assert copied == {name: len(rows) for name, rows in before.items()}
    assert _rows(target) == before
    assert _totals(target, course) == _totals(course.db_url, course)
    assert f'c.CourseDirectory.db_url = "{target}"' in "\n".join(lines)

    with pytest.raises(CourseError, match="is not empty"):
        gradebook.migrate(course, target, progress=quiet)
    # The command line says the same in one line, with exit status 1.
    run = subprocess.run([sys.executable, "-m", "utils", "--course", str(course.root),
                          "migrate-gradebook", target],
                         capture_output=True, text=True, cwd=KIT_ROOT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and "is not empty" in run.stderr, run.stderr
    assert _rows(target) == before


def test_unreachable_server_is_one_clear_line(tmp_path):
    """No server at the address: one line naming it, the password masked."""
    course = make_scratch_course(Course(KIT_ROOT), tmp_path / "course")
    url = f"postgresql+psycopg://grader:s3cret-word@127.0.0.1:{free_port()}/course"
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f'c.CourseDirectory.db_url = "{url}"\n')
    course = Course(course.root)
    with pytest.raises(CourseError) as caught:
        with gradebook.open_gradebook(course):
            pass
    message = str(caught.value)
    assert "cannot be reached" in message and "is the server running?" in message
    assert "127.0.0.1" in message and "***" in message
    assert "s3cret-word" not in message and "\n" not in message
    with pytest.raises(CourseError, match="cannot be reached") as caught:
        gradebook.migrate(course, "sqlite:///" + str(tmp_path / "copy.db"), progress=quiet)
    assert "s3cret-word" not in str(caught.value)
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.skipif(importlib.util.find_spec("psycopg2") is not None,
                    reason="psycopg2 is installed, so a plain postgresql:// URL works")
def test_missing_driver_is_one_clear_line(tmp_path):
    """A URL whose driver is not installed says which to install, not an import traceback."""
    course = make_scratch_course(Course(KIT_ROOT), tmp_path / "course")
    with pytest.raises(CourseError, match="driver .* is not installed"):
        with gradebook.open_gradebook(course, "postgresql://grader@127.0.0.1/course"):
            pass
