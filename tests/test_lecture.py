"""Lecture mode: lecture copies, their execution, the offline site, handouts.

One build of lab2 (two notebooks, one with plots and written answers, one
that loads the first one's answers) is shared by the module's tests.
"""
import html
import json
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from utils import cli, lecture, offline  # noqa: E402
from utils.course import Course  # noqa: E402

KIT_COURSE = Course(KIT)
ASSIGNMENT = "lab2"
NOTEBOOKS = KIT_COURSE.notebooks(ASSIGNMENT)
SOLUTION = re.compile(r"### BEGIN SOLUTION(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


@pytest.fixture(scope="module")
def built(lab2_lecture):
    """lab2's lecture build (shared with the browser tests: see conftest.py)."""
    return lab2_lecture


def _source(name):
    return nbformat.read(KIT_COURSE.source / ASSIGNMENT / f"{name}.ipynb", 4)


def _lecture(built, name):
    return nbformat.read(built.output / "notebooks" / ASSIGNMENT / f"{name}.ipynb", 4)


def _secret_lines(name, pattern, kind=None):
    """Substantial lines that stand only inside ``pattern``'s regions of a
    source notebook (of cells of ``kind``, if given)."""
    secret, visible = set(), set()
    for cell in _source(name).cells:
        if kind and cell.cell_type != kind:
            continue
        for block in pattern.findall(cell.source):
            secret.update(line.strip() for line in block.splitlines())
        visible.update(line.strip() for line in
                       HIDDEN.sub("", SOLUTION.sub("", cell.source)).splitlines())
    return {line for line in secret - visible if len(line) >= 16 and not line.startswith("#")}


def _text_of(page):
    """What a reader sees of an HTML page: tags out, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


# --- lecture copies -------------------------------------------------------------

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_lecture_copy_has_no_grading(built, name):
    """No test cell, hidden test, marker, nbgrader metadata or grading text."""
    nb = _lecture(built, name)
    text = "\n".join(cell.source for cell in nb.cells)
    for marker in MARKERS:
        assert marker not in text
    for cell in nb.cells:
        assert "nbgrader" not in cell.metadata, cell.source[:80]
    for line in _secret_lines(name, HIDDEN):
        assert line not in text, f"hidden-test line kept: {line}"
    test_ids = [c.metadata["nbgrader"]["grade_id"] for c in _source(name).cells
                if c.metadata.get("nbgrader", {}).get("grade")
                and not c.metadata["nbgrader"].get("solution")]
    assert test_ids, "the source has test cells: the check below means something"
    assert "passed()" not in text                      # every test cell ends with it
    for phrase in ("YOUR CODE HERE", "YOUR ANSWER HERE", "**Expected output**", "test cell",
                   "points, graded"):
        assert phrase not in text, phrase


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_lecture_copy_keeps_every_solution_line(built, name):
    """Code solutions whole; written answers whole, but for the grader's rubric."""
    text = "\n".join(line.strip() for cell in _lecture(built, name).cells
                     for line in cell.source.splitlines())
    code = _secret_lines(name, SOLUTION, "code")
    assert code
    for line in code:
        assert line in text, f"solution line lost: {line}"
    written = [c for c in _source(name).cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    for cell in written:
        answer = lecture._without_markers(cell.source)
        paragraphs = lecture._paragraphs(answer)
        assert paragraphs[0].startswith("*Model answer")          # the rubric goes
        for paragraph in paragraphs[1:]:
            for line in paragraph.splitlines():
                assert line.strip() in text, f"model answer line lost: {line}"


def test_lecture_notebooks_ran_with_plots(built):
    for name in NOTEBOOKS:
        nb = _lecture(built, name)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        assert all(c.execution_count for c in code), name
        outputs = [o for c in code for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], name
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert images, f"{name} draws plots, but no image came out"
    folder = built.output / "notebooks" / ASSIGNMENT
    assert (folder / "utils" / "checks.py").is_file()
    assert (folder / "CONVENTIONS.md").is_file()
    assert not (folder / "utils" / "grader").exists()


# --- handouts -------------------------------------------------------------------

@pytest.mark.parametrize("name", NOTEBOOKS)
def test_handout_holds_no_solution(built, name):
    site = built.output / "site" / ASSIGNMENT
    secrets = _secret_lines(name, SOLUTION) | _secret_lines(name, HIDDEN)
    page = _text_of((site / f"{name}.html").read_text())
    handout_page = _text_of((site / f"{name}.handout.html").read_text())
    handout = nbformat.read(site / f"{name}.handout.ipynb", 4)
    handout_text = "\n".join([c.source for c in handout.cells]
                             + [json.dumps(c.get("outputs", [])) for c in handout.cells])
    shown = [line for line in secrets if line in page]
    assert shown, "the lecture page shows the solutions, so the check below can fail"
    for line in secrets:
        assert line not in handout_page, f"solution on the handout page: {line}"
        assert line not in handout_text, f"solution in the handout notebook: {line}"
    assert "raise NotImplementedError()" in handout_text       # the release's stubs


def test_handout_shows_no_output_of_a_solution_at_work(built):
    """No output of a cell that uses a solution, even through a given helper."""
    solved = set()
    for name in NOTEBOOKS:
        for cell in _source(name).cells:
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                solved.update(re.findall(r"^def (\w+)", cell.source, re.M))
    handout = nbformat.read(built.output / "site" / ASSIGNMENT / "01_neuron.handout.ipynb", 4)
    with_output = [c for c in handout.cells if c.cell_type == "code" and c.outputs]
    assert with_output, "outputs that need no solution stay (the data plot)"
    for cell in with_output:
        used = set(re.findall(r"\b(\w+)\s*\(", cell.source))
        assert not used & solved, cell.source[:80]
    given = [c for c in handout.cells if "train_neuron(X_sep" in c.source]
    assert given and not any(c.outputs for c in given)   # a helper that calls solutions


# --- site -----------------------------------------------------------------------

def _pages(built):
    return [built.index] + sorted((built.output / "site").glob("*/*.html"))


def test_index_links_every_page(built):
    index = built.index.read_text()
    links = set(re.findall(r'<a href="([^"]+)"', index))
    for name in NOTEBOOKS:
        for suffix in (".html", ".slides.html", ".handout.html", ".handout.ipynb"):
            assert f"site/{ASSIGNMENT}/{name}{suffix}" in links
        assert f"notebooks/{ASSIGNMENT}/{name}.ipynb" in links
    for link in links:
        assert (built.index.parent / link).is_file(), link


def test_pages_link_to_files_that_exist(built):
    for page in _pages(built):
        for link in re.findall(r'<a\s[^>]*href="([^"#][^"]*)"', page.read_text()):
            parts = urlsplit(html.unescape(link))
            if parts.scheme or parts.netloc:       # a link a reader may follow elsewhere
                continue
            assert (page.parent / unquote(parts.path)).exists(), f"{page.name}: {link}"


def test_pages_and_slides_load_nothing_from_the_network(built):
    for page in _pages(built):
        resources = offline.page_resources(page.read_text())
        if page.name.endswith(".slides.html"):
            assert any(url.endswith("dist/reveal.js") for _, url in resources)
        if page != built.index:
            assert any("MathJax.js" in url for _, url in resources), page.name
        for what, url in resources:
            parts = urlsplit(html.unescape(url))
            assert not parts.scheme and not parts.netloc, f"{page.name} loads {what} {url}"
            assert (page.parent / unquote(parts.path)).is_file(), f"{page.name}: {url} is missing"


def test_page_resources_sees_remote_loads():
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
            'href="//cdn.example/y.css"><a href="https://example.org">read</a>'
            '<style>@import url("http://z/f.css");</style><img src="data:image/png;base64,AA">')
    urls = [url for _, url in offline.page_resources(page)]
    assert urls == ["https://cdn.example/x.js", "//cdn.example/y.css", "http://z/f.css"]


def test_mathjax_copy_is_trimmed_and_complete(built):
    mathjax = built.output / "site" / offline.MATHJAX_FOLDER
    size = sum(p.stat().st_size for p in mathjax.rglob("*") if p.is_file())
    assert size < 4 * 2 ** 20, f"MathJax copy is {size / 2 ** 20:.1f} MB"
    url = offline.copy_mathjax(built.output / "site")
    script, config = url.split("?config=")
    assert (built.output / "site" / script).is_file()
    for name in config.split(","):
        assert (mathjax / "config" / f"{name}.js").is_file(), name
    # what HTML-CSS output with the STIX-Web fonts loads on demand
    assert (mathjax / "jax/output/HTML-CSS/fonts/STIX-Web/fontdata.js").is_file()
    assert list((mathjax / "fonts/HTML-CSS/STIX-Web/woff").glob("*.woff"))


def test_slides_visit_every_slide_and_typeset_each_equation_once(built):
    """What a deck needs at a lecturer's pace (tests/test_browser.py presses
    the keys): → visits sub-slides too, MathJax typesets nothing by itself on
    start and nothing again (no whole-page Typeset, no Rerender, which raced
    each other), long code lines wrap; the index says what the keys do."""
    for name in NOTEBOOKS:
        deck = (built.output / "site" / ASSIGNMENT / f"{name}.slides.html").read_text()
        assert 'navigationMode: "linear"' in deck, name
        assert "skipStartupTypeset: true" in deck, name
        assert "Rerender" not in deck and 'Queue(["Typeset", MathJax.Hub]);' not in deck, name
        assert re.search(r"\.reveal \.jp-Cell pre \{[^}]*white-space: pre-wrap", deck), name
    index = _text_of(built.index.read_text())
    assert "→ or Space shows the next slide, ← the one before, every slide" in " ".join(
        index.split())


def test_slide_types():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\nintro"),
        nbformat.v4.new_markdown_cell("Some text"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## 2. Section"),
        nbformat.v4.new_markdown_cell("### Exercise 1"),
    ])
    assert lecture.slide_types(nb) == ["slide", "subslide", "fragment", "slide", "subslide"]
    assert nb.cells[3].metadata["slideshow"] == {"slide_type": "slide"}


