"""The course on a real JupyterHub, launched from an LTI 1.3 platform, grades sent back.

The test makes three users of the machine (two students, one instructor), a
course folder of the instructor's released to an exchange, a CA, and starts
JupyterHub with ``utils/hub/jupyterhub_config.py`` as ``make hub`` does: its
Node.js proxy serving HTTPS on loopback, users' servers spawned as
themselves from the shared environment, the grading service managed by the
hub.  An LTI 1.3 platform built on the third-party ``lti1p3platform``
(``tests/lti_platform.py``, on another host name: a cross-site launch)
launches everyone; Playwright drives Debian's Chromium, which trusts the
test's CA only.

- A student launched from the platform lands in JupyterLab, fetches lab1 in
  the Assignments tab, writes one exercise, submits, and reads the verdict
  of the grading service on the page *Fetch Feedback* brings.
- The instructor, launched with an instructor's role, opens formgrader (its
  iframe renders) and the class report; ``lms-sync`` posts the grades to
  the platform's gradebook through AGS, which the browser shows.
- Bad launches (another audience, expired, replayed, an unknown deployment,
  someone not on the roster, an unlisted instructor) get a clear page and no
  account.
"""
import os
import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

import hub_course as hc

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("useradd")
    or not shutil.which("npm") or not os.path.exists("/usr/bin/chromium"),
    reason="needs root (users of the machine), runuser/useradd, npm and Debian's chromium")

sync_api = pytest.importorskip("playwright.sync_api")
from test_browser import CHROMIUM, CHROMIUM_FLAGS, awaiting, shot  # noqa: E402

#: The one setting for every wait here (see test_browser.PATIENCE).
PATIENCE = 300
RELU = "def relu(Z):\n    return np.maximum(0, Z)\n"
ANA, BEN = list(hc.STUDENTS)
CONTEXT = "course-1"


def grade_id_index(notebook, grade_id):
    for index, cell in enumerate(notebook.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise AssertionError(f"no cell {grade_id}")


# -- the student's steps in JupyterLab ------------------------------------------------
def open_assignments(page):
    """The Assignments tab (Nbgrader > Assignment List)."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    with awaiting(page, "the Assignments tab"):
        page.locator("#released_assignments_list, #fetched_assignments_list").first.wait_for()


def fetch_and_write(page, user, hub):
    """Fetch lab1, open its notebook, write relu, save."""
    open_assignments(page)
    released = page.locator("#released_assignments_list .list_item", has_text="lab1")
    with awaiting(page, "lab1 among the released assignments"):
        released.get_by_role("button", name="Fetch").click()
        page.locator("#fetched_assignments_list .list_item", has_text="lab1").first.wait_for()
    notebook_path = f"{hc.COURSE_ID}/{hc.ASSIGNMENT}/{hc.NOTEBOOK}.ipynb"
    page.goto(f"{hub.url}/user/{user}/lab/tree/{notebook_path}")
    with awaiting(page, f"the cells of {notebook_path}"):
        page.wait_for_selector(".jp-Notebook .jp-Cell")
    fetched = nbformat.read(str(hub.homes[user] / notebook_path), as_version=4)
    index = grade_id_index(fetched, "relu")
    editor = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell") \
        .nth(index).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(RELU)
    page.keyboard.press("Control+S")
    wait_for(lambda: nbformat.read(str(hub.homes[user] / notebook_path), as_version=4)
             .cells[index].source.strip() == RELU.strip(), "the notebook to be saved", hub)


def submit(page):
    open_assignments(page)
    row = page.locator("#fetched_assignments_list .list_item", has_text="lab1").first
    with awaiting(page, "the submission in the submitted list"):
        row.get_by_role("button", name="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text="lab1").first.wait_for()


def graded(hub, user):
    """Whether the grading service has graded ``user``'s submission."""
    path = hub.course / "service" / "queue.sqlite"
    if not path.exists():
        return False
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        states = [r[0] for r in db.execute("SELECT state FROM submissions WHERE student = ?",
                                           (user,))]
    return "graded" in states


def wait_for(condition, what, hub):
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {PATIENCE} s for {what}\n" + hub.log_tail())
        time.sleep(1)


# -- the hub, the platform, the browser -----------------------------------------------
SUBS = {ANA: "c9a1-ana", BEN: "c9a1-ben", hc.INSTRUCTOR: "c9a1-teach"}


@pytest.fixture(scope="module")
def lti_hub():
    """The course hub with LTI login, and the platform its users come from."""
    from lti_platform import Platform
    base = Path(tempfile.mkdtemp(prefix="nn-kit-hub-"))
    try:
        hub = hc.prepare(base)
        platform = Platform(tool_jwks_url=f"{hub.url}/hub/lti13/jwks", host="localhost",
                            ssl_context=server_context(hub), ca_bundle=str(hub.authority.ca),
                            deployment_id="deployment-1", client_id="nn-kit-tool")
        with platform:
            for user, lms_id in hc.STUDENTS.items():
                platform.add_user(SUBS[user], name=user[6:].title(), email=f"{user}@example.edu",
                                  lms_user_id=lms_id)
            platform.add_user(SUBS[hc.INSTRUCTOR], name="Teach", lms_user_id=hc.INSTRUCTOR_LMS_ID,
                              roles=("Instructor",))
            platform.add_user("c9a1-zed", name="Zed", lms_user_id="1999")
            platform.add_user("c9a1-mallory", name="Mallory", lms_user_id="3000",
                              roles=("Instructor",))
            hc.write_settings(hub, lti=f"""issuer = "{platform.issuer}"
client_id = "nn-kit-tool"
deployment_ids = ["deployment-1"]
authorize_url = "{platform.authorize_url}"
jwks_url = "{platform.jwks_url}"
token_url = "{platform.token_url}"
tool_key = "{hub.tool_key}"
""")
            with hc.running(hub):
                yield hub, platform
    finally:
        hc.cleanup(base)


def server_context(hub):
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(hub.authority.certificate), str(hub.authority.key))
    return context


