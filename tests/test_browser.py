"""Each role in a real JupyterLab, driven in Debian's Chromium through Playwright.

- The instructor opens a source notebook in JupyterLab in the course folder:
  it runs on the environment's ordinary ``python3`` kernel (grading alone uses
  the sandbox's) and saving it keeps its kernel metadata; formgrader loads.
- A student opens a released notebook, fills in an exercise, runs it and its
  check, presses Validate and reads the result; Run All on an untouched
  notebook runs to the end with one line per exercise still to write.
- The lecture site and its slides render their equations and plots offline,
  and a deck keeps up with a lecturer pressing keys faster than MathJax
  typesets: → and ← visit every slide, no equation fails or is drawn twice,
  no code is wider than its slide.

Screenshots land in ``build/screenshots/`` (the README shows some of them).
Every server and browser here is started by the test and stopped after it.
"""
import contextlib
import itertools
import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import jupyter_app
from utils.course import KIT_ROOT, Course, make_scratch_course

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = KIT_ROOT / "build" / "screenshots"
#: Seconds any one wait (a page, a kernel, a cell, a dialog, MathJax) may take
#: before the test fails; the one setting for every wait here.  Sized for a
#: loaded 2-core machine with the whole test suite running beside the browser:
#: there JupyterLab, a kernel or Validate have taken more than 90 s.  Waits
#: poll for what they wait for, so a fast machine never waits this long.
PATIENCE = 240
#: Flags for a headless Chromium on a machine with no display and no outside
#: network: without the background-networking ones it keeps calling home.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright is not installed (make test installs requirements-browser.txt)")
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (make test installs it when run as root)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(PATIENCE * 1000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@contextlib.contextmanager
def awaiting(page, what):
    """Turn a wait of ``page`` that runs out into one clear failure: which
    page, what was awaited and for how long, instead of a bare TimeoutError."""
    started = time.monotonic()
    try:
        yield
    except sync_api.TimeoutError:
        raise AssertionError(f"waited {time.monotonic() - started:.0f} s (PATIENCE is "
                             f"{PATIENCE} s) for {what}, on {page.url}") from None


def wait_until(page, script, what, arg=None):
    """Poll ``script`` (JavaScript, given ``arg``) in ``page`` until it is true."""
    with awaiting(page, what):
        page.wait_for_function(script, arg=arg, polling=250)


@contextlib.contextmanager
def jupyter_lab(folder, scratch, config_dir=None):
    """Start JupyterLab in ``folder`` the way a user does; yield its address.

    Its settings and workspaces live in ``scratch`` (no news pop-up, nothing
    remembered between tests); ``config_dir`` is a student's Jupyter config.
    """
    settings = Path(scratch) / "lab-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Every cell in the page, not only those scrolled into view, so the test
    # can read what each cell shows.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(Path(scratch) / "lab-workspaces")}
    if config_dir:
        env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    token = "browser-test"
    with jupyter_app("lab", folder, Path(scratch) / "jupyter-lab.log", env, token,
                     PATIENCE) as base:
        yield Lab(base, token)


class Lab:
    """A running JupyterLab: its address, and requests to its REST API."""

    def __init__(self, base, token):
        self.base, self.token = base, token

    def url(self, path):
        joiner = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{joiner}token={self.token}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=10) as answer:
            return json.load(answer)


def shot(page, name):
    """Save a screenshot of ``page`` as build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


_WORKSPACES = itertools.count()


def open_notebook(page, lab, path):
    """Open ``path`` in JupyterLab and wait until it is the tab on show, idle.

    Each call opens a workspace of its own: JupyterLab otherwise restores
    the tabs an earlier test left open, and for a moment the notebook on
    show (the one the Run menu acts on) may be that earlier one.
    """
    page.goto(lab.url(f"lab/workspaces/test-{next(_WORKSPACES)}/tree/{path}"))
    with awaiting(page, f"the cells of {path}"):
        page.wait_for_selector(".jp-Notebook .jp-Cell")
    wait_until(
        page, """(file) => {
            const panels = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const tab = document.querySelector('.lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel');
            if (panels.length !== 1 || !tab || tab.textContent.trim() !== file) return false;
            const name = panels[0].querySelector('.jp-KernelName');
            const state = panels[0].querySelector('.jp-Notebook-ExecutionIndicator');
            return name && !/No Kernel/.test(name.textContent)
                && state && state.getAttribute('data-status') === 'idle';
        }""", f"{path} on show with an idle kernel", arg=path.rsplit("/", 1)[-1])


def cell(page, index):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)


def run_cell(page, index):
    """Select cell ``index``, run it (Shift+Enter) and wait for its result."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    target.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    with awaiting(page, f"cell {index} to finish running"):
        target.locator(".jp-InputPrompt").filter(has_text="[").filter(
            has_not_text="*").filter(has_not_text="[ ]").wait_for()
    return target