def test_markdown_keeps_teaching_and_drops_grading():
    text = ("### Exercise 2 — `f(x)` (3 points, graded by your instructor)\n\n"
            "Write f.\n\n"
            "**How to work.** Replace `# YOUR CODE HERE` and run the test cell.\n\n"
            "| exercise | what | points |\n|---|---|---|\n| 1 | f | 3 |\n\n"
            "**Expected output**\n```\n1\n\n2\n```\nand no warning.\n\n"
            "**Expected output**\n```\n3\n```\nThe curve falls.")
    assert lecture._lecture_markdown(text, solution=False) == (
        "### Exercise 2 — `f(x)`\n\nWrite f.\n\n"
        "| exercise | what |\n|---|---|\n| 1 | f |\n\nThe curve falls.")


# --- failures -------------------------------------------------------------------

def test_broken_notebook_is_one_clear_line(tmp_path, capsys):
    course = tmp_path / "course"
    (course / "source" / "demo").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A broken notebook"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("def f():\n    raise ValueError('the lecturer broke it')\nf()"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ])
    nbformat.write(nb, course / "source" / "demo" / "01_broken.ipynb")
    fine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nbformat.write(fine, course / "source" / "demo" / "02_fine.ipynb")
    status = cli.main(["--course", str(course), "lecture", "--output", str(tmp_path / "out"),
                       "--jobs", "1"])
    err = capsys.readouterr().err
    assert status == 1
    failed = [line for line in err.splitlines() if line.startswith("FAILED")]
    assert failed[0] == ("FAILED: demo/01_broken, cell 3 (def f():): "
                         "ValueError: the lecturer broke it"), err
    # the next notebook still ran; without a release it has no handout, and says why
    assert failed[1].startswith("FAILED: demo/02_fine: ") and "release the assignment" in failed[1]
    assert len(failed) == 2 and "Traceback" not in err
    out = tmp_path / "out"
    ran = nbformat.read(out / "notebooks" / "demo" / "01_broken.ipynb", 4)
    assert ran.cells[1].execution_count == 1            # kept to look at, up to the error
    assert nbformat.read(out / "notebooks" / "demo" / "02_fine.ipynb", 4).cells[0].outputs
    assert (out / "site" / "demo" / "02_fine.html").is_file()