def spki_hash(certificate):
    """What Chromium's --ignore-certificate-errors-spki-list takes: the
    base64 SHA-256 of the certificate's public key (it trusts that key only)."""
    import base64
    import hashlib
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    key = x509.load_pem_x509_certificate(certificate.read_bytes()).public_key()
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture(scope="module")
def browser(lti_hub):
    hub, _ = lti_hub
    trust = f"--ignore-certificate-errors-spki-list={spki_hash(hub.authority.certificate)}"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=[*CHROMIUM_FLAGS, trust])
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(PATIENCE * 1000)
    return context.new_page()


def launch(page, hub, platform, sub, target="/hub/"):
    """Open the platform's launch of ``sub`` into the hub, as a student clicks
    the assignment's link in the LMS."""
    page.goto(platform.launch_url(sub, hub.url + target, hub.url + "/hub/lti13/oauth_login"))


def refusal_text(page):
    with awaiting(page, "the hub's page"):
        page.wait_for_selector(".error, #error-message, h1")
    return page.inner_text("body")


def test_a_student_launched_from_the_lms_hands_in_and_reads_the_verdict(lti_hub, browser):
    hub, platform = lti_hub
    page = new_page(browser)
    launch(page, hub, platform, SUBS[ANA])
    with awaiting(page, "JupyterLab after the launch"):
        page.wait_for_selector(".jp-LabShell")
    assert page.url.startswith(f"{hub.url}/user/{ANA}/lab"), page.url
    fetch_and_write(page, ANA, hub)
    submit(page)
    wait_for(lambda: graded(hub, ANA), "the grading service to grade the submission", hub)
    open_assignments(page)
    row = page.locator("#submitted_assignments_list .list_item", has_text="lab1").first
    with awaiting(page, "Fetch Feedback"):
        page.locator("#refresh_assignments_list").click()
        row.get_by_role("button", name="Fetch Feedback").click()
        page.locator("#submitted_assignments_list", has_text="view feedback").wait_for()
    pages = sorted((hub.homes[ANA] / hc.COURSE_ID / hc.ASSIGNMENT / "feedback")
                   .glob(f"*/{hc.NOTEBOOK}.html"))
    assert pages, "no feedback fetched"
    relative = pages[-1].relative_to(hub.homes[ANA])
    page.goto(f"{hub.url}/user/{ANA}/files/{relative}")
    text = page.inner_text("body")
    shot(page, "hub-student-feedback")
    assert re.search(r"test_relu\s+passed", text), text[:2000]
    assert re.search(r"test_neurons_values\s+failed", text), text[:2000]


