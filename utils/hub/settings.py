"""Every setting of the course's JupyterHub and of its LMS, read from one file.

The hub (``utils/hub/jupyterhub_config.py``), its LTI login and
``python -m utils lms-sync`` read the same TOML file, so that a test or an
instructor points all of them at a platform in one place.  Its path is
``$NN_KIT_HUB`` or, without it, :data:`DEFAULT_PATH`; keys and secrets are
never in it, only the paths of the files that hold them (outside the
repository).  ``utils/hub/hub.example.toml`` is a filled-in example with a
line on each setting.

Everything is checked when the file is read: a missing or wrong setting is
one :class:`HubSettingsError` line naming the setting and what it should be.
"""
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

#: Where the settings are when ``$NN_KIT_HUB`` does not say.
DEFAULT_PATH = Path("/etc/nn-kit/hub.toml")
#: The environment variable that names the settings file.
ENV = "NN_KIT_HUB"

#: The LTI role URIs that make a launch an instructor's (LIS membership
#: roles; a platform may send the short forms too).
INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    "Instructor",
)


class HubSettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming it."""


@dataclass(frozen=True)
class LtiSettings:
    """The LMS (an LTI 1.3 platform) as registered for this course's tool."""
    issuer: str
    client_id: str
    deployment_ids: tuple
    authorize_url: str
    jwks_url: str
    token_url: str
    #: PEM private key of the tool: signs the client assertion that gets an
    #: AGS access token; its public half is served at ``/hub/lti13/jwks``.
    tool_key: Path
    tool_key_id: str = "nn-kit-1"
    #: The custom claim whose value is the roster's ``lms_id`` (Canvas and
    #: Moodle fill ``$User.id`` into it when the tool's custom fields say
    #: ``lms_user_id=$User.id``).
    user_id_claim: str = "lms_user_id"
    #: Post a score while some of its points still wait for hand grading.
    post_pending: bool = False
    #: Seconds an id token may be old (the platform signs it just before
    #: the browser posts it).
    max_token_age: int = 300


@dataclass(frozen=True)
class HubSettings:
    """The hub: where it listens, the course it serves, who is who."""
    path: Path
    url: str
    course: Path
    course_id: str
    exchange: Path
    environment: Path
    state: Path
    certificate: Path = None
    key: Path = None
    bind_url: str = ""
    grader: str = ""
    #: Instructors: ``{user name on the machine: their LMS user id}``.
    instructors: dict = field(default_factory=dict)
    create_users: bool = False
    proxy: str = ""
    #: A CA bundle the hub and lms-sync trust for the platform's endpoints
    #: (empty: the system's).
    ca_bundle: Path = None
    lti: LtiSettings = None
    #: Loopback ports of the hub itself and of the proxy's API (behind the proxy).
    hub_port: int = 8081
    proxy_api_port: int = 8001
    #: Grading service arguments when the hub runs it (``python -m utils serve``).
    service_args: tuple = field(default=("--jobs", "2"))

    @property
    def student_group(self):
        """The group of students, as nbgrader's hub integration names it."""
        return f"nbgrader-{self.course_id}"

    @property
    def instructor_group(self):
        """The group that gets formgrader and the course folder."""
        return f"formgrade-{self.course_id}"


def settings_path(path=None):
    """The settings file: ``path``, ``$NN_KIT_HUB`` or :data:`DEFAULT_PATH`."""
    return Path(path or os.environ.get(ENV) or DEFAULT_PATH)


def _need(table, key, where, kind=str):
    if key not in table:
        raise HubSettingsError(f"{where}: {key} is missing")
    return _typed(table[key], key, where, kind)


def _typed(value, key, where, kind):
    if kind is bool:
        if not isinstance(value, bool):
            raise HubSettingsError(f"{where}: {key} must be true or false, not {value!r}")
        return value
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise HubSettingsError(f"{where}: {key} must be a positive whole number")
        return value
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise HubSettingsError(f"{where}: {key} must be a list of texts")
        return tuple(value)
    if not isinstance(value, str) or not value.strip():
        raise HubSettingsError(f"{where}: {key} must be a text, not {value!r}")
    return value.strip()


def _url(value, key, where, https=True):
    parts = urlsplit(value)
    schemes = ("https",) if https else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname or parts.fragment:
        raise HubSettingsError(f"{where}: {key} must be an {' or '.join(schemes)} address "
                               f"without a fragment, not {value!r}")
    # An issuer is compared exactly (as the platform signs it); the hub's own
    # address is joined with paths.
    return value.rstrip("/") if key == "url" else value


def _file(value, key, where, base):
    path = Path(value)
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise HubSettingsError(f"{where}: {key} names {path}, which is not a file")
    return path


def _folder(value, key, where, base, must_exist=True):
    path = Path(value)
    if not path.is_absolute():
        path = base / path
    if must_exist and not path.is_dir():
        raise HubSettingsError(f"{where}: {key} names {path}, which is not a folder")
    return path