def test_unknown_assignment_is_a_clear_error(capsys):
    assert cli.main(["--course", str(KIT), "lecture", "lab9"]) == cli.EXIT_ERROR
    assert "unknown assignment 'lab9'" in capsys.readouterr().err


# --- offline assets ---------------------------------------------------------------

def test_reveal_offline_without_cache_says_what_to_do(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise offline.urllib.error.URLError("no route to host")
    monkeypatch.setattr(offline, "reveal_cache", lambda: tmp_path / "cache")
    monkeypatch.setattr(offline.urllib.request, "urlopen", no_network)
    with pytest.raises(offline.OfflineError) as caught:
        offline.copy_reveal(tmp_path / "site")
    message = str(caught.value)
    assert "cannot download reveal.js" in message and "no route to host" in message
    assert str(tmp_path / "cache") in message          # where to put it by hand
    assert not (tmp_path / "site" / offline.REVEAL_FOLDER).exists()


def test_reveal_tarball_must_match_its_digest(tmp_path, monkeypatch):
    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, limit):
            return b"not the published tarball"
    monkeypatch.setattr(offline, "reveal_cache", lambda: tmp_path / "cache")
    monkeypatch.setattr(offline.urllib.request, "urlopen", lambda *a, **k: Answer())
    with pytest.raises(offline.OfflineError, match="does not match its pinned sha512"):
        offline.copy_reveal(tmp_path / "site")
    assert not (tmp_path / "cache" / f"reveal.js-{offline.REVEAL_VERSION}.tgz").exists()


def test_reveal_tarball_with_a_link_is_refused():
    import io
    import tarfile
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        link = tarfile.TarInfo("package/dist/reveal.js")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    with pytest.raises(offline.OfflineError, match="unexpected entry"):
        offline._package_files(data.getvalue())
