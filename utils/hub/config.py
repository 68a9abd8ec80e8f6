"""The course's JupyterHub configured from its settings: ``configure(c, settings)``.

``utils/hub/jupyterhub_config.py`` (what ``make hub`` starts JupyterHub with)
calls :func:`configure`; everything the hub does is decided here:

- the proxy (Node.js's configurable-http-proxy, pinned in
  ``utils/hub/proxy/``) serves the hub's address, over HTTPS when the
  settings give a certificate; the hub's state (database, cookie secret)
  lives in the settings' ``state`` folder, outside the repository;
- login is the LMS's LTI 1.3 launch (:mod:`utils.hub.lti_login`) when the
  settings have an ``[lti]`` table, else the machine's own passwords (PAM)
  for the roster's students and the listed instructors;
- every user's server runs as that user of the machine, from the
  environment every user can run (``make shared-env``), with nbgrader's
  settings for their role: students (group ``nbgrader-<course>``) get the
  Assignments tab and Validate in their own home; instructors (group
  ``formgrade-<course>``) get formgrader, opened on the course folder (the
  iframe it lives in allowed, which JupyterHub 4.1 and later forbid);
- the grading service (``python -m utils serve``) runs as a service the hub
  manages, as the course's owner.

The hub refuses to start (one line) when the course folder is open to other
users: it holds the solutions.
"""
import json
import pwd
import shutil
import stat
from pathlib import Path

from .settings import HubSettingsError

KIT = Path(__file__).resolve().parents[2]
#: The proxy ``make hub`` installs (``npm ci`` of utils/hub/proxy/).
DEFAULT_PROXY = KIT / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
#: The hub's name for the grading service.
GRADING_SERVICE = "nn-kit-grading"
#: nbgrader's JupyterLab plugins a student does not get.
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")
#: Seconds a user's server may take to start: on a loaded 2-core machine a
#: JupyterLab start has taken over a minute.
START_TIMEOUT = 300


