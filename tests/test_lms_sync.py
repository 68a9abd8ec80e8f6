"""Scores posted to the LMS over LTI Advantage AGS (utils/hub/lms_sync.py,
``python -m utils lms-sync``), against the test platform (tests/lti_platform.py)
served over HTTPS on loopback, and that platform itself where the hub's test
relies on it (its launches and their id tokens).

The class is one notebook of lab1 whose gradebook rows are written here
directly (no kernel): 6 points graded automatically and 4 by hand.  The
points each student should have are planned below, never read back from the
code under test:

=====  ======================================  ===============================
ana    5 + 3                                   8, posted
bo     6, the 4 hand-graded points pending     waiting for hand grading
cy     2 + 1, 1 point taken for lateness       2, posted
dan    4 + 3                                   7, but never launched
eve    6 + 3                                   9, but launched from another LMS
fay    a notebook that could not be graded     not graded
gus    enrolled, handed in nothing             0, posted
=====  ======================================  ===============================
"""
import dataclasses
import datetime as dt
import html
import re
import shutil
import ssl
import time
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests

from conftest import KIT
from lti_platform import LIS_ROLE, Platform
from tls_ca import make_authority, make_rsa_key
from utils import cli
from utils.course import Course, make_scratch_course
from utils.grader.gradebook import open_gradebook
from utils.grader.outcome import GRADED, NOT_GRADED, Outcome, save_outcomes
from utils.hub import launches, lms_sync, settings as hub_settings

pytestmark = pytest.mark.fast

ASSIGNMENT, NOTEBOOK, CONTEXT, COURSE_ID = "lab1", "01_single_neuron", "course-1", "nn-course"
MAXIMUM = 10.0
#: (automatic points of 6, hand-graded points of 4 or None: not graded yet, late penalty)
GRADES = {"ana": (5, 3, 0.0), "bo": (6, None, 0.0), "cy": (2, 1, 1.0), "dan": (4, 3, 0.0),
          "eve": (6, 3, 0.0)}
#: The points the LMS should get.
EXPECTED = {"ana": 8.0, "cy": 2.0, "gus": 0.0}
BROKEN = "01_single_neuron.ipynb is not valid JSON"
#: Students who launched the hub from the test platform (eve's launch is then
#: recorded as another platform's).
LAUNCHED = ("ana", "bo", "cy", "eve", "fay", "gus")
OTHER_LMS = "https://other-lms.example.org"
SCORE_POSTS = re.compile(r"/ags/.*/lineitems/\d+/scores$")
NO_WAIT = (0, 0)


# -- the class, the platform, the settings ------------------------------------------

@pytest.fixture(scope="module")
def graded_template(tmp_path_factory):
    """A course whose gradebook holds the planned class, written without a kernel."""
    course = make_scratch_course(Course(KIT), tmp_path_factory.mktemp("lms") / "course")
    course.keep_only(ASSIGNMENT, (NOTEBOOK,))
    with open_gradebook(course) as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        gb.add_grade_cell("auto", NOTEBOOK, ASSIGNMENT, max_score=6, cell_type="code")
        gb.add_grade_cell("essay", NOTEBOOK, ASSIGNMENT, max_score=4, cell_type="markdown")
        for student in ("ana", "bo", "cy", "dan", "eve", "gus"):
            gb.add_student(student)
        for student, (auto, by_hand, penalty) in GRADES.items():
            gb.add_submission(ASSIGNMENT, student)
            _set_points(gb, student, auto, by_hand, penalty)
    with open(course.root / "nbgrader_config.py", "a") as config:   # past: gus gets his 0
        config.write(f"\nc.Deadlines.due = {{{ASSIGNMENT!r}: '2026-01-05 23:59'}}\n")
    save_outcomes(course, [Outcome(s, ASSIGNMENT, GRADED) for s in GRADES]
                  + [Outcome("fay", ASSIGNMENT, NOT_GRADED, BROKEN)])
    return course


KEEP = object()


