"""Lecture mode: solved notebooks to teach from, as notebooks, pages and slides.

``python -m utils lecture [ASSIGNMENT ...]`` (or :func:`build`) writes, by
default into ``build/lecture/``::

    index.html                         one page linking everything below
    notebooks/<assignment>/NN_name.ipynb   the lecture copies, executed
    notebooks/<assignment>/utils/, CONVENTIONS.md   what they import, as students get it
    site/<assignment>/NN_name.html         each lecture copy as a page
    site/<assignment>/NN_name.slides.html  ... as reveal.js slides
    site/<assignment>/NN_name.handout.html ... without solutions, to hand out
    site/<assignment>/NN_name.handout.ipynb    the same handout as a notebook
    site/mathjax/, site/reveal.js/         local copies: nothing loads from the network

A **lecture copy** is a source notebook with the grading taken out: the
solutions stay (their ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines go),
test cells, hidden tests and nbgrader's cell metadata go, and so does the
text that only serves grading: *Expected output* blocks (the executed cell
shows its output right above), paragraphs about ``YOUR CODE HERE``, test cells
and handing in, and the points in headings and tables.  Written answers keep
their model answer, without the grading rubric.

The **handout** is the executed lecture copy with every solution replaced by
the stub students get in ``release/`` and no output of a cell that depends on
a solution (see :func:`solution_dependent_cells`).

**Slides**: a markdown cell that starts with a level-1 or level-2 heading
opens a new slide, any other markdown cell a sub-slide below it, and a code
cell appears as a fragment under the text before it (on the next key press),
so the code shows up after its explanation.  → and Space step through every
slide, sub-slides included, ← steps back.  Equations are typeset one slide at
a time, the slide on show first, so keys pressed at any pace never race
MathJax.  Long code lines wrap; long slides scroll.
"""
import concurrent.futures
import copy
import html
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import offline
from .course import Course, CourseError, copy_student_modules
from .student_release import LOADS_ANSWERS, names_bound_and_read

__all__ = ["build", "LectureBuild", "lecture_copy", "handout_copy",
           "solution_dependent_cells", "slide_types", "LectureError"]

#: Seconds one cell may run while the lecture copies execute.  The slowest
#: cell of the course (a hyper-parameter sweep) takes a few seconds; an
#: endless loop is stopped and reported instead of hanging the build.
CELL_TIMEOUT = 300
#: The kernel every lecture copy runs in: the ordinary Python 3 kernel of the
#: environment that builds (the course's pinned stack).
KERNEL_NAME = "python3"
#: reveal.js theme of the slides.
SLIDES_THEME = "white"

_SOLUTION_MARKER = re.compile(r"^\s*(#+|<!--)?\s*(BEGIN|END) SOLUTION\b.*$")
_HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                           re.MULTILINE | re.DOTALL)
#: Paragraphs that only make sense in an assignment that is graded.
_SCAFFOLDING = re.compile(r"YOUR CODE HERE|YOUR ANSWER HERE|NotImplementedError|test cells?\b|"
                          r"\bhand in\b|graded (automatically|by your instructor)|"
                          r"^\**No test\b|gives the points", re.IGNORECASE)
_POINTS_IN_HEADING = re.compile(r"\s*\([^()]*\bpoints?\b[^()]*\)")
_RUBRIC = re.compile(r"^\s*\*Model answer\b", re.IGNORECASE)


class LectureError(CourseError):
    """A lecture copy could not be built or run; the message is one line."""


# --- lecture copies ----------------------------------------------------------