def _write(path, text, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.write_text(text)
    path.chmod(mode)


def role_configs(settings):
    """Write the Jupyter settings of each role into ``<state>/jupyter/``;
    return ``{"student": folder, "instructor": folder}``."""
    from ..student_setup import student_config
    base = settings.state / "jupyter"
    student, instructor = base / "student", base / "instructor"
    _write(student / "nbgrader_config.py", student_config(settings.course_id, settings.exchange))
    _write(student / "jupyter_server_config.json", json.dumps({"ServerApp": {
        "jpserver_extensions": {"nbgrader.server_extensions.formgrader": False,
                                "nbgrader.server_extensions.course_list": False,
                                "nbgrader.server_extensions.assignment_list": True,
                                "nbgrader.server_extensions.validate_assignment": True}}},
        indent=1))
    _write(student / "labconfig" / "page_config.json", json.dumps(
        {"disabledExtensions": {name: True for name in INSTRUCTOR_PLUGINS}}, indent=1))
    _write(instructor / "nbgrader_config.py", "\n".join([
        '"""nbgrader settings of the course hub\'s instructors (written by the hub)."""',
        "c = get_config()  # noqa: F821",
        f"c.CourseDirectory.root = {str(settings.course)!r}",
        f"c.CourseDirectory.course_id = {settings.course_id!r}",
        f"c.Exchange.root = {str(settings.exchange)!r}",
        "c.Exchange.path_includes_course = True", ""]))
    # nbgrader's documented fix for JupyterHub 4.1 and later: formgrader is
    # an iframe of the instructor's own server, which may frame itself.
    _write(instructor / "jupyter_server_config.json", json.dumps({"ServerApp": {
        "tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}},
        "jpserver_extensions": {"nbgrader.server_extensions.formgrader": True,
                                "nbgrader.server_extensions.course_list": False}}}, indent=1))
    _write(instructor / "labconfig" / "page_config.json", json.dumps(
        {"disabledExtensions": {"@jupyter/nbgrader:course-list": True}}, indent=1))
    return {"student": student, "instructor": instructor}


def check_course(settings):
    """Refuse (one line) a course folder other users can enter or an
    environment without JupyterHub's single-user server."""
    mode = settings.course.stat().st_mode
    if mode & stat.S_IRWXO:
        raise HubSettingsError(f"{settings.course} is open to other users (mode "
                               f"{stat.S_IMODE(mode):o}); it holds the solutions: "
                               f"chmod o-rwx {settings.course}")
    if not (settings.environment / "bin" / "jupyterhub-singleuser").exists():
        raise HubSettingsError(f"{settings.environment} has no jupyterhub-singleuser: build it "
                               "with make hub (or make shared-env after make hub-packages)")


def _owner(path):
    return pwd.getpwuid(path.stat().st_uid).pw_name


def _roster(settings):
    from nbgrader.api import Gradebook
    from ..course import Course
    with Gradebook(Course(settings.course).db_url) as gb:
        return [s.id for s in gb.students]


def configure(c, settings):
    """Fill the JupyterHub config ``c`` from ``settings``."""
    check_course(settings)
    settings.state.mkdir(parents=True, exist_ok=True)
    settings.state.chmod(0o711)                 # users reach <state>/jupyter, nothing else
    configs = role_configs(settings)
    https = bool(settings.certificate)

    c.JupyterHub.bind_url = settings.bind_url or settings.url
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.hub_port}"
    if https:
        c.JupyterHub.ssl_cert = str(settings.certificate)
        c.JupyterHub.ssl_key = str(settings.key)
        # An LTI launch is a cross-site form post: its cookies must travel with it.
        c.JupyterHub.tornado_settings = {"cookie_options": {"SameSite": "None",
                                                            "Secure": True}}
    c.JupyterHub.db_url = f"sqlite:///{settings.state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(settings.state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(settings.state / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.command = [settings.proxy or str(DEFAULT_PROXY)]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(settings.state / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True

    if settings.lti is not None:
        from .lti_login import CourseLTIAuthenticator
        lti = settings.lti
        c.JupyterHub.authenticator_class = CourseLTIAuthenticator
        c.CourseLTIAuthenticator.settings = settings
        c.CourseLTIAuthenticator.issuer = lti.issuer
        c.CourseLTIAuthenticator.client_id = {lti.client_id}
        c.CourseLTIAuthenticator.authorize_url = lti.authorize_url
        c.CourseLTIAuthenticator.jwks_endpoint = lti.jwks_url
        c.CourseLTIAuthenticator.uri_scheme = "https" if https else "auto"
        c.CourseLTIAuthenticator.tool_name = f"{settings.course_id} (JupyterHub)"
        c.Authenticator.manage_groups = True
        c.Authenticator.allow_all = True        # the roster is checked at each launch
    else:
        students = _roster(settings)
        c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"
        c.Authenticator.allowed_users = set(students) | set(settings.instructors)
        c.JupyterHub.load_groups = {
            settings.student_group: {"users": students},
            settings.instructor_group: {"users": list(settings.instructors)}}

    env_bin = settings.environment / "bin"
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    c.Spawner.cmd = [str(env_bin / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.env_keep = ["LANG", "LC_ALL"]
    c.Spawner.start_timeout = START_TIMEOUT
    c.Spawner.http_timeout = START_TIMEOUT
    ca = {"SSL_CERT_FILE": str(settings.ca_bundle)} if settings.ca_bundle else {}

    def pre_spawn(spawner):
        groups = {g.name for g in spawner.user.groups}
        if settings.instructor_group in groups:
            role, spawner.notebook_dir = "instructor", str(settings.course)
        elif settings.student_group in groups:
            role, spawner.notebook_dir = "student", "~"
        else:
            raise RuntimeError(f"{spawner.user.name} is in neither group of the course")
        spawner.environment.update({
            "PATH": f"{env_bin}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": str(configs[role]), **ca})

    c.Spawner.pre_spawn_hook = pre_spawn

    grader = settings.grader or _owner(settings.course)
    c.JupyterHub.services = [{
        "name": GRADING_SERVICE,
        "command": [str(env_bin / "python"), "-m", "utils", "serve", *settings.service_args],
        "cwd": str(settings.course),
        "user": grader,
        "environment": {"PATH": f"{env_bin}:/usr/local/bin:/usr/bin:/bin",
                        "HOME": pwd.getpwnam(grader).pw_dir},
    }]
    if not shutil.which(c.ConfigurableHTTPProxy.command[0]):
        raise HubSettingsError(f"no proxy at {c.ConfigurableHTTPProxy.command[0]}: make hub "
                               "installs it")
    return c