def _set_points(gb, student, auto=KEEP, by_hand=KEEP, penalty=KEEP):
    """Set a student's points (``by_hand=None``: still to grade by hand)."""
    notebook = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
    for grade in notebook.grades:
        if grade.name == "auto" and auto is not KEEP:
            grade.auto_score, grade.needs_manual_grade = auto, False
        elif grade.name == "essay" and by_hand is not KEEP:
            grade.manual_score, grade.needs_manual_grade = by_hand, by_hand is None
    if penalty is not KEEP:
        notebook.late_submission_penalty = penalty
    gb.db.commit()


def regrade(course, student, **points):
    """Change a student's points in the gradebook (as formgrader would)."""
    with open_gradebook(course) as gb:
        _set_points(gb, student, **points)


@pytest.fixture
def course(graded_template, tmp_path):
    """A copy of the planned class, to change freely."""
    shutil.copytree(graded_template.root, tmp_path / "course")
    return Course(tmp_path / "course")


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    return make_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tool_key(tmp_path_factory):
    return make_rsa_key(tmp_path_factory.mktemp("tool") / "tool.pem")


def server_context(authority):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(authority.certificate, authority.key)
    return context


def start_platform(authority, tool_key_text):
    platform = Platform(tool_public_key_pem=tool_key_text, ssl_context=server_context(authority))
    platform.start()
    for student in ("ana", "bo", "cy", "dan", "eve", "fay", "gus"):
        platform.add_user(f"sub-{student}", name=f"{student.title()} Student",
                          email=f"{student}@example.org", lms_user_id=f"lms-{student}")
    return platform


@pytest.fixture
def platform(authority, tool_key):
    platform = start_platform(authority, tool_key.read_text())
    yield platform
    platform.stop()


@pytest.fixture
def browser(authority):
    """What a browser trusts: the test CA (and nothing from the environment)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(authority.ca)
    yield session
    session.close()


TOOL = "https://127.0.0.1:9"          # the tool's address: launches never go there


def launch(platform, browser, sub, context=CONTEXT, nonce="nonce-1"):
    """A launch as the tool drives it: ``(login request, id token)``."""
    login = f"{TOOL}/hub/lti13/oauth_login"
    answer = browser.get(platform.launch_url(sub, f"{TOOL}/hub/", login, context_id=context),
                         allow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(login + "?")
    login_request = dict(parse_qsl(urlsplit(location).query))
    form = browser.get(platform.authorize_url, params=authorize_params(login_request, nonce))
    assert form.status_code == 200, form.text
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'name="(id_token|state)" value="([^"]*)"', form.text)}
    assert f"action='{TOOL}/hub/lti13/oauth_callback'" in form.text
    assert fields["state"] == "state-1"
    return login_request, fields["id_token"]


def authorize_params(login_request, nonce="nonce-1"):
    return {"response_type": "id_token", "scope": "openid", "response_mode": "form_post",
            "prompt": "none", "client_id": login_request["client_id"],
            "redirect_uri": f"{TOOL}/hub/lti13/oauth_callback",
            "login_hint": login_request["login_hint"],
            "lti_message_hint": login_request["lti_message_hint"], "nonce": nonce,
            "state": "state-1"}


def verified(platform, authority, token):
    """The claims of an id token, verified with the key the platform's JWKS serves."""
    keys = jwt.PyJWKClient(platform.jwks_url, cache_jwk_set=False,
                           ssl_context=ssl.create_default_context(cafile=str(authority.ca)))
    return jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                      audience=platform.client_id, issuer=platform.issuer)


def record_launches(course, platform, browser, students=LAUNCHED, context=CONTEXT):
    """Each student launches from the platform; the hub's record is written as it writes it."""
    for student in students:
        _, token = launch(platform, browser, f"sub-{student}", context)
        claims = jwt.decode(token, options={"verify_signature": False})
        link = launches.link_from_launch(student, claims, claims[launches.CUSTOM]["lms_user_id"])
        if student == "eve":
            link = dataclasses.replace(link, issuer=OTHER_LMS)
        launches.save(course.root, link)