def test_the_instructor_opens_formgrader_and_the_report_and_grades_reach_the_lms(lti_hub,
                                                                                 browser):
    hub, platform = lti_hub
    wait_for(lambda: graded(hub, ANA), "ana's submission to be graded", hub)
    page = new_page(browser)
    launch(page, hub, platform, SUBS[hc.INSTRUCTOR])
    with awaiting(page, "the instructor's JupyterLab"):
        page.wait_for_selector(".jp-LabShell")
    assert page.url.startswith(f"{hub.url}/user/{hc.INSTRUCTOR}/lab"), page.url
    # formgrader, in its iframe (JupyterHub 4.1 and later forbid it unless told)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
    frame = page.frame_locator("iframe[src*='formgrader']")
    with awaiting(page, "formgrader's list of assignments in its iframe"):
        frame.locator("text=lab1").first.wait_for()
    assert "Manage Assignments" in frame.locator("body").inner_text()
    shot(page, "hub-formgrader")
    # the class report the grading service keeps up to date
    wait_for(lambda: (hub.course / "reports" / "lab1.html").exists(), "the class report", hub)
    page.goto(f"{hub.url}/user/{hc.INSTRUCTOR}/files/reports/lab1.html")
    assert ANA in page.inner_text("body")
    # ben hands in the blank release from a terminal on the machine, never
    # through the LMS: graded, but the LMS cannot be told (AGS knows him not)
    student_env = {"JUPYTER_CONFIG_PATH": str(hub.base / "state" / "jupyter" / "student")}
    for step in ("fetch_assignment", "submit"):
        hc.run_as(BEN, hub.homes[BEN], [hc.SHARED_BIN / "nbgrader", step, hc.ASSIGNMENT],
                  cwd=hub.homes[BEN], extra_env=student_env)
    wait_for(lambda: graded(hub, BEN), "ben's submission to be graded", hub)
    # grades back: ana launched and was graded, ben never launched
    done = hub.as_instructor(hc.SHARED_BIN / "python", "-m", "utils", "lms-sync",
                             hc.ASSIGNMENT, check=False)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said                     # ben cannot be posted
    assert re.search(rf"{ANA}: posted", said), said
    assert re.search(rf"{BEN}: not postable: never launched", said), said
    points = float(re.search(r"(\d+(?:\.\d+)?) of (\d+) points", hub_page_text(hub)).group(1))
    posted = platform.scores(CONTEXT)[(hc.ASSIGNMENT, SUBS[ANA])]
    assert posted["scoreGiven"] == pytest.approx(points)
    assert posted["gradingProgress"] == "FullyGraded"
    page.goto(platform.gradebook_url(CONTEXT))
    shot(page, "hub-lms-gradebook")
    row = page.locator("#gradebook tr", has_text="Ana")
    assert re.search(rf"{points:g}\s*/\s*11", row.inner_text()), row.inner_text()
    again = hub.as_instructor(hc.SHARED_BIN / "python", "-m", "utils", "lms-sync",
                              hc.ASSIGNMENT, check=False)
    assert re.search(rf"{ANA}: unchanged", again.stdout), again.stdout


def hub_page_text(hub):
    """The text of ana's live page (its points: what the LMS must show)."""
    page = sorted((hub.homes[ANA] / hc.COURSE_ID / hc.ASSIGNMENT / "feedback")
                  .glob(f"*/{hc.NOTEBOOK}.html"))[-1]
    return re.sub(r"<[^>]+>", " ", page.read_text())


@pytest.mark.parametrize("who, tamper, expected", [
    ("c9a1-ben", {"aud": "another-tool"}, "made for another tool"),
    ("c9a1-ben", {"exp_offset": -3600}, "has expired"),
    ("c9a1-ben", {"iat_offset": -3600, "exp_offset": 3600}, "issued too long ago"),
    ("c9a1-ben", {"deployment_id": "deployment-9"}, "not registered"),
    ("c9a1-ben", {"sign_with_other_key": True}, "not signed with the LMS's key"),
    ("c9a1-zed", {}, "not on this course's class list"),
    ("c9a1-mallory", {}, "lists no instructor"),
])
def test_a_bad_launch_gets_a_clear_page_and_no_account(lti_hub, browser, who, tamper, expected):
    hub, platform = lti_hub
    page = new_page(browser)
    platform.tamper(**tamper)
    launch(page, hub, platform, who, target="/hub/home")
    text = refusal_text(page)
    assert expected in text, text[:1500]
    assert "Traceback" not in text
    assert who not in {l.sub for l in launches_of(hub)}
    assert hub_users(hub) <= {ANA, hc.INSTRUCTOR}


def test_a_replayed_launch_is_refused(lti_hub, browser):
    hub, platform = lti_hub
    page = new_page(browser)
    launch(page, hub, platform, SUBS[ANA], target="/hub/home")
    with awaiting(page, "the hub's home page"):
        page.wait_for_url(f"{hub.url}/hub/home")
    page.set_content(platform.replay_form_html())
    text = refusal_text(page)
    assert "already used" in text, text[:1500]


def launches_of(hub):
    from utils.hub import launches
    return list(launches.load(hub.course).links.values())


def hub_users(hub):
    with sqlite3.connect(f"file:{hub.base / 'state' / 'jupyterhub.sqlite'}?mode=ro",
                         uri=True) as db:
        return {row[0] for row in db.execute("SELECT name FROM users")}