def _grading(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test_cell(cell):
    info = _grading(cell)
    return bool(info.get("grade")) and not info.get("solution")


def _is_solution_cell(cell):
    return bool(_grading(cell).get("solution"))


def _without_markers(text):
    text = _HIDDEN_BLOCK.sub("", text)
    return "\n".join(line for line in text.split("\n") if not _SOLUTION_MARKER.match(line))


def _paragraphs(text):
    """Markdown split at blank lines, except blank lines inside a fenced block."""
    paragraphs, current, fenced = [], [], False
    for line in text.strip("\n").split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                paragraphs.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _drop_expected_output(paragraph):
    """A paragraph without its "**Expected output**" block: the words, the
    fenced block after them and a sentence that only continues them."""
    if not paragraph.lstrip().startswith("**Expected output**"):
        return paragraph
    lines = paragraph.split("\n")
    fences = [i for i, line in enumerate(lines) if line.lstrip().startswith("```")]
    if len(fences) < 2:
        return ""
    rest = lines[fences[1] + 1:]
    first = rest[0].lstrip("( ") if rest else ""
    if first[:1].islower():          # "and no warning in between." continues the block
        return ""
    return "\n".join(rest)


def _drop_points_column(paragraph):
    """A markdown table without its ``points`` column; anything else unchanged."""
    lines = paragraph.split("\n")
    if len(lines) < 2 or not all(line.lstrip().startswith("|") for line in lines):
        return paragraph
    header = [c.strip().lower() for c in lines[0].strip().strip("|").split("|")]
    if "points" not in header:
        return paragraph
    drop = header.index("points")
    rows = []
    for line in lines:
        cells = line.strip().strip("|").split("|")
        if len(cells) == len(header):
            del cells[drop]
        rows.append("|" + "|".join(cells) + "|")
    return "\n".join(rows)


def _lecture_markdown(text, solution):
    kept = []
    for paragraph in _paragraphs(text):
        if solution and not kept and _RUBRIC.match(paragraph):
            kept.append("**A model answer**")
            continue
        # A heading always stays (without its points); the text under it is judged.
        lines = paragraph.split("\n")
        while lines and lines[0].startswith("#"):
            kept.append(_POINTS_IN_HEADING.sub("", lines.pop(0)))
        paragraph = _drop_expected_output("\n".join(lines))
        if not paragraph.strip() or _SCAFFOLDING.search(paragraph):
            continue
        kept.append(_drop_points_column(paragraph))
    return "\n\n".join(kept)


def lecture_copy(notebook):
    """The lecture copy of a source notebook (a new notebook; see the module
    docstring), and ``{cell id: grade id}`` of its cells that hold solutions."""
    nb = copy.deepcopy(notebook)
    cells, solutions = [], {}
    for cell in nb.cells:
        if _is_test_cell(cell) and cell.cell_type == "code":
            continue
        solution = _is_solution_cell(cell)
        grade_id = _grading(cell).get("grade_id")
        source = _without_markers(cell.source)
        if cell.cell_type == "markdown":
            source = _lecture_markdown(source, solution)
            if not source.strip():
                continue
        cell.source = source.strip("\n")
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if solution and grade_id:
            solutions[cell.id] = grade_id
        cells.append(cell)
    nb.cells = cells
    for key in ("widgets", "celltoolbar"):
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": KERNEL_NAME}
    return nb, solutions


# --- slides --------------------------------------------------------------------

def slide_types(nb):
    """Set reveal.js slide types on ``nb``'s cells (in place) and return them.

    A markdown cell opening with a ``#`` or ``##`` heading starts a slide, any
    other markdown cell a sub-slide, and a code cell is a fragment of the
    slide above it.
    """
    kinds = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.lstrip().split("\n", 1)[0]
            heading = re.match(r"(#{1,6})\s", first)
            kind = "slide" if heading and len(heading.group(1)) <= 2 else "subslide"
        else:
            kind = "fragment"
        if not kinds:
            kind = "slide"
        cell.metadata["slideshow"] = {"slide_type": kind}
        kinds.append(kind)
    return kinds


# --- handouts ------------------------------------------------------------------

def solution_dependent_cells(nb, solution_ids):
    """Ids of code cells whose output may show a solution at work: the
    solution cells, cells that load earlier answers, and every later cell
    that reads a name bound by one of those (transitively, in cell order).

    A cell that cannot be parsed counts as dependent.
    """
    tainted_names = {LOADS_ANSWERS}        # a call of it runs earlier notebooks' solutions
    dependent = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        names = names_bound_and_read(cell.source)
        if cell.id in solution_ids or names is None or names[1] & tainted_names:
            dependent.add(cell.id)
            tainted_names |= names[0] if names else set()
    return dependent


def handout_copy(executed, solutions, release_nb):
    """The handout of an executed lecture copy: each solution cell holds the
    release's stub for it instead (found by its nbgrader grade id in
    ``release_nb``), and cells that depend on a solution have no output."""
    stubs = {_grading(c).get("grade_id"): c.source for c in release_nb.cells
             if _is_solution_cell(c)}
    missing = sorted(set(solutions.values()) - set(stubs))
    if missing:
        raise LectureError(f"the release has no stub for {', '.join(missing)}: "
                           "release the assignment again (python -m utils release)")
    nb = copy.deepcopy(executed)
    dependent = solution_dependent_cells(nb, set(solutions))
    for cell in nb.cells:
        if cell.id in solutions:
            cell.source = stubs[solutions[cell.id]]
        if cell.cell_type == "code" and cell.id in dependent:
            cell.outputs, cell.execution_count = [], None
    return nb


# --- running -------------------------------------------------------------------

def _first_line(source):
    for line in source.split("\n"):
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return "(empty)"


def _kernel_manager(sockets):
    """A kernel manager for this environment's own Python kernel, whatever
    kernel specs are installed elsewhere under the same name; it talks to
    the kernel through socket files in the folder ``sockets``."""
    from jupyter_client.manager import KernelManager

    from .grader.kernels import PlainPython

    # Local socket files, not TCP ports: nothing else on the machine can connect.
    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=PlainPython(),
                         transport="ipc", ip=os.path.join(sockets, "kernel"))