def type_into_cell(page, index, code):
    """Replace the code of cell ``index`` by ``code``, as a student pastes it."""
    editor = cell(page, index).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)


def grade_id_index(path, grade_id):
    """The index of the cell with ``grade_id`` in the notebook at ``path``."""
    nb = nbformat.read(str(path), as_version=4)
    for index, item in enumerate(nb.cells):
        if item.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise AssertionError(f"{path} has no cell {grade_id}")


# -- the instructor ------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_scratch_course(Course(KIT_ROOT), tmp_path_factory.mktemp("browser") / "course")


@pytest.fixture(scope="module")
def instructor_lab(course, tmp_path_factory):
    """JupyterLab started in the course folder, as an instructor starts it."""
    with jupyter_lab(course.root, tmp_path_factory.mktemp("instructor-lab")) as lab:
        yield lab


def test_jupyterlab_in_the_course_folder_runs_the_ordinary_kernel(course, instructor_lab, page):
    lab = instructor_lab
    notebook = course.source / "lab2" / "01_neuron.ipynb"
    before = json.loads(notebook.read_text())["metadata"]
    specs = lab.get("api/kernelspecs")
    assert specs["default"] == "python3"
    assert set(specs["kernelspecs"]) == {"python3"}, (
        "JupyterLab in the course folder should offer the environment's own kernel "
        f"only, not the grading sandbox's: {sorted(specs['kernelspecs'])}")
    argv = specs["kernelspecs"]["python3"]["spec"]["argv"]
    # the instructor's kernel: the environment's own Python running ipykernel
    # with the kit's instructor extension (lend, in_kernel), never the sandbox
    assert argv[1].endswith("instructor_kernel.py"), argv
    assert not any("sandbox" in a for a in argv), argv
    open_notebook(page, lab, "source/lab2/01_neuron.ipynb")
    first_code = next(i for i, c in enumerate(nbformat.read(str(notebook), 4).cells)
                      if c.cell_type == "code")
    ran = run_cell(page, first_code)
    assert "Error" not in ran.inner_text()
    [session] = lab.get("api/sessions")
    assert session["kernel"]["name"] == "python3"
    saved = notebook.stat().st_mtime_ns
    page.keyboard.press("Control+S")
    deadline = time.monotonic() + PATIENCE
    while notebook.stat().st_mtime_ns == saved:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.2)
    shot(page, "instructor-source-notebook")
    after = json.loads(notebook.read_text())["metadata"]
    assert after["kernelspec"] == before["kernelspec"], "saving rewrote the kernel metadata"


def test_formgrader_lists_the_course_and_generates_a_whole_release(course, instructor_lab,
                                                                   page):
    page.goto(instructor_lab.url("formgrader"))
    for assignment in course.assignments():
        page.get_by_role("link", name=assignment, exact=True).wait_for()
    shot(page, "instructor-formgrader")
    # Generate, as an instructor clicks it: the release keeps what students need.
    page.locator("tr", has=page.get_by_role("link", name="lab2", exact=True)).locator(
        "td").nth(4).locator("a").click()
    page.locator(".modal-dialog").get_by_text(
        "Successfully created the student version").wait_for()
    shot(page, "instructor-formgrader-generate")
    release = course.release / "lab2"
    for needed in ("utils/checks.py", "README.md", "requirements.txt", "CONVENTIONS.md",
                   "01_neuron.ipynb"):
        assert (release / needed).is_file(), f"formgrader's Generate left out {needed}"


# -- the student ---------------------------------------------------------------------

RELU = "def relu(Z):\n    return np.maximum(0, Z)\n"


@pytest.fixture(scope="module")
def student_home(tmp_path_factory):
    """A student's folder holding a released assignment, as handed out."""
    home = tmp_path_factory.mktemp("student")
    shutil.copytree(KIT_ROOT / "release" / "lab1", home / "lab1")
    return home


@pytest.fixture(scope="module")
def student_lab(student_home, tmp_path_factory):
    """JupyterLab started in the student's folder."""
    with jupyter_lab(student_home, tmp_path_factory.mktemp("student-lab")) as lab:
        yield lab