@pytest.fixture
def settings_file(course, platform, tool_key, authority, tmp_path):
    (tmp_path / "environment").mkdir()
    path = tmp_path / "hub.toml"
    path.write_text(f"""
[hub]
url = "https://127.0.0.1:8443"
course = "{course.root}"
course_id = "{COURSE_ID}"
exchange = "{tmp_path / 'exchange'}"
environment = "{tmp_path / 'environment'}"
state = "{tmp_path / 'state'}"
ca_bundle = "{authority.ca}"

[lti]
issuer = "{platform.issuer}"
client_id = "{platform.client_id}"
deployment_ids = ["{platform.deployment_id}"]
authorize_url = "{platform.authorize_url}"
jwks_url = "{platform.jwks_url}"
token_url = "{platform.token_url}"
tool_key = "{tool_key}"
""")
    return path


@pytest.fixture
def settings(settings_file):
    return hub_settings.load(settings_file)


def by_student(report):
    return {c.student: c for c in report.changes}


def score_posts(platform):
    return [r for r in platform.request_log if r[0] == "POST" and SCORE_POSTS.search(r[1])]


# -- posting -----------------------------------------------------------------------

def test_the_first_sync_creates_the_line_item_and_posts_every_graded_student(
        course, platform, browser, settings):
    record_launches(course, platform, browser)
    before = time.time()
    report = lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT)
    changes = by_student(report)
    assert {s: c.kind for s, c in changes.items()} == {
        "ana": "posted", "cy": "posted", "gus": "posted", "bo": "waiting for hand grading",
        "dan": "not postable", "eve": "not postable", "fay": "not graded"}
    assert report.created and not report.would_create and not report.ok
    [item] = platform.line_items(CONTEXT)
    assert (item["label"], item["resourceId"], item["tag"], item["scoreMaximum"]) == \
        (ASSIGNMENT, ASSIGNMENT, COURSE_ID, MAXIMUM)
    assert report.lineitem == item["id"]
    scores = platform.scores(CONTEXT)
    assert {sub: s["scoreGiven"] for (_, sub), s in scores.items()} == \
        {f"sub-{s}": points for s, points in EXPECTED.items()}
    for score in scores.values():
        assert (score["scoreMaximum"], score["activityProgress"], score["gradingProgress"]) == \
            (MAXIMUM, "Completed", "FullyGraded")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", score["timestamp"])
        posted = dt.datetime.fromisoformat(score["timestamp"]).timestamp()
        assert before - 1 <= posted <= time.time() + 1
    assert changes["ana"].old is None and changes["ana"].new == 8.0
    assert changes["gus"].reason == "nothing handed in"
    assert changes["dan"].reason == "never launched from the LMS"
    assert OTHER_LMS in changes["eve"].reason and platform.issuer in changes["eve"].reason
    assert changes["fay"].reason == BROKEN
    assert changes["bo"].reason == "4 point(s) still to grade by hand"


def test_a_second_sync_posts_nothing_and_a_changed_score_is_posted_again(
        course, platform, browser, settings):
    record_launches(course, platform, browser)
    lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT)
    posted = len(score_posts(platform))
    assert posted == len(EXPECTED)

    again = lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT)
    assert [c.student for c in again.of_kind("unchanged")] == sorted(EXPECTED)
    assert not again.of_kind("posted") and not again.created
    assert len(score_posts(platform)) == posted
    assert len(platform.line_items(CONTEXT)) == 1

    regrade(course, "ana", by_hand=4)                   # formgrader gave one more point
    third = by_student(lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT))
    assert (third["ana"].kind, third["ana"].old, third["ana"].new) == ("posted", 8.0, 9.0)
    assert third["cy"].kind == third["gus"].kind == "unchanged"
    assert len(score_posts(platform)) == posted + 1
    assert platform.scores(CONTEXT)[(ASSIGNMENT, "sub-ana")]["scoreGiven"] == 9.0


