"""The course hub's settings, its configuration and its launch records, without a hub.

- Every setting is checked when the file is read: a wrong one is one line
  naming it (the example file is complete: it fails only on the files it
  names that this machine lacks).
- :func:`utils.hub.config.configure` turns the settings into JupyterHub's:
  HTTPS and cross-site cookies, the LTI login, each role's Jupyter settings
  (students without formgrader; instructors with formgrader allowed in its
  iframe), the grading service as the course's owner; a course folder open
  to other users is refused.
- The launch records are data: entries of the wrong shape are refused and
  named, never trusted.
"""
import json
import os
import pwd
import stat
from pathlib import Path

import pytest
from traitlets.config import Config

from conftest import KIT
from utils.hub import launches
from utils.hub.settings import HubSettingsError, instructor_role, load

pytestmark = pytest.mark.fast


@pytest.fixture
def place(tmp_path):
    """A course folder (0700), an environment with a single-user server, a proxy."""
    course = tmp_path / "course"
    course.mkdir(mode=0o700)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    env_bin = tmp_path / "env" / "bin"
    env_bin.mkdir(parents=True)
    for name in ("jupyterhub-singleuser", "python", "proxy"):
        (env_bin / name).write_text("#!/bin/sh\n")
        (env_bin / name).chmod(0o755)
    for name in ("tool.key", "hub.crt", "hub.key", "ca.pem"):
        (tmp_path / name).write_text("x")
    return tmp_path


def write(place, hub_extra="", lti=True, lti_extra=""):
    text = f"""[hub]
url = "https://hub.example.edu/"
certificate = "hub.crt"
key = "hub.key"
state = "state"
course = "course"
course_id = "nn-from-scratch"
exchange = "/srv/nbgrader/exchange"
environment = "env"
proxy = "{place / 'env' / 'bin' / 'proxy'}"
{hub_extra}
[hub.instructors]
teach = "2001"
"""
    if lti:
        text += f"""
[lti]
issuer = "https://lms.example.edu/"
client_id = "nn-kit-tool"
deployment_ids = ["d1"]
authorize_url = "https://lms.example.edu/authorize"
jwks_url = "https://lms.example.edu/jwks"
token_url = "https://lms.example.edu/token"
tool_key = "tool.key"
{lti_extra}"""
    path = place / "hub.toml"
    path.write_text(text)
    return path


def test_a_complete_file_is_read_with_paths_from_its_own_folder(place):
    settings = load(write(place))
    assert settings.url == "https://hub.example.edu"
    assert settings.lti.issuer == "https://lms.example.edu/"    # compared exactly, as signed
    assert settings.course == place / "course"
    assert settings.lti.tool_key == place / "tool.key"
    assert settings.instructors == {"teach": "2001"}
    assert (settings.student_group, settings.instructor_group) == (
        "nbgrader-nn-from-scratch", "formgrade-nn-from-scratch")


@pytest.mark.parametrize("hub_extra, lti_extra, named", [
    ("colour = 'blue'", "", "unknown setting 'colour'"),
    ("create_users = 'yes'", "", "create_users must be true or false"),
    ("hub_port = -1", "", "hub_port must be a positive whole number"),
    ("", "max_token_age = 0", "max_token_age must be a positive whole number"),
    ("", "user_id_claim = ''", "user_id_claim must be a text"),
    ("ca_bundle = 'nowhere.pem'", "", "ca_bundle names"),
])
def test_a_wrong_setting_is_one_line_naming_it(place, hub_extra, lti_extra, named):
    with pytest.raises(HubSettingsError) as caught:
        load(write(place, hub_extra, lti_extra=lti_extra))
    assert named in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("old, new, named", [
    ('issuer = "https://lms.example.edu/"', 'issuer = "http://lms.example.edu"', "issuer must be"),
    ('client_id = "nn-kit-tool"\n', "", "client_id is missing"),
    ('course_id = "nn-from-scratch"', 'course_id = "../nn"', "course_id"),
    ('tool_key = "tool.key"', 'tool_key = "missing.key"', "tool_key names"),
    ('teach = "2001"', 'teach = "2001"\nother = "2001"', "share an LMS user id"),
    ('url = "https://hub.example.edu/"', 'url = "hub.example.edu"', "url must be"),
])
def test_each_required_setting_is_checked(place, old, new, named):
    path = write(place)
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(HubSettingsError, match=named.replace("(", r"\(")):
        load(path)


def test_no_file_and_a_broken_file_say_where(tmp_path, monkeypatch):
    monkeypatch.setenv("NN_KIT_HUB", str(tmp_path / "none.toml"))
    with pytest.raises(HubSettingsError, match="no hub settings at .*none.toml"):
        load()
    (tmp_path / "bad.toml").write_text("[hub\n")
    with pytest.raises(HubSettingsError, match="not valid TOML"):
        load(tmp_path / "bad.toml")


def test_the_example_file_fails_only_on_the_files_it_names(tmp_path):
    example = (KIT / "utils" / "hub" / "hub.example.toml").read_text()
    path = tmp_path / "hub.toml"
    path.write_text(example)
    with pytest.raises(HubSettingsError, match="certificate names /etc/nn-kit/tls/hub.crt"):
        load(path)


