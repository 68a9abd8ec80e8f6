"""Who came from the LMS: each student's LTI identity beside the roster's id.

A launch binds a platform's user (its issuer and the immutable ``sub``) to
one student of the roster; later launches find the student by that binding
alone, never by an e-mail or a name.  The record also keeps where the
course's grades go (the Assignment and Grade Services endpoint the launch
carried), which ``python -m utils lms-sync`` needs: AGS knows a student only
by ``sub``.

The records are one JSON file in the course folder,
``lms/launches.json`` (mode 0600, the course owner's), written whole and
renamed into place under a lock.  The hub writes it; it is read as data:
an entry that is not what :class:`Link` holds is skipped and named.
"""
import fcntl
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

#: The launch claims read here (LTI 1.3 core and AGS).
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
#: A text of a record longer than this is cut: every field is an id or an address.
MAX_TEXT = 2048


@dataclass(frozen=True)
class Link:
    """One student's LTI identity and the AGS endpoint of their course."""
    student: str
    issuer: str
    sub: str
    deployment_id: str
    client_id: str = ""
    lms_id: str = ""
    roles: tuple = ()
    context_id: str = ""
    lineitems: str = ""               # the context's line items container, "" if none
    lineitem: str = ""                # the launch's own line item, if any
    scopes: tuple = ()
    first_launch: str = ""
    last_launch: str = ""


@dataclass
class Records:
    """Every :class:`Link`, by student, and the entries that were refused."""
    links: dict = field(default_factory=dict)
    refused: list = field(default_factory=list)

    def by_sub(self, issuer, sub):
        """The link of the platform user ``(issuer, sub)``, or ``None``."""
        for link in self.links.values():
            if link.issuer == issuer and link.sub == sub:
                return link
        return None


def records_path(course_root):
    return Path(course_root) / "lms" / "launches.json"


def _text(value):
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _texts(value):
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(_text(v) for v in value if isinstance(v, str))[:64]


def link_from_launch(student, claims, lms_id="", when=None, previous=None):
    """The :class:`Link` of ``student`` from a validated launch's ``claims``."""
    ags = claims.get(AGS) if isinstance(claims.get(AGS), dict) else {}
    context = claims.get(CONTEXT) if isinstance(claims.get(CONTEXT), dict) else {}
    now = (when or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    aud = claims.get("aud")
    client_id = claims.get("azp") or (aud if isinstance(aud, str) else (aud or [""])[0])
    return Link(student=student, issuer=_text(claims.get("iss")), sub=_text(claims.get("sub")),
                deployment_id=_text(claims.get(DEPLOYMENT)), client_id=_text(client_id),
                lms_id=_text(lms_id), roles=_texts(claims.get(ROLES)),
                context_id=_text(context.get("id")), lineitems=_text(ags.get("lineitems")),
                lineitem=_text(ags.get("lineitem")), scopes=_texts(ags.get("scope")),
                first_launch=previous.first_launch if previous else now, last_launch=now)


def _link(student, entry):
    """The :class:`Link` of one stored entry, or a reason it is refused."""
    if not isinstance(entry, dict):
        return None, "not a record"
    names = {f for f in Link.__dataclass_fields__}
    values = {}
    for name in names:
        value = entry.get(name, "" if name not in ("roles", "scopes") else [])
        if name in ("roles", "scopes"):
            if not isinstance(value, list):
                return None, f"{name} is not a list"
            values[name] = _texts(value)
        elif not isinstance(value, str):
            return None, f"{name} is not a text"
        else:
            values[name] = value[:MAX_TEXT]
    if values["student"] != student or not values["issuer"] or not values["sub"]:
        return None, "its student, issuer or sub is missing or does not match"
    return Link(**values), None


def load(course_root):
    """The :class:`Records` of the course (empty when nobody launched yet)."""
    path = records_path(course_root)
    records = Records()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return records
    except (OSError, ValueError) as err:
        records.refused.append(f"{path}: cannot be read ({err.__class__.__name__})")
        return records
    students = data.get("students") if isinstance(data, dict) else None
    if not isinstance(students, dict):
        records.refused.append(f"{path}: no students table")
        return records
    for student, entry in students.items():
        link, why = _link(student, entry)
        if link is None:
            records.refused.append(f"{_text(student)[:80]}: {why}")
        else:
            records.links[student] = link
    return records


def save(course_root, link, owner=None):
    """Record ``link`` (replacing that student's), atomically, under a lock.

    ``owner`` is ``(uid, gid)`` for the file and its folder: the hub runs
    as root and the course belongs to its owner.
    """
    path = records_path(course_root)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    if owner:
        os.chown(path.parent, *owner)
    with open(path.parent / ".launches.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = load(course_root)
        current.links[link.student] = link
        data = {"version": 1, "students": {s: {**asdict(l), "roles": list(l.roles),
                                                "scopes": list(l.scopes)}
                                            for s, l in sorted(current.links.items())}}
        handle, temporary = tempfile.mkstemp(prefix=".launches.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.chmod(temporary, 0o600)
            if owner:
                os.chown(temporary, *owner)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