def execute(nb, folder, label):
    """Run ``nb`` in ``folder`` (in place); raise a :class:`LectureError`
    naming ``label`` and the failing cell if a cell fails."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    current = {}

    def started(cell, cell_index):
        """Remember the cell that runs now, to name it if it fails."""
        current.update(index=cell_index, cell=cell)

    sockets = tempfile.mkdtemp(prefix="nn-lecture-")
    km = _kernel_manager(sockets)
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(folder)}},
                            on_cell_execute=started, record_timing=False)
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError, RuntimeError) as err:
        where = ""
        if current:
            where = f", cell {current['index'] + 1} ({_first_line(current['cell'].source)})"
        if isinstance(err, CellExecutionError):
            why = f"{err.ename}: {err.evalue}".strip()
        elif isinstance(err, CellTimeoutError):
            why = f"ran longer than {CELL_TIMEOUT} s"
        elif isinstance(err, DeadKernelError):
            why = "the kernel died"
        else:
            why = str(err).strip().split("\n")[0]
        why = " ".join(why.split())
        raise LectureError(f"{label}{where}: {why[:300]}") from None
    finally:
        # The kernel holds nothing worth saving: stop it at once.
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)


# --- pages ---------------------------------------------------------------------

_LAB_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block body_header -%}
{{ super() }}
{%- if resources.lecture.nav %}
<nav style="padding: 0.5em 1em; font-family: sans-serif;">
<a href="{{ resources.lecture.index }}">All notebooks</a>
{%- for label, url in resources.lecture.links %} &middot; <a href="{{ url }}">{{ label }}</a>{% endfor %}
</nav>
{%- endif %}
{%- endblock body_header -%}
"""