def test_a_student_fills_in_an_exercise_runs_its_check_and_validates(student_home,
                                                                     student_lab, page):
    notebook = student_home / "lab1" / "01_single_neuron.ipynb"
    answer = grade_id_index(notebook, "relu")
    check = grade_id_index(notebook, "test_relu")
    open_notebook(page, student_lab, "lab1/01_single_neuron.ipynb")
    run_cell(page, 1)                                   # the imports
    type_into_cell(page, answer, RELU)
    run_cell(page, answer)
    run_cell(page, answer + 1)                          # the example
    assert "[[0. 0. 3.]]" in cell(page, answer + 1).inner_text()
    result = run_cell(page, check)
    assert "passed" in result.inner_text()
    shot(page, "student-check-passed")
    page.keyboard.press("Control+S")
    page.get_by_role("button", name="Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    dialog.get_by_text("neurons", exact=False).first.wait_for()
    text = dialog.inner_text()
    shot(page, "student-validate")
    assert "relu" not in text.split("neurons", 1)[0]


def test_run_all_on_an_untouched_notebook_runs_to_the_end(student_home, student_lab, page):
    """Run All on untouched lab1/03 (a class still to write, and cells that need the
    network it would make) reaches the last cell; what the cells say is one line
    each and never a traceback."""
    notebook = student_home / "lab1" / "03_network.ipynb"
    cells = nbformat.read(str(notebook), 4).cells
    last_code = max(i for i, c in enumerate(cells) if c.cell_type == "code")
    open_notebook(page, student_lab, "lab1/03_network.ipynb")
    page.get_by_text("Run", exact=True).first.click()
    page.get_by_text("Run All Cells", exact=True).click()
    last = cell(page, last_code)
    last.scroll_into_view_if_needed()
    with awaiting(page, "Run All to reach the last cell"):
        last.locator(".jp-InputPrompt").filter(has_text="[").filter(
            has_not_text="*").filter(has_not_text="[ ]").wait_for()
    prompts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell "
                           ".jp-InputPrompt").all_inner_texts()
    assert prompts and all(any(ch.isdigit() for ch in p) for p in prompts), prompts
    errors = page.locator(".jp-OutputArea-output[data-mime-type="
                          "'application/vnd.jupyter.stderr']").all_inner_texts()
    shot(page, "student-run-all")
    assert errors, "an untouched notebook should say which exercises are still to write"
    for text in errors:
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in text and "not written yet" in text, text
    assert any(text.startswith("network is not made yet") for text in errors), errors


# -- the lecturer --------------------------------------------------------------------

MATHJAX_DONE = """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue
    && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running
    && document.querySelectorAll('.MathJax, .MathJax_Display').length > 0"""


@pytest.fixture(scope="module")
def lecture(lab2_lecture):
    """lab2's lecture site, built as ``python -m utils lecture lab2`` builds it."""
    return lab2_lecture


def _rendered_math(page, where=".jp-RenderedMarkdown"):
    wait_until(page, MATHJAX_DONE, "MathJax to typeset the equations")
    errors = page.locator(".MathJax_Error, .merror").count()
    assert errors == 0, f"{errors} equations failed to render"
    raw = page.evaluate(f"""() => [...document.querySelectorAll('{where}')]
        .map(e => e.innerText).join('\\n')""")
    assert "\\frac" not in raw and "$$" not in raw, f"raw LaTeX is showing: {raw[:300]}"


def _shown_images(page):
    return page.evaluate("""() => [...document.images].filter(
        i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0).length""")