def test_a_dry_run_changes_nothing_and_says_old_and_new(course, platform, browser, settings):
    record_launches(course, platform, browser)
    first = lms_sync.sync(course, ASSIGNMENT, settings, dry_run=True, retry_wait=NO_WAIT)
    assert first.would_create and not first.created and first.lineitem == ""
    assert first.lineitems == platform.lineitems_url(CONTEXT)
    assert {c.student: (c.old, c.new) for c in first.of_kind("would post")} == \
        {s: (None, p) for s, p in EXPECTED.items()}
    assert platform.line_items(CONTEXT) == [] and score_posts(platform) == []

    lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT)
    regrade(course, "cy", auto=4)
    posts = len(score_posts(platform))
    dry = by_student(lms_sync.sync(course, ASSIGNMENT, settings, dry_run=True,
                                   retry_wait=NO_WAIT))
    assert (dry["cy"].kind, dry["cy"].old, dry["cy"].new) == ("would post", 2.0, 4.0)
    assert dry["ana"].kind == "unchanged"
    assert len(score_posts(platform)) == posts
    assert platform.scores(CONTEXT)[(ASSIGNMENT, "sub-cy")]["scoreGiven"] == 2.0


def test_points_waiting_for_hand_grading_are_posted_only_when_asked(
        course, platform, browser, settings):
    record_launches(course, platform, browser)
    report = by_student(lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT))
    assert report["bo"].kind == "waiting for hand grading"
    assert (ASSIGNMENT, "sub-bo") not in platform.scores(CONTEXT)

    report = by_student(lms_sync.sync(course, ASSIGNMENT, settings, include_pending=True,
                                      retry_wait=NO_WAIT))
    assert (report["bo"].kind, report["bo"].new, report["bo"].pending) == ("posted", 6.0, True)
    bo = platform.scores(CONTEXT)[(ASSIGNMENT, "sub-bo")]
    assert (bo["scoreGiven"], bo["gradingProgress"]) == (6.0, "PendingManual")
    assert platform.scores(CONTEXT)[(ASSIGNMENT, "sub-ana")]["gradingProgress"] == "FullyGraded"

    regrade(course, "bo", by_hand=2)                    # graded by hand: 8, fully graded
    lti = dataclasses.replace(settings.lti, post_pending=True)
    report = by_student(lms_sync.sync(course, ASSIGNMENT,
                                      dataclasses.replace(settings, lti=lti), retry_wait=NO_WAIT))
    assert (report["bo"].kind, report["bo"].new, report["bo"].pending) == ("posted", 8.0, False)
    bo = platform.scores(CONTEXT)[(ASSIGNMENT, "sub-bo")]
    assert (bo["scoreGiven"], bo["gradingProgress"]) == (8.0, "FullyGraded")


def test_students_who_cannot_be_posted_are_named_and_the_others_posted(
        course, platform, browser, settings):
    record_launches(course, platform, browser)
    record_launches(course, platform, browser, students=("cy",), context="course-2")
    bo = launches.load(course.root).links["bo"]
    launches.save(course.root, dataclasses.replace(bo, deployment_id="deployment-9"))
    report = by_student(lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT))
    assert report["dan"].reason == "never launched from the LMS"
    assert "another platform" in report["eve"].reason
    # ana and gus launched from course-1, cy alone from course-2
    assert (report["cy"].kind, "course-2" in report["cy"].reason) == ("not postable", True)
    assert (report["bo"].kind, "deployment-9" in report["bo"].reason) == ("not postable", True)
    assert report["ana"].kind == report["gus"].kind == "posted"
    assert set(platform.scores(CONTEXT)) == {(ASSIGNMENT, "sub-ana"), (ASSIGNMENT, "sub-gus")}
    assert platform.scores("course-2") == {}


# -- failures ---------------------------------------------------------------------

