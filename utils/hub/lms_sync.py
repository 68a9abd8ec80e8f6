"""The LMS shows what the exports show: each student's points of an assignment,
after the late penalty, posted to the assignment's line item through LTI
Advantage Assignment and Grade Services (AGS).

:func:`sync` reads the class's results as ``python -m utils grades`` writes
them (:func:`utils.grader.exports.export_result`), finds each student's
platform identity in the launch records (:mod:`utils.hub.launches`: AGS knows
a student only by the ``sub`` of their launch), finds the line item whose
``resourceId`` is the assignment in the course's line items container
(creating it if missing), reads the scores the platform already holds and
posts only those that differ.  The protocol is PyLTI1p3's: its
``ServiceConnector`` gets the access token with a JWT signed by the tool's
key, its ``AssignmentsGradesService`` reads and creates line items, reads
results and posts scores.

- A student is posted only with complete points: not graded is skipped with
  its reason; points still waiting for hand grading are skipped unless
  ``post_pending`` (or ``include_pending``) says to post them as
  ``PendingManual``.  A student who handed in nothing has 0, as in the exports.
- A student who never launched from the LMS, or whose launch came from
  another platform, client, deployment or course, cannot be posted: named.
- A score the platform already shows (within 1e-9, same maximum) is not
  posted again, so running the sync twice changes nothing.
- A connection error or a 429/5xx answer is tried three times; a student
  whose score still fails is one line, and the others are still posted.
- A refused access token or an untrusted certificate is a setting to fix:
  one :class:`LmsSyncError` line, nothing posted.

Everything that happened is one :class:`SyncReport` of :class:`Change`
entries, which the command line renders.
"""
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config import ToolConfDict

from ..course import CourseError
from . import launches

SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
#: What the sync asks the platform for: find and create the line item, read
#: its results, post scores.
SCOPES = (SCOPE + "lineitem", SCOPE + "result.readonly", SCOPE + "score")
#: Seconds waited before the second and the third attempt of a request.
RETRY_WAIT = (1.0, 3.0)
#: Seconds a request to the platform may take.
TIMEOUT = 30
#: Two scores closer than this are the same.
SAME = 1e-9

POSTED, WOULD_POST, UNCHANGED = "posted", "would post", "unchanged"
NOT_POSTABLE, NOT_GRADED, WAITING, FAILED = ("not postable", "not graded",
                                             "waiting for hand grading", "failed")
KINDS = (POSTED, WOULD_POST, UNCHANGED, NOT_POSTABLE, NOT_GRADED, WAITING, FAILED)


class LmsSyncError(CourseError):
    """The sync cannot talk to the platform at all (a setting to fix): one line."""


@dataclass(frozen=True)
class Change:
    """What the sync did (or would do) for one student."""
    student: str
    kind: str                        # one of KINDS
    new: float = None                # the points posted, or that would be
    old: float = None                # what the platform held before (None: nothing)
    maximum: float = None            # the points possible
    old_maximum: float = None        # the maximum of ``old`` on the platform
    reason: str = ""                 # why (not postable, not graded, failed ...) or a remark
    pending: bool = False            # posted as PendingManual: hand grading still to come


@dataclass
class SyncReport:
    """Everything :func:`sync` did for one assignment."""
    assignment: str
    maximum: float = 0.0
    dry_run: bool = False
    lineitems: str = ""              # the course's line items container used
    lineitem: str = ""               # the assignment's line item ("" if none yet)
    created: bool = False            # the line item was created by this sync
    would_create: bool = False       # a dry run found no line item
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)     # other things the instructor should know

    def of_kind(self, kind):
        return [c for c in self.changes if c.kind == kind]

    @property
    def ok(self):
        """Every student who could be posted was posted or was already right."""
        return not any(c.kind in (FAILED, NOT_POSTABLE) for c in self.changes)


class _Failed(Exception):
    """A request that did not succeed, after its retries: the message is why."""


def _times(n):
    return {1: "once", 2: "twice", 3: "three times"}.get(n, f"{n} times")