# reveal.js is loaded with plain script tags: no require.js, no jQuery.
#
# MathJax does not typeset the page when it starts: the deck typesets one
# slide at a time, the slide on show first, every step through MathJax's own
# queue, so a key pressed while MathJax works waits its turn instead of
# racing it (a Rerender beside a running Typeset showed "[Math Processing
# Error]" and drew equations twice).  An equation is typeset once: Typeset
# skips what is done.
_REVEAL_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
    skipStartupTypeset: true,
    TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
    tex2jax: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]],
              displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
              processEscapes: true, processEnvironments: true},
    displayAlign: "center",
    messageStyle: "none"
});
</script>
<script src="{{ resources.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
{%- block html_head_css -%}
<style>
/* Code fits its slide: long lines wrap instead of running off the edge. */
.reveal .jp-Cell pre {
    white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: hidden;
    width: auto; max-width: 100%; margin-left: 0; margin-right: 0; box-sizing: border-box;
}
.reveal .jp-Cell, .reveal .jp-InputArea, .reveal .jp-OutputArea,
.reveal .jp-InputArea-editor, .reveal .jp-OutputArea-output, .reveal .highlight {
    min-width: 0; max-width: 100%; box-sizing: border-box;
}
.reveal section img { max-width: 100%; height: auto; }
</style>
{%- endblock html_head_css -%}
{%- block footer_js -%}
{%- set prefix = resources.reveal.url_prefix -%}
<script src="{{ prefix }}/dist/reveal.js"></script>
<script src="{{ prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
    controls: true, progress: true, history: true, slideNumber: true,
    // "linear": the right and left arrows (and Space) step through every
    // slide, sub-slides included, in reading order, as the index page says;
    // the sub-slides stay (the overview, Esc, shows the sections).
    navigationMode: "linear",
    transition: "{{ resources.reveal.transition }}",
    width: {{ resources.reveal.width | default('960', true) }},
    height: {{ resources.reveal.height | default('700', true) }},
    plugins: [RevealNotes]
});
function fitSlide() {
    // Let a long slide scroll.
    var limit = document.querySelector(".reveal").clientHeight * 0.95;
    document.querySelectorAll("section.present section, section.present").forEach(function (s) {
        if (s.scrollHeight > limit) {
            s.style.height = "95vh"; s.style.overflowY = "auto"; s.style.marginTop = "20px";
        }
    });
}
var typesetting = false;
function typesetNext() {
    // One slide per turn of MathJax's queue: the slide on show if it is not
    // typeset yet, else the next one in the deck that is not; then again.
    if (!window.MathJax || !MathJax.Hub) { fitSlide(); return; }
    var pending = function (s) { return !s.hasAttribute("data-typeset"); };
    var current = Reveal.getCurrentSlide();
    var slide = pending(current) ? current : Reveal.getSlides().filter(pending)[0];
    if (!slide) { typesetting = false; fitSlide(); return; }
    typesetting = true;
    MathJax.Hub.Queue(["Typeset", MathJax.Hub, slide], function () {
        slide.setAttribute("data-typeset", "");
        if (slide === Reveal.getCurrentSlide()) { Reveal.layout(); fitSlide(); }
    }, typesetNext);
}
Reveal.on("ready", typesetNext);
Reveal.on("slidechanged", function () {
    // A round under way picks up the slide now on show by itself.
    if (Reveal.getCurrentSlide().hasAttribute("data-typeset")) { fitSlide(); }
    if (!typesetting) { typesetNext(); }
});
</script>
{%- endblock footer_js -%}
"""


def _exporter(kind, mathjax_url, reveal_prefix=None):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter, SlidesExporter

    loader = DictLoader({"lecture_lab.html.j2": _LAB_TEMPLATE,
                         "lecture_reveal.html.j2": _REVEAL_TEMPLATE})
    if kind == "slides":
        exporter = SlidesExporter(extra_loaders=[loader], template_file="lecture_reveal.html.j2",
                                  reveal_url_prefix=reveal_prefix, reveal_theme=SLIDES_THEME,
                                  reveal_scroll=True)
    else:
        exporter = HTMLExporter(template_name="lab", extra_loaders=[loader],
                                template_file="lecture_lab.html.j2")
    exporter.mathjax_url = mathjax_url
    return exporter


#: MathJax as :func:`offline.copy_mathjax` places it in ``site/``.
_MATHJAX_URL = f"{offline.MATHJAX_FOLDER}/MathJax.js?config={offline.MATHJAX_CONFIG}"


def _write_page(kind, nb, path, name, links=(), nav=True):
    """Write ``nb`` as a page (``kind`` "html") or slides ("slides") at
    ``path`` in ``site/<assignment>/``, titled ``name``; a page starts with
    links to the index and to ``links`` (label, URL) unless ``nav`` is false."""
    up = "../"
    exporter = _exporter(kind, up + _MATHJAX_URL, up + offline.REVEAL_FOLDER)
    resources = {"metadata": {"name": name},
                 "lecture": {"nav": nav, "index": "../../index.html", "links": list(links)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    # Notebooks link the conventions page as it sits beside them; the site
    # has it as a page of its own.
    body = body.replace(f'href="{CONVENTIONS_PAGE}', f'href="{CONVENTIONS_HTML}')
    path.write_text(body, encoding="utf-8")


#: The conventions page as it ships beside notebooks, and as the site has it.
CONVENTIONS_PAGE, CONVENTIONS_HTML = "CONVENTIONS.md", "CONVENTIONS.html"


def _conventions_page(folder, site):
    """``site/<assignment>/CONVENTIONS.html`` from the copy beside the notebooks."""
    text = (folder / CONVENTIONS_PAGE).read_text(encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    _write_page("html", nb, site / CONVENTIONS_HTML, "Conventions")


# --- the build -------------------------------------------------------------------

@dataclass
class NotebookResult:
    """What became of one notebook."""
    assignment: str
    name: str
    title: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass
class LectureBuild:
    """The outcome of :func:`build`: where things are and what failed."""
    output: Path
    index: Path
    notebooks: list = field(default_factory=list)

    @property
    def errors(self):
        """One line per notebook that did not run."""
        return [r.error for r in self.notebooks if r.error]

    @property
    def ok(self):
        """True when every notebook ran."""
        return not self.errors


def _title(nb, fallback):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def _notebook_job(course_root, assignment, name, output):
    """Execute one lecture copy and write its page, slides and handout
    (runs in a worker process)."""
    started = time.monotonic()
    course = Course(course_root)
    label = f"{assignment}/{name}"
    result = NotebookResult(assignment, name)
    folder = output / "notebooks" / assignment
    site = output / "site" / assignment
    try:
        source = nbformat.read(course.source / assignment / f"{name}.ipynb", as_version=4)
        nb, solutions = lecture_copy(source)
        result.title = _title(nb, name)
        try:
            execute(nb, folder, label)
        finally:
            nbformat.write(nb, folder / f"{name}.ipynb")
        links = [("page", f"{name}.html"), ("slides", f"{name}.slides.html"),
                 ("handout", f"{name}.handout.html")]
        _write_page("html", nb, site / f"{name}.html", result.title, links)
        slides = copy.deepcopy(nb)
        slide_types(slides)
        _write_page("slides", slides, site / f"{name}.slides.html", result.title)
        release_path = course.release / assignment / f"{name}.ipynb"
        if not release_path.is_file():
            raise LectureError(f"{release_path} is missing, and the handout needs its stubs: "
                               "release the assignment first (python -m utils release)")
        handout = handout_copy(nb, solutions, nbformat.read(release_path, as_version=4))
        # A handout stands alone: no links to the pages with solutions.
        nbformat.write(handout, site / f"{name}.handout.ipynb")
        _write_page("html", handout, site / f"{name}.handout.html",
                    f"{result.title} (handout)", nav=False)
    except CourseError as err:
        result.error = str(err) if str(err).startswith(label) else f"{label}: {err}"
    except Exception as err:           # a bug or a broken file: still one line per notebook
        result.error = f"{label}: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
    result.seconds = time.monotonic() - started
    return result


def _index_page(results, output):
    rows = []
    current = None
    for r in results:
        if r.assignment != current:
            if current is not None:
                rows.append("</ul>")
            current = r.assignment
            rows.append(f"<h2>{html.escape(current)}</h2>\n<ul>")
        base = f"site/{r.assignment}/{r.name}"
        ipynb = f"notebooks/{r.assignment}/{r.name}.ipynb"
        title = html.escape(r.title or r.name)
        if r.error:
            rows.append(f"<li><b>{html.escape(r.name)}</b> {title}: "
                        f"<em>failed</em> ({html.escape(r.error)})</li>")
            continue
        rows.append(f'<li><b>{html.escape(r.name)}</b> <a href="{base}.html">{title}</a> '
                    f'&middot; <a href="{base}.slides.html">slides</a> '
                    f'&middot; handout: <a href="{base}.handout.html">page</a>, '
                    f'<a href="{base}.handout.ipynb">notebook</a> '
                    f'&middot; <a href="{ipynb}">notebook</a></li>')
    if current is not None:
        rows.append("</ul>")
    body = "\n".join(rows)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Lecture notebooks</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
li {{ margin: 0.3em 0; }}
</style>
</head>
<body>
<h1>Lecture notebooks</h1>
<p>Each notebook with its solutions and outputs as a page, as slides
(<kbd>&rarr;</kbd> or <kbd>Space</kbd> shows the next slide, <kbd>&larr;</kbd> the one
before, every slide in order; <kbd>S</kbd> opens the speaker view), as a handout
without solutions, and as the notebook itself.</p>
{body}
</body>
</html>
"""


