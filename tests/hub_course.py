"""A course hub for the tests: real users, a real JupyterHub and its proxy.

:func:`course_hub` makes, in a new folder: three users of the machine (two
students, one instructor) with homes of their own; a course folder owned by
the instructor (mode 0700: the kit's settings and ``utils/``, lab1's first
notebook, a roster with LMS ids), released to an exchange (mode 1777) by the
instructor's own ``nbgrader release_assignment``; a CA and the hub's
certificate; the hub's settings file; then starts JupyterHub with
``utils/hub/jupyterhub_config.py`` exactly as ``make hub`` does, over HTTPS
on loopback, and stops it (and every process of the test's users) after.
"""
import contextlib
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from conftest import KIT, free_port
from tls_ca import make_authority, make_rsa_key

ASSIGNMENT, NOTEBOOK = "lab1", "01_single_neuron"
COURSE_ID = "nn-from-scratch"
STUDENTS = {"nnhub-ana": "1001", "nnhub-ben": "1002"}          # user: LMS user id
INSTRUCTOR, INSTRUCTOR_LMS_ID = "nnhub-teach", "2001"
SHARED_BIN = KIT / "build" / "shared" / "venv" / "bin"
#: Seconds the hub may take to answer after it starts (loaded 2-core machine).
PATIENCE = 240


@dataclass
class CourseHub:
    base: Path
    url: str
    course: Path
    exchange: Path
    settings: Path
    authority: object
    tool_key: Path
    log: Path
    homes: dict = field(default_factory=dict)
    process: object = None

    def context(self):
        """An SSL context that trusts the test's CA (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.authority.ca))

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.url + path, timeout=timeout,
                                    context=self.context()) as answer:
            return answer.status, answer.read()

    def as_instructor(self, *args, check=True, timeout=600):
        """A command of the instructor (the course's owner), in the course folder."""
        return run_as(INSTRUCTOR, self.homes[INSTRUCTOR], list(args), cwd=self.course,
                      check=check, timeout=timeout, extra_env={"NN_KIT_HUB": str(self.settings),
                                                               "SSL_CERT_FILE": str(self.authority.ca)})

    def log_tail(self, size=4000):
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""


def run_as(user, home, command, cwd, check=True, timeout=600, extra_env=None):
    env = ["env", "-i", f"HOME={home}", f"USER={user}", f"LOGNAME={user}",
           f"PATH={SHARED_BIN}:/usr/bin:/bin", "LANG=C.UTF-8",
           *(f"{k}={v}" for k, v in (extra_env or {}).items())]
    done = subprocess.run(["runuser", "-u", user, "--", *env, *map(str, command)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(map(str, command[:6]))} as {user} failed "
                             f"({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def make_user(name, home):
    """A user of the machine with its own home (made again if left by a run)."""
    remove_user(name)
    subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                    name], check=True, capture_output=True)
    home.chmod(0o700)
    return pwd.getpwnam(name)


def remove_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    subprocess.run(["userdel", name], capture_output=True)


def _chown_tree(root, entry):
    for folder, dirs, files in os.walk(root):
        os.lchown(folder, entry.pw_uid, entry.pw_gid)
        for name in files + dirs:
            os.lchown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid)