def test_the_lecture_page_renders_equations_and_plots_offline(lecture, page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(lecture.index.as_uri())
    page.get_by_role("link", name="page").first.click()
    page.wait_for_load_state("load")
    _rendered_math(page)
    assert _shown_images(page) >= 1, "no plot is shown"
    page.locator("img").first.scroll_into_view_if_needed()
    shot(page, "lecture-page")
    remote = [url for url in requests if not url.startswith(("file:", "data:", "about:"))]
    assert not remote, f"the lecture site fetched from the network: {remote[:3]}"


def test_the_lecture_slides_render_equations(lecture, page):
    slides = sorted(lecture.output.rglob("*.slides.html"))
    assert slides
    page.goto(slides[0].as_uri())
    wait_until(page, "() => window.Reveal && Reveal.isReady()", "reveal.js to start")
    page.evaluate("() => Reveal.configure({transition: 'none', fragments: false})")
    total = page.evaluate("() => Reveal.getTotalSlides()")
    assert total > 5, total
    with_math = 0
    for _ in range(total):
        # Each slide as the audience sees it: its equations typeset, none raw.
        _rendered_math(page, "section.present")
        with_math += page.locator("section.present .MathJax").count() > 0
        if with_math == 3:
            shot(page, "lecture-slides")
        if page.evaluate("() => Reveal.isLastSlide()"):
            break
        page.keyboard.press("ArrowRight")
    assert with_math >= 3, "hardly any slide shows an equation"


#: Seconds between key presses on the deck: a lecturer in a hurry, and much
#: faster than MathJax typesets a deck (3-6 s) on a loaded machine.
PACE = 0.3


@pytest.fixture(scope="module")
def lab1_deck(tmp_path_factory):
    """lab1/01's slides (ten slides, five of them sub-slides, equations and
    code), built as ``python -m utils lecture lab1`` builds them."""
    from utils import lecture
    result = lecture.build(Course(KIT_ROOT), ["lab1"], tmp_path_factory.mktemp("lab1-lecture"),
                           jobs=1, progress=lambda *_: None, notebooks={"01_single_neuron"})
    assert result.ok, result.errors
    return result.output / "site" / "lab1" / "01_single_neuron.slides.html"


#: Installs, in the page, a record of the tour: every slide shown (as
#: reveal's "h/v" indices), every code block wider than the slide it is on,
#: and, sampled every 0.2 s (what goes wrong may last only a moment), the most
#: equations that failed at once and the slides with more rendered equations
#: than equations in their source (drawn twice).  Returns every slide's indices.
_TOUR = """() => {
    const name = s => { const at = Reveal.getIndices(s); return at.h + '/' + (at.v || 0); };
    window.tour = {visited: [], wide: [], failed: 0, twice: [], typeset: 0};
    const note = () => {
        const slide = Reveal.getCurrentSlide();
        tour.visited.push(name(slide));
        const edge = slide.getBoundingClientRect().right;
        slide.querySelectorAll('pre').forEach(pre => {
            if (pre.scrollWidth > pre.clientWidth + 1
                    || pre.getBoundingClientRect().right > edge + 1) {
                tour.wide.push(name(slide) + ': ' + pre.textContent.split('\\n')[0].slice(0, 60));
            }
        });
    };
    window.sampleMath = () => {
        const failed = document.querySelectorAll('.MathJax_Error, .merror').length
            + (document.body.textContent.match(/Math Processing Error/g) || []).length;
        tour.failed = Math.max(tour.failed, failed);
        Reveal.getSlides().forEach(s => {
            if (s.querySelectorAll('span.MathJax').length
                    > s.querySelectorAll('script[type^="math/tex"]').length
                    && !tour.twice.includes(name(s))) {
                tour.twice.push(name(s));
            }
        });
        tour.typeset = document.querySelectorAll('span.MathJax').length;
    };
    note();
    Reveal.on('slidechanged', note);
    setInterval(sampleMath, 200);
    return Reveal.getSlides().map(name);
}"""


def _press_until(page, keys, done, limit):
    """Press ``keys`` in turn, one every PACE seconds without waiting for
    anything, until ``done`` (JavaScript) is true; fail after ``limit`` presses."""
    for key in itertools.islice(itertools.cycle(keys), limit):
        if page.evaluate(done):
            return
        page.keyboard.press(key)
        page.wait_for_timeout(PACE * 1000)
    raise AssertionError(f"{limit} presses of {' and '.join(keys)} did not reach the end "
                         "of the deck")


def test_slides_keep_up_with_a_lecturer_at_any_pace(lab1_deck, page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    # A slow laptop, or the loaded machine: MathJax takes seconds, as in a lecture hall.
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto(lab1_deck.as_uri())
    # reveal.js, not MathJax: the lecturer starts as soon as the deck shows.
    wait_until(page, "() => window.Reveal && Reveal.isReady()", "reveal.js to start")
    slides = page.evaluate(_TOUR)
    assert len(slides) >= 10, slides
    presses = 4 * len(slides) + page.locator(".fragment").count()
    # Forward with Space and → in turn (both must visit every slide), back with ←.
    _press_until(page, ("Space", "ArrowRight"),
                 "() => Reveal.isLastSlide() && !Reveal.availableFragments().next", presses)
    # The way back starts on the slide the way there ended on.
    forward = page.evaluate("() => { const way = tour.visited.splice(0);"
                            " tour.visited.push(way[way.length - 1]); return way; }")
    _press_until(page, ("ArrowLeft",),
                 "() => Reveal.isFirstSlide() && !Reveal.availableFragments().prev", presses)
    back = page.evaluate("() => tour.visited")
    wait_until(page, MATHJAX_DONE, "MathJax to finish typesetting the deck")
    trouble = page.evaluate("() => { sampleMath(); return tour; }")
    wide = trouble["wide"]
    shot(page, "lecture-slides-fast")
    # Every defect at once: a lecturer meets them all in the same lecture.
    problems = []
    for key, seen in (("Space and →", forward), ("←", back)):
        if set(slides) - set(seen):
            problems.append(f"{key} skipped slides {sorted(set(slides) - set(seen))}")
    if trouble["typeset"] < 5:
        problems.append(f"hardly any equation was typeset ({trouble['typeset']})")
    if trouble["failed"]:
        problems.append(f"up to {trouble['failed']} equations showed [Math Processing Error]")
    if trouble["twice"]:
        problems.append(f"equations drawn twice on slides {trouble['twice']}")
    if wide:
        problems.append(f"code wider than its slide: {sorted(set(wide))}")
    remote = [url for url in requests if not url.startswith(("file:", "data:", "about:"))]
    if remote:
        problems.append(f"the slides fetched from the network: {remote[:3]}")
    assert not problems, "; ".join(problems)