def test_roles_of_a_launch():
    assert instructor_role(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"])
    assert not instructor_role(["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"])
    assert not instructor_role("Instructor")             # a text, not a list of roles
    assert not instructor_role([{"role": "Instructor"}])


# -- configure ------------------------------------------------------------------------
def configured(place):
    from utils.hub.config import configure
    return configure(Config(), load(write(place))), place / "state" / "jupyter"


def test_the_hub_serves_https_with_cross_site_cookies_and_the_lti_login(place):
    c, _ = configured(place)
    assert c.JupyterHub.bind_url == "https://hub.example.edu"
    assert c.JupyterHub.ssl_cert == str(place / "hub.crt")
    assert c.JupyterHub.tornado_settings["cookie_options"] == {"SameSite": "None",
                                                              "Secure": True}
    assert c.JupyterHub.authenticator_class.__name__ == "CourseLTIAuthenticator"
    assert c.CourseLTIAuthenticator.client_id == {"nn-kit-tool"}
    assert c.Authenticator.manage_groups is True
    assert c.JupyterHub.db_url.endswith(str(place / "state" / "jupyterhub.sqlite"))
    assert stat.S_IMODE((place / "state").stat().st_mode) == 0o711


def test_each_role_gets_its_own_jupyter_settings(place):
    c, base = configured(place)
    student = json.loads((base / "student" / "labconfig" / "page_config.json").read_text())
    assert student["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True
    server = json.loads((base / "student" / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"][
        "nbgrader.server_extensions.formgrader"] is False
    assert "EXCHANGE_ROOT = '/srv/nbgrader/exchange'" in \
        (base / "student" / "nbgrader_config.py").read_text()
    instructor = json.loads((base / "instructor" / "jupyter_server_config.json").read_text())
    assert instructor["ServerApp"]["tornado_settings"]["headers"][
        "Content-Security-Policy"] == "frame-ancestors 'self'"
    assert f"c.CourseDirectory.root = {str(place / 'course')!r}" in \
        (base / "instructor" / "nbgrader_config.py").read_text()

    class User:
        def __init__(self, name, groups):
            self.name = name
            self.groups = [type("G", (), {"name": g}) for g in groups]

    class Spawner:
        def __init__(self, user):
            self.user, self.environment, self.notebook_dir = user, {}, ""

    ana = Spawner(User("ana", ["nbgrader-nn-from-scratch"]))
    c.Spawner.pre_spawn_hook(ana)
    assert ana.environment["JUPYTER_CONFIG_PATH"] == str(base / "student")
    assert ana.notebook_dir == "~"
    teach = Spawner(User("teach", ["formgrade-nn-from-scratch"]))
    c.Spawner.pre_spawn_hook(teach)
    assert teach.environment["JUPYTER_CONFIG_PATH"] == str(base / "instructor")
    assert teach.notebook_dir == str(place / "course")
    with pytest.raises(RuntimeError, match="neither group"):
        c.Spawner.pre_spawn_hook(Spawner(User("eve", [])))


def test_the_grading_service_runs_as_the_courses_owner(place):
    c, _ = configured(place)
    (service,) = c.JupyterHub.services
    assert service["user"] == pwd.getpwuid(os.getuid()).pw_name
    assert service["cwd"] == str(place / "course")
    assert service["command"][1:4] == ["-m", "utils", "serve"]


def test_a_course_open_to_other_users_is_refused(place):
    (place / "course").chmod(0o755)
    with pytest.raises(HubSettingsError, match="open to other users .*chmod o-rwx"):
        configured(place)


# -- launch records -------------------------------------------------------------------
CLAIMS = {"iss": "https://lms.example.edu/", "sub": "s-1", "aud": "nn-kit-tool",
          launches.DEPLOYMENT: "d1", launches.ROLES: ["x#Learner"],
          launches.CONTEXT: {"id": "course-1"},
          launches.AGS: {"lineitems": "https://lms.example.edu/li", "scope": ["a", "b"]}}


def test_a_launch_is_kept_and_found_by_its_platform_identity(tmp_path):
    launches.save(tmp_path, launches.link_from_launch("ana", CLAIMS, "1001"))
    records = launches.load(tmp_path)
    link = records.by_sub("https://lms.example.edu/", "s-1")
    assert (link.student, link.lms_id, link.lineitems, link.client_id) == (
        "ana", "1001", "https://lms.example.edu/li", "nn-kit-tool")
    assert records.by_sub("https://lms.example.edu", "s-1") is None     # exact issuer
    assert stat.S_IMODE(launches.records_path(tmp_path).stat().st_mode) == 0o600


def test_launch_records_of_the_wrong_shape_are_refused_and_named(tmp_path):
    path = launches.records_path(tmp_path)
    path.parent.mkdir()
    good = {"student": "ana", "issuer": "i", "sub": "s", "deployment_id": "d"}
    path.write_text(json.dumps({"students": {
        "ana": good, "bob": {**good, "student": "bob", "roles": "Instructor"},
        "cy": [1, 2], "dan": {**good, "student": "eve"}, "fay": {**good, "student": "fay",
                                                                "sub": 7}}}))
    records = launches.load(tmp_path)
    assert set(records.links) == {"ana"}
    assert len(records.refused) == 4
    path.write_text("[not json")
    assert launches.load(tmp_path).refused and not launches.load(tmp_path).links


def test_without_an_lms_the_machines_passwords_admit_the_roster_and_the_instructors(place):
    """No [lti] table: PAM login, for the roster's students and the listed
    instructors only, each put in their role's group."""
    from nbgrader.api import Gradebook
    from utils.course import Course
    from utils.hub.config import configure
    with Gradebook(Course(place / "course").db_url) as gb:
        gb.add_student("ana", lms_user_id="1001")
    c = configure(Config(), load(write(place, lti=False)))
    assert c.JupyterHub.authenticator_class == "jupyterhub.auth.PAMAuthenticator"
    assert c.Authenticator.allowed_users == {"ana", "teach"}
    assert c.JupyterHub.load_groups == {
        "nbgrader-nn-from-scratch": {"users": ["ana"]},
        "formgrade-nn-from-scratch": {"users": ["teach"]}}