def _lti(table, where, base):
    where = f"{where} [lti]"
    known = {"issuer", "client_id", "deployment_ids", "authorize_url", "jwks_url", "token_url",
             "tool_key", "tool_key_id", "user_id_claim", "post_pending", "max_token_age"}
    _unknown(table, known, where)
    return LtiSettings(
        issuer=_url(_need(table, "issuer", where), "issuer", where),
        client_id=_need(table, "client_id", where),
        deployment_ids=_need(table, "deployment_ids", where, list),
        authorize_url=_url(_need(table, "authorize_url", where), "authorize_url", where),
        jwks_url=_url(_need(table, "jwks_url", where), "jwks_url", where),
        token_url=_url(_need(table, "token_url", where), "token_url", where),
        tool_key=_file(_need(table, "tool_key", where), "tool_key", where, base),
        tool_key_id=_typed(table.get("tool_key_id", "nn-kit-1"), "tool_key_id", where, str),
        user_id_claim=_typed(table.get("user_id_claim", "lms_user_id"), "user_id_claim",
                             where, str),
        post_pending=_typed(table.get("post_pending", False), "post_pending", where, bool),
        max_token_age=_typed(table.get("max_token_age", 300), "max_token_age", where, int))


def _unknown(table, known, where):
    extra = sorted(set(table) - known)
    if extra:
        raise HubSettingsError(f"{where}: unknown setting {extra[0]!r} (known: "
                               f"{', '.join(sorted(known))})")


def load(path=None):
    """The :class:`HubSettings` of the file at ``path`` (see :func:`settings_path`).

    Relative paths in the file are taken from the file's own folder.
    """
    path = settings_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubSettingsError(f"no hub settings at {path} (set ${ENV} to the file, "
                               "see utils/hub/hub.example.toml)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise HubSettingsError(f"cannot read the hub settings {path}: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise HubSettingsError(f"{path} is not valid TOML: {err}") from None
    where, base = str(path), path.parent.resolve()
    _unknown(data, {"hub", "lti"}, where)
    hub = data.get("hub")
    if not isinstance(hub, dict):
        raise HubSettingsError(f"{where}: the [hub] table is missing")
    known = {"url", "bind_url", "certificate", "key", "state", "course", "course_id", "exchange",
             "environment", "grader", "instructors", "create_users", "proxy", "ca_bundle",
             "service_args", "hub_port", "proxy_api_port"}
    _unknown(hub, known, f"{where} [hub]")
    w = f"{where} [hub]"
    url = _url(_need(hub, "url", w), "url", w, https=False)
    certificate = key = None
    if "certificate" in hub or "key" in hub:
        certificate = _file(_need(hub, "certificate", w), "certificate", w, base)
        key = _file(_need(hub, "key", w), "key", w, base)
    course_id = _need(hub, "course_id", w)
    from ..grader.intake import IntakeError, check_name
    try:
        check_name("course_id", course_id)
    except IntakeError as err:
        raise HubSettingsError(f"{w}: {err}") from None
    lti = data.get("lti")
    if lti is not None and not isinstance(lti, dict):
        raise HubSettingsError(f"{where}: [lti] must be a table")
    return HubSettings(
        path=path, url=url, course_id=course_id,
        bind_url=_url(hub["bind_url"], "bind_url", w, https=False) if "bind_url" in hub else "",
        certificate=certificate, key=key,
        course=_folder(_need(hub, "course", w), "course", w, base),
        exchange=_folder(_need(hub, "exchange", w), "exchange", w, base, must_exist=False),
        environment=_folder(_need(hub, "environment", w), "environment", w, base),
        state=_folder(_need(hub, "state", w), "state", w, base, must_exist=False),
        grader=_typed(hub["grader"], "grader", w, str) if "grader" in hub else "",
        instructors=_instructors(hub.get("instructors", {}), w),
        create_users=_typed(hub.get("create_users", False), "create_users", w, bool),
        proxy=_typed(hub["proxy"], "proxy", w, str) if "proxy" in hub else "",
        ca_bundle=_file(hub["ca_bundle"], "ca_bundle", w, base) if "ca_bundle" in hub else None,
        service_args=_typed(hub["service_args"], "service_args", w, list)
        if hub.get("service_args") else ("--jobs", "2"),
        hub_port=_typed(hub.get("hub_port", 8081), "hub_port", w, int),
        proxy_api_port=_typed(hub.get("proxy_api_port", 8001), "proxy_api_port", w, int),
        lti=_lti(lti, where, base) if lti is not None else None)


def _instructors(table, where):
    if not isinstance(table, dict):
        raise HubSettingsError(f"{where}: instructors must be a table of user name = LMS user id")
    for name, lms_id in table.items():
        _typed(lms_id, f"instructors.{name}", where, str)
    ids = list(table.values())
    if len(set(ids)) != len(ids):
        raise HubSettingsError(f"{where}: two instructors share an LMS user id")
    return dict(table)


def instructor_role(roles):
    """Whether a launch's ``roles`` claim holds an instructor's role."""
    return any(role in INSTRUCTOR_ROLES for role in roles or () if isinstance(role, str))