def test_a_failed_score_is_tried_again_and_a_lasting_failure_is_one_line(
        course, platform, browser, settings, monkeypatch):
    record_launches(course, platform, browser)
    waits = []
    monkeypatch.setattr(lms_sync.time, "sleep", waits.append)
    platform.fail_next(1, status=500, only="/scores")   # ana's first post
    report = by_student(lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=(0.25, 0.5)))
    assert {s: report[s].kind for s in EXPECTED} == dict.fromkeys(EXPECTED, "posted")
    assert waits == [0.25]
    assert [status for _, _, status in score_posts(platform)] == [500, 201, 201, 201]

    regrade(course, "ana", auto=6)
    regrade(course, "cy", auto=6)
    waits.clear()
    platform.fail_next(3, status=503, only="/scores")   # ana's post fails every time
    report = by_student(lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=(0.25, 0.5)))
    assert report["ana"].kind == "failed"
    assert report["ana"].reason == "not posted: the LMS answered 503 three times"
    assert cli._sync_line(report["ana"]) == "ana: not posted: the LMS answered 503 three times"
    assert waits == [0.25, 0.5]
    assert (report["cy"].kind, report["gus"].kind) == ("posted", "unchanged")
    scores = platform.scores(CONTEXT)
    assert scores[(ASSIGNMENT, "sub-ana")]["scoreGiven"] == 8.0       # as before
    assert scores[(ASSIGNMENT, "sub-cy")]["scoreGiven"] == 6 + 1 - 1.0


def test_an_unreachable_lms_fails_every_student_without_stopping(
        course, platform, browser, settings):
    record_launches(course, platform, browser)
    platform.stop()
    report = lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT)
    failed = report.of_kind("failed")
    assert [c.student for c in failed] == sorted(EXPECTED)
    assert all("could not be reached" in c.reason and "three times" in c.reason
               for c in failed), failed
    assert not report.ok