def make_course(base, exchange, homes, live_settings=""):
    """The course folder of the hub's instructor, released to ``exchange``."""
    course = base / "course"
    course.mkdir()
    for path in (KIT / "nbgrader_config.py", *KIT.glob("requirements*.txt")):
        shutil.copy2(path, course / path.name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(KIT / "utils", course / "utils", ignore=ignore)
    shutil.copytree(KIT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT, ignore=ignore)
    for path in (course / "source" / ASSIGNMENT).glob("*.ipynb"):
        if path.stem != NOTEBOOK:
            path.unlink()
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(f"\nc.Exchange.root = {str(exchange)!r}\n"
                     "c.LiveGrading.poll_seconds = 0.5\n" + live_settings)
    roster = base / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_id\n" + "".join(
        f"{user},{user[6:].title()},Hub,{user}@example.edu,{lms}\n"
        for user, lms in STUDENTS.items()))
    entry = pwd.getpwnam(INSTRUCTOR)
    _chown_tree(course, entry)
    os.chown(roster, entry.pw_uid, entry.pw_gid)
    course.chmod(0o700)
    home = homes[INSTRUCTOR]
    run_as(INSTRUCTOR, home, [SHARED_BIN / "python", "-m", "utils", "roster", roster], cwd=course)
    run_as(INSTRUCTOR, home, [SHARED_BIN / "python", "-m", "utils", "release", ASSIGNMENT,
                              "--no-validate"], cwd=course)
    run_as(INSTRUCTOR, home, [SHARED_BIN / "nbgrader", "release_assignment", ASSIGNMENT],
           cwd=course)
    return course


def write_settings(hub, lti=None, create_users=False):
    """The hub's TOML settings file; ``lti`` is the text of its [lti] table."""
    text = f"""[hub]
url = "{hub.url}"
certificate = "{hub.authority.certificate}"
key = "{hub.authority.key}"
state = "{hub.base / 'state'}"
course = "{hub.course}"
course_id = "{COURSE_ID}"
exchange = "{hub.exchange}"
environment = "{SHARED_BIN.parent}"
ca_bundle = "{hub.authority.ca}"
create_users = {str(create_users).lower()}
hub_port = {free_port()}
proxy_api_port = {free_port()}
service_args = ["--jobs", "1"]

[hub.instructors]
{INSTRUCTOR} = "{INSTRUCTOR_LMS_ID}"
"""
    if lti:
        text += "\n[lti]\n" + lti
    hub.settings.write_text(text)


def prepare(base):
    """Users, course, exchange, CA, tool key: everything but the settings and the hub."""
    subprocess.run(["make", "-s", "hub-packages", "shared-env"], cwd=KIT, check=True,
                   capture_output=True, timeout=1800)
    base.chmod(0o755)
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    homes = {}
    for user in (*STUDENTS, INSTRUCTOR):
        (base / "home").mkdir(exist_ok=True)
        (base / "home").chmod(0o755)
        homes[user] = base / "home" / user
        make_user(user, homes[user])
    course = make_course(base, exchange, homes)
    authority = make_authority(base / "tls", hosts=("127.0.0.1", "localhost"))
    for path in (base / "tls").iterdir():
        path.chmod(0o644 if path.suffix == ".pem" else 0o600)
    (base / "lti").mkdir()
    tool_key = make_rsa_key(base / "lti" / "tool.key")
    entry = pwd.getpwnam(INSTRUCTOR)
    os.chown(tool_key, entry.pw_uid, entry.pw_gid)       # lms-sync runs as the instructor
    port = free_port()
    return CourseHub(base=base, url=f"https://127.0.0.1:{port}", course=course,
                     exchange=exchange, settings=base / "hub.toml", authority=authority,
                     tool_key=tool_key, log=base / "jupyterhub.log", homes=homes)


@contextlib.contextmanager
def running(hub):
    """JupyterHub started as ``make hub`` starts it; stopped with everything it started."""
    state = hub.base / "state"
    state.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NN_KIT"))}
    env.update(NN_KIT_HUB=str(hub.settings), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    log = open(hub.log, "ab")
    hub.process = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f",
         str(KIT / "utils" / "hub" / "jupyterhub_config.py")],
        cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                hub.get("/hub/api/", timeout=5)
                break
            except OSError:
                if hub.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the hub did not start:\n" + hub.log_tail())
                time.sleep(0.5)
        yield hub
    finally:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(hub.process.pid, signal.SIGKILL)
        log.close()
        for user in (*STUDENTS, INSTRUCTOR):
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)


def cleanup(base):
    for user in (*STUDENTS, INSTRUCTOR):
        remove_user(user)
    subprocess.run(["rm", "-rf", str(base)])