def _short(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Session(requests.Session):
    """A session with a timeout and the course's CA bundle on every request
    (a ``verify`` set on the session alone gives way to ``$REQUESTS_CA_BUNDLE``)."""

    def __init__(self, ca_bundle=None):
        super().__init__()
        self.ca_bundle = str(ca_bundle) if ca_bundle else None
        self.headers["User-Agent"] = "nn-kit-lms-sync"

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        if self.ca_bundle:
            kwargs.setdefault("verify", self.ca_bundle)
        return super().request(method, url, **kwargs)


class _Connector(ServiceConnector):
    """PyLTI1p3's connector, signing its assertion with the key id the hub's
    JWKS gives the tool's key (PyLTI1p3 would use the key's thumbprint)."""

    def __init__(self, registration, session, key_id):
        super().__init__(registration, session)
        self.key_id = key_id

    def encode_jwt(self, message, private_key, headers):
        return super().encode_jwt(message, private_key, {**headers, "kid": self.key_id})


def _grades_service(lti, session, lineitems, scopes):
    """PyLTI1p3's AGS client for the container ``lineitems``, as the tool registered
    with ``lti`` (:class:`utils.hub.settings.LtiSettings`)."""
    try:
        key = lti.tool_key.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LmsSyncError(f"cannot read the tool's key {lti.tool_key}: {err}") from None
    config = ToolConfDict({lti.issuer: [{
        "default": True, "client_id": lti.client_id, "auth_login_url": lti.authorize_url,
        "auth_token_url": lti.token_url, "key_set_url": lti.jwks_url,
        "deployment_ids": list(lti.deployment_ids)}]})
    config.set_private_key(lti.issuer, key, client_id=lti.client_id)
    registration = config.find_registration_by_params(lti.issuer, lti.client_id)
    connector = _Connector(registration, session, lti.tool_key_id)
    return AssignmentsGradesService(connector, {"scope": list(scopes), "lineitems": lineitems})


def _attempt(call, lti, waits):
    """``call()``, tried again after a connection error or a 429/5xx answer
    (``len(waits) + 1`` attempts in all); its value, or :class:`_Failed` saying
    why not.  A refused access token or certificate raises :class:`LmsSyncError`."""
    answers = []
    for attempt in range(len(waits) + 1):
        if attempt:
            time.sleep(waits[attempt - 1])
        try:
            return call()
        except LtiServiceException as err:          # an HTTP answer that is not 2xx
            status, url = err.response.status_code, err.response.url
            if status != 429 and status < 500:
                if url.split("?")[0] == lti.token_url:
                    raise LmsSyncError(
                        f"the LMS refused the tool an access token ({status}: "
                        f"{_short(err.response.text)}); is the tool's key (or its JWKS URL) "
                        f"registered there for client {lti.client_id}?") from None
                raise _Failed(f"the LMS answered {status}: {_short(err.response.text)}") from None
            answers.append(f"answered {status}")
        except requests.exceptions.SSLError as err:
            raise LmsSyncError(f"cannot trust the LMS's certificate ({_short(err)}); set "
                               "ca_bundle in [hub] to the CA that signed it") from None
        except requests.exceptions.RequestException as err:
            answers.append(f"could not be reached ({type(err).__name__})")
        except (LtiException, ValueError, KeyError, TypeError) as err:
            raise _Failed(f"the LMS's answer is not understood ({_short(err)})") from None
    if len(set(answers)) == 1:
        raise _Failed(f"the LMS {answers[0]} {_times(len(answers))}")
    raise _Failed(f"the LMS {', then '.join(answers)}")


def _now():
    """Now, as AGS timestamps are written: UTC, ISO 8601, milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _triage(student, result, link, lti, post_pending):
    """The :class:`Change` of a student who will not be posted, or ``None``."""
    from ..grader.report import NOT_GRADED as STATE_NOT_GRADED
    if not result.graded:
        why = result.state.removeprefix(STATE_NOT_GRADED).lstrip(": ")
        return Change(student, NOT_GRADED, reason=why or "its notebooks could not be graded")
    if link is None:
        return Change(student, NOT_POSTABLE, reason="never launched from the LMS")
    if (link.issuer, link.client_id) != (lti.issuer, lti.client_id):
        return Change(student, NOT_POSTABLE,
                      reason=f"launched from another platform ({link.issuer}, client "
                             f"{link.client_id or '?'}), not {lti.issuer} (client "
                             f"{lti.client_id})")
    if link.deployment_id not in lti.deployment_ids:
        return Change(student, NOT_POSTABLE,
                      reason=f"launched from deployment {link.deployment_id!r}, which is not "
                             "in the settings' deployment_ids")
    if not link.lineitems:
        return Change(student, NOT_POSTABLE,
                      reason="their launch carried no grade service (AGS) address")
    if link.scopes and SCOPE + "score" not in link.scopes:
        return Change(student, NOT_POSTABLE,
                      reason="their launch does not let the tool post scores (no score scope)")
    if result.pending and not post_pending:
        return Change(student, WAITING, new=result.points, maximum=result.record.max_score,
                      reason=f"{result.pending:g} point(s) still to grade by hand")
    return None


def _still_open(course, assignment):
    """``f(student)``: why a student who handed in nothing gets no 0 yet, or "".

    A 0 is posted only once the student's deadline (extension and grace
    included) has passed: before it, the LMS would show a failing grade for
    work that may still come.  Without a due date it never is.
    """
    from ..grader.deadlines import deadlines_of, shown
    book = deadlines_of(course)
    now = datetime.now(timezone.utc)

    def why(student):
        due = book.due_date(assignment, student)[0]
        if due is None:
            return "nothing handed in (the assignment has no due date, so no 0 is posted)"
        closes = due.timestamp() + 60 * book.grace_minutes
        if now.timestamp() <= closes:
            return (f"nothing handed in yet (a 0 is posted after the deadline, "
                    f"{shown(datetime.fromtimestamp(closes, timezone.utc), book.timezone)})")
        return ""
    return why


def _nothing_yet(student, result, open_for):
    """The :class:`Change` of a student with nothing handed in whose 0 must wait."""
    from ..grader.report import MISSING
    if result.record.state != MISSING:
        return None
    why = open_for(student)
    return Change(student, NOT_GRADED, reason=why) if why else None


def sync(course, assignment, settings, dry_run=False, include_pending=False,
         retry_wait=RETRY_WAIT):
    """Post ``assignment``'s points of every student to the LMS; return a :class:`SyncReport`.

    ``settings`` is the hub's :class:`utils.hub.settings.HubSettings` (its
    ``[lti]`` table and ``ca_bundle``).  ``dry_run`` reads the platform but
    changes nothing there (not even the line item).  ``include_pending`` posts
    points still waiting for hand grading (as ``settings.lti.post_pending``
    does).  ``retry_wait`` is the seconds waited before each retry.
    """
    from ..grader.exports import export_result
    from ..grader.outcome import load_outcomes
    from ..grader.report import class_records
    lti = settings.lti
    if lti is None:
        raise LmsSyncError(f"{settings.path} has no [lti] table: lms-sync needs the LMS's "
                           "registration (see utils/hub/hub.example.toml)")
    course.check_assignment(assignment)
    if not load_outcomes(course, assignment):
        raise CourseError(f"nothing graded for {assignment} yet: run autograde first")
    results = {r.student: export_result(r) for r in class_records(course, assignment)}
    report = SyncReport(assignment, dry_run=dry_run,
                        maximum=max((r.record.max_score for r in results.values()), default=0.0))
    records = launches.load(course.root)
    report.notes += [f"a launch record is refused: {why}" for why in records.refused]
    post_pending = lti.post_pending or include_pending
    postable = {}
    open_for = _still_open(course, assignment)
    for student, result in sorted(results.items()):
        link = records.links.get(student)
        change = _nothing_yet(student, result, open_for) or \
            _triage(student, result, link, lti, post_pending)
        if change is not None:
            report.changes.append(change)
        else:
            postable[student] = (result, link)
    if not postable:
        return report
    containers = Counter(link.lineitems for _, link in postable.values())
    report.lineitems = containers.most_common(1)[0][0]
    for student, (_, link) in list(postable.items()):
        if link.lineitems != report.lineitems:
            report.changes.append(Change(
                student, NOT_POSTABLE, reason=f"launched from another course of the LMS (line "
                                              f"items at {link.lineitems}, most students' at "
                                              f"{report.lineitems})"))
            del postable[student]
    _post(report, postable, settings, retry_wait)
    report.changes.sort(key=lambda c: c.student)
    return report


def _post(report, postable, settings, waits):
    """Find (or create) the line item, read its results, post what differs."""
    from ..grader.report import MISSING
    lti, assignment, maximum = settings.lti, report.assignment, report.maximum
    ags = _grades_service(lti, _Session(settings.ca_bundle), report.lineitems, SCOPES)

    def fail_all(why):
        report.changes.extend(Change(s, FAILED, new=r.points, maximum=maximum, reason=why)
                              for s, (r, _) in postable.items())

    try:
        item = _attempt(lambda: ags.find_lineitem_by_resource_id(assignment), lti, waits)
        if item is None and report.dry_run:
            report.would_create = True
        elif item is None:
            wanted = (LineItem().set_label(assignment).set_score_maximum(maximum)
                      .set_resource_id(assignment).set_tag(settings.course_id))
            item = _attempt(lambda: ags.find_or_create_lineitem(wanted, find_by="resource_id"),
                            lti, waits)
            report.created = True
    except _Failed as err:
        fail_all(f"not posted: the line item could not be found or created: {err}")
        return
    held = {}
    if item is not None:
        report.lineitem = item.get_id() or ""
        if item.get_score_maximum() is not None and \
                abs(float(item.get_score_maximum()) - maximum) > SAME:
            report.notes.append(
                f"the LMS's line item {item.get_label() or assignment} is out of "
                f"{item.get_score_maximum():g} points, the assignment out of {maximum:g}: the "
                f"LMS scales every score, and each sync posts them again; set its maximum to "
                f"{maximum:g} in the LMS")
        try:
            held = _held_scores(_attempt(lambda: ags.get_grades(item), lti, waits))
        except _Failed as err:
            fail_all(f"not posted: the LMS's current scores could not be read: {err}")
            return
    for student, (result, link) in postable.items():
        old, old_maximum = held.get(link.sub, (None, None))
        pending = bool(result.pending)
        change = dict(student=student, new=result.points, maximum=maximum, old=old,
                      old_maximum=old_maximum, pending=pending,
                      reason="nothing handed in" if result.record.state == MISSING else "")
        if old is not None and abs(old - result.points) <= SAME and \
                old_maximum is not None and abs(old_maximum - maximum) <= SAME:
            report.changes.append(Change(kind=UNCHANGED, **change))
            continue
        if report.dry_run:
            report.changes.append(Change(kind=WOULD_POST, **change))
            continue
        try:
            # the same grade, with the same timestamp, on every attempt
            grade = (Grade().set_score_given(result.points).set_score_maximum(maximum)
                     .set_timestamp(_now()).set_activity_progress("Completed")
                     .set_grading_progress("PendingManual" if pending else "FullyGraded")
                     .set_user_id(link.sub))
            _attempt(lambda: ags.put_grade(grade, item), lti, waits)
        except (LtiException, _Failed) as err:      # PyLTI1p3 refuses a score below 0
            change["reason"] = f"not posted: {err}"
            report.changes.append(Change(kind=FAILED, **change))
            continue
        report.changes.append(Change(kind=POSTED, **change))


def _held_scores(results):
    """``{userId: (score, maximum)}`` of an AGS result container."""
    held = {}
    for result in results if isinstance(results, list) else ():
        if not isinstance(result, dict) or not isinstance(result.get("userId"), str):
            continue
        score, maximum = result.get("resultScore"), result.get("resultMaximum", 1)
        if isinstance(score, (int, float)) and isinstance(maximum, (int, float)):
            held[result["userId"]] = (float(score), float(maximum))
    return held