def test_a_tool_key_the_platform_does_not_know_is_one_clear_error(
        course, platform, browser, settings, settings_file, tmp_path, capsys):
    record_launches(course, platform, browser)
    platform.tool_public_key_pem = make_rsa_key(tmp_path / "stranger.pem").read_text()
    with pytest.raises(lms_sync.LmsSyncError) as raised:
        lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT)
    message = str(raised.value)
    assert "refused the tool an access token (401" in message and "\n" not in message
    assert platform.client_id in message
    assert platform.line_items(CONTEXT) == []
    assert cli.main(["lms-sync", ASSIGNMENT, "--settings", str(settings_file)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: the LMS refused the tool an access token")
    assert err.count("\n") == 1 and "Traceback" not in err


# -- the command line ----------------------------------------------------------------

def test_the_command_line_prints_a_line_per_student_and_exits_by_what_happened(
        course, platform, browser, settings_file, tmp_path, capsys):
    missing = tmp_path / "nowhere.toml"
    assert cli.main(["lms-sync", ASSIGNMENT, "--settings", str(missing)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err == f"error: no hub settings at {missing} (set $NN_KIT_HUB to the file, see " \
                  "utils/hub/hub.example.toml)\n"

    record_launches(course, platform, browser)
    args = ["lms-sync", ASSIGNMENT, "--settings", str(settings_file)]
    assert cli.main(args + ["--dry-run"]) == cli.EXIT_NOT_GRADED       # dan and eve
    out = capsys.readouterr().out.splitlines()
    assert "ana: would post none -> 8/10" in out
    assert "dan: not postable: never launched from the LMS" in out
    assert f"fay: not graded: {BROKEN}" in out
    assert "bo: waiting for hand grading: 4 point(s) still to grade by hand " \
           "(--include-pending posts 6/10 as PendingManual)" in out
    assert f"The line item {ASSIGNMENT} would be created in {platform.lineitems_url()}." in out
    assert out[-1].endswith("(dry run: nothing was changed in the LMS)")
    assert platform.line_items(CONTEXT) == []

    launches.save(course.root, dataclasses.replace(launches.load(course.root).links["eve"],
                                                   issuer=platform.issuer))
    record_launches(course, platform, browser, students=("dan",))
    assert cli.main(args) == cli.EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert "ana: posted 8/10 (was none)" in out and "dan: posted 7/10 (was none)" in out
    assert "gus: posted 0/10 (was none); nothing handed in" in out
    assert out[-1] == (f"{ASSIGNMENT}: 5 posted, 1 not graded, 1 waiting for hand grading")

    assert cli.main(args) == cli.EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert "eve: unchanged 9/10" in out
    assert out[-1] == f"{ASSIGNMENT}: 5 unchanged, 1 not graded, 1 waiting for hand grading"


# -- the platform the hub's test launches from -----------------------------------------

def test_a_launch_carries_what_the_tool_needs_signed_with_the_key_of_the_jwks(
        platform, browser, authority):
    login_request, token = launch(platform, browser, "sub-ana", nonce="n-123")
    assert login_request["iss"] == platform.issuer
    assert (login_request["login_hint"], login_request["client_id"],
            login_request["lti_deployment_id"], login_request["target_link_uri"]) == \
        ("sub-ana", platform.client_id, platform.deployment_id, f"{TOOL}/hub/")
    claims = verified(platform, authority, token)
    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    assert (claims["sub"], claims["nonce"], claims["azp"], claims["name"], claims["email"]) == \
        ("sub-ana", "n-123", platform.client_id, "Ana Student", "ana@example.org")
    assert claims[lti + "message_type"] == "LtiResourceLinkRequest"
    assert claims[lti + "version"] == "1.3.0"
    assert claims[lti + "deployment_id"] == platform.deployment_id
    assert claims[lti + "target_link_uri"] == f"{TOOL}/hub/"
    assert claims[lti + "roles"] == [LIS_ROLE + "Learner"]
    assert claims[lti + "resource_link"]["id"]
    assert claims[lti + "context"]["id"] == CONTEXT and claims[lti + "context"]["title"]
    assert claims[lti + "custom"] == {"lms_user_id": "lms-ana"}
    ags = claims[launches.AGS]
    assert ags["lineitems"] == platform.lineitems_url(CONTEXT)
    assert set(ags["scope"]) == {lms_sync.SCOPE + s for s in ("lineitem", "result.readonly",
                                                              "score")}
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert jwt.get_unverified_header(token)["kid"] == browser.get(platform.jwks_url).json()[
        "keys"][0]["kid"]
    assert platform.last_id_token == token
    page = platform.replay_form_html()
    assert html.escape(token) in page and f"action='{TOOL}/hub/lti13/oauth_callback'" in page
    assert 'name="state" value="state-1"' in page


def test_tamper_changes_the_next_launch_only(platform, browser, authority):
    platform.add_user("sub-ida", name="Ida", roles=["Instructor"])
    platform.tamper(aud="someone-else", deployment_id="unknown")
    _, token = launch(platform, browser, "sub-ida")
    with pytest.raises(jwt.InvalidAudienceError):
        verified(platform, authority, token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "unknown"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/roles"] == [LIS_ROLE + "Instructor"]

    platform.tamper(exp_offset=-3600)
    _, token = launch(platform, browser, "sub-ida")
    with pytest.raises(jwt.ExpiredSignatureError):
        verified(platform, authority, token)

    platform.tamper(sign_with_other_key=True)
    _, token = launch(platform, browser, "sub-ida")
    with pytest.raises(jwt.InvalidSignatureError):
        verified(platform, authority, token)

    _, token = launch(platform, browser, "sub-ida")
    assert verified(platform, authority, token)["aud"] == platform.client_id


def access_token(platform, browser, tool_key, scopes, **changes):
    """The token endpoint's answer to a client assertion signed with ``tool_key``."""
    now = int(time.time())
    claims = {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.token_url,
              "iat": now, "exp": now + 60, "jti": f"jti-{time.monotonic_ns()}", **changes}
    assertion = jwt.encode(claims, tool_key.read_text(), algorithm="RS256")
    return browser.post(platform.token_url, data={
        "grant_type": "client_credentials", "scope": " ".join(scopes),
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})


def test_the_platform_refuses_what_is_not_asked_right(platform, browser, tool_key):
    login = f"{TOOL}/hub/lti13/oauth_login"
    answer = browser.get(platform.launch_url("sub-ana", f"{TOOL}/hub/", login),
                         allow_redirects=False)
    request = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    for change, why in (({"client_id": "someone"}, "unknown client_id"),
                        ({"login_hint": "sub-bo"}, "no launch of this user"),
                        ({"redirect_uri": "https://evil.example.org/cb"}, "is not the tool's"),
                        ({"response_mode": "query"}, "response_mode must be form_post")):
        refused = browser.get(platform.authorize_url,
                              params={**authorize_params(request), **change})
        assert (refused.status_code, why in refused.text) == (400, True), refused.text
    assert browser.get(platform.authorize_url, params=authorize_params(request)).ok
    again = browser.get(platform.authorize_url, params=authorize_params(request))
    assert again.status_code == 400                     # a launch is used once

    score, everything = [lms_sync.SCOPE + "score"], list(lms_sync.SCOPES)
    assert access_token(platform, browser, tool_key, score, aud="elsewhere").status_code == 401
    assert access_token(platform, browser, tool_key, score, iss="other").status_code == 401
    assert access_token(platform, browser, tool_key, ["openid"]).status_code == 400
    answer = access_token(platform, browser, tool_key, score + ["https://example.org/x"])
    assert answer.json()["scope"] == score[0] and answer.json()["token_type"] == "bearer"
    token = answer.json()["access_token"]
    container = platform.lineitems_url()
    assert browser.get(container).status_code == 401
    assert browser.get(container, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    lacking = browser.get(container, headers=bearer)
    assert (lacking.status_code, "lacks the scope" in lacking.text) == (403, True)
    token = access_token(platform, browser, tool_key, everything).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}",
              "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}
    assert browser.post(container, data="{", headers=bearer).status_code == 400
    assert browser.post(container, data='{"label": "x", "scoreMaximum": 0}',
                        headers=bearer).status_code == 400
    assert browser.post(container, data='{"label": "x", "scoreMaximum": 5}',
                        headers={**bearer, "Content-Type": "application/json"}).status_code == 415
    made = browser.post(container, data='{"label": "x", "scoreMaximum": 5}', headers=bearer)
    assert made.status_code == 201
    assert made.headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitem+json"
    listed = browser.get(container, headers=bearer)
    assert listed.headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    assert [i["label"] for i in listed.json()] == ["x"]

    scores = {**bearer, "Content-Type": "application/vnd.ims.lis.v1.score+json"}
    def post_score(given, when):
        return browser.post(made.json()["id"] + "/scores", headers=scores, json={
            "userId": "sub-ana", "scoreGiven": given, "scoreMaximum": 10, "timestamp": when,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded"})
    assert post_score(4, "2026-05-01T10:00:00.000Z").status_code == 201
    older = post_score(9, "2026-05-01T09:59:59.999Z")
    assert (older.status_code, "older" in older.text) == (409, True)
    assert post_score(-1, "2026-05-01T11:00:00.000Z").status_code == 400
    results = browser.get(made.json()["id"] + "/results", headers=bearer)
    assert results.headers["Content-Type"] == "application/vnd.ims.lis.v2.resultcontainer+json"
    assert [(r["userId"], r["resultScore"], r["resultMaximum"]) for r in results.json()] == \
        [("sub-ana", 4 * 5 / 10, 5)]                    # shown on the line item's scale
    platform.expire_tokens()
    assert browser.get(container, headers=bearer).status_code == 401


@pytest.mark.parametrize("due, expected", [
    ("2999-01-05 23:59", "nothing handed in yet (a 0 is posted after the deadline, 2999-01-05 23:59"),
    (None, "the assignment has no due date, so no 0 is posted"),
])
def test_no_zero_is_posted_before_the_deadline(course, settings, platform, browser, due,
                                               expected):
    """A student who handed in nothing gets a 0 in the LMS only once the
    deadline has passed: before it (or with none) the sync says why not."""
    config = course.root / "nbgrader_config.py"
    text = config.read_text().replace("'2026-01-05 23:59'", repr(due)) if due else \
        config.read_text().replace("c.Deadlines.due", "# c.Deadlines.due")
    config.write_text(text)
    record_launches(course, platform, browser)
    report = by_student(lms_sync.sync(course, ASSIGNMENT, settings, retry_wait=NO_WAIT))
    assert report["gus"].kind == "not graded"
    assert expected in report["gus"].reason, report["gus"].reason
    assert report["ana"].kind == "posted"
    assert (ASSIGNMENT, "sub-gus") not in platform.scores(CONTEXT)