def build(course, assignments=None, output=None, jobs=None, progress=print, notebooks=None):
    """Build lecture copies, pages, slides and handouts; return a
    :class:`LectureBuild` (``.index`` is the index page, ``.errors`` one line
    per notebook that failed).

    ``course`` is a :class:`Course` or its folder, ``assignments`` a list of
    assignment ids (default: all), ``output`` the folder to write (default:
    ``build/lecture`` in the course), ``jobs`` how many notebooks run at once
    (default: one per core).  ``progress`` receives one line per notebook.
    ``notebooks``, a set of names such as ``"01_single_neuron"``, runs and
    writes only those (every lecture copy is still written beside them).
    """
    course = course if isinstance(course, Course) else Course(course)
    for name in assignments or ():
        course.check_assignment(name)
    assignments = list(assignments or course.assignments())
    output = Path(output or course.root / "build" / "lecture").resolve()
    jobs = max(1, jobs or os.cpu_count() or 1)
    site = output / "site"
    site.mkdir(parents=True, exist_ok=True)
    offline.copy_mathjax(site)
    offline.copy_reveal(site, SLIDES_THEME)

    work = []
    for assignment in assignments:
        folder = output / "notebooks" / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        if (site / assignment).exists():
            shutil.rmtree(site / assignment)
        (site / assignment).mkdir(parents=True)
        # Every copy is in place before any runs: a notebook that loads an
        # earlier one's answers (utils.earlier) finds the solved copy.
        for name in course.notebooks(assignment):
            source = nbformat.read(course.source / assignment / f"{name}.ipynb", as_version=4)
            nbformat.write(lecture_copy(source)[0], folder / f"{name}.ipynb")
            if notebooks is None or name in notebooks:
                work.append((assignment, name))
        copy_student_modules(folder, assignment=assignment)
        _conventions_page(folder, site / assignment)

    results = {}
    total = len(work)
    progress(f"Running {total} lecture notebook(s), {min(jobs, total or 1)} at a time")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, total or 1)) as pool:
        futures = {pool.submit(_notebook_job, course.root, a, n, output): (a, n) for a, n in work}
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results[(r.assignment, r.name)] = r
            status = "FAILED" if r.error else "page, slides, handout"
            progress(f"  [{len(results)}/{total}] {r.assignment}/{r.name} "
                     f"({r.seconds:.1f} s): {status}")
    ordered = [results[key] for key in work]
    index = output / "index.html"
    index.write_text(_index_page(ordered, output), encoding="utf-8")
    return LectureBuild(output=output, index=index, notebooks=ordered)


def serve(folder, port=8000):
    """Serve ``folder`` at http://127.0.0.1:PORT/ until interrupted (another
    free port when PORT is taken)."""
    import functools
    import http.server

    class Quiet(http.server.SimpleHTTPRequestHandler):
        """Serves files without logging every request."""

        def log_message(self, *args):
            """Log nothing."""

    handler = functools.partial(Quiet, directory=str(folder))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    print(f"Serving the lecture site at http://127.0.0.1:{server.server_address[1]}/index.html "
          "(Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
