"""Look-alike answers: pairs of students whose code for an exercise is
near-identical once names, literals and formatting are set aside.

The result is a ranked list for the instructor to read and judge.  It never
changes a score, and a high figure is not proof of anything: two students may
have worked together as allowed, or found the same unusual idea.

How an answer is compared:

1. **Normalised tokens.**  The answer is split with Python's :mod:`tokenize`
   rather than parsed with :mod:`ast`: tokens survive code that does not
   compile (an unfinished cell, a stray bracket), keep the order in which
   things were written, and are the unit a copier edits.  A name the student
   chose becomes ``<name>`` (renaming variables changes nothing); keywords,
   operators, builtins, attribute names after a dot (``np.maximum`` differs
   from ``np.minimum``), keyword arguments (``dtype=``), magics
   (``%timeit``) and the names the provided code defines or relies on (the
   function and parameter names of the given signature, ``np``) stay as they
   are.  Numbers become ``<num>``, strings ``<str>``.  Comments,
   docstrings, blank lines, spacing, line breaks inside brackets and a
   trailing comma vanish; indentation is kept only as block structure.
   IPython syntax (``%timeit f(x)``, ``!ls``) mostly tokenizes as it stands,
   and its words then count like code.  A cell that does not tokenize is
   tried again as the Python IPython would run (its own transformer); what
   still fails is split by a plain pattern from where tokenizing stopped.
2. **Shingles**: every run of :data:`SHINGLE_TOKENS` consecutive tokens.
3. **Nothing provided counts.**  A shingle found in the provided code (the
   released cell and the instructor's solution) is dropped: two students who
   both wrote the expected answer, or kept the scaffolding, show nothing.
4. **Rare counts most.**  Each remaining shingle is weighted by how rare it
   is among the class's answers to that exercise: ``log(answers / holders)``,
   and 0 when more than half the answers hold it (a common approach is not
   evidence).  So a pair can only show up among four answers or more (every
   answer handed in counts, a blank one too).
5. **Similarity** of two answers is the weighted Jaccard index of their
   shingles: the weight they share over the weight either holds.  An answer
   with fewer than :data:`MIN_SHINGLES` distinctive shingles is left out.

Only pairs that share a rare shingle are ever compared: answers are indexed
by the rarest part of their shingles (a prefix filter: a pair that shares
nothing there cannot reach the threshold), so a large class is quick.

Submissions are hostile data: a graded copy that is missing, a link, not a
regular file, too large, not JSON or oddly shaped is skipped for that
student, and an answer longer than :data:`MAX_CODE_CHARS` is cut there.
"""
import builtins
import io
import json
import keyword
import math
import os
import re
import stat
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass

#: The similarity from which a pair is reported.  An answer copied and then
#: disguised (names, literals, comments, spacing) scores 1.0, and about 0.6
#: with two of its ten lines changed as well.  Answers written independently
#: along the same idea (lab1's loop versions of ``neurons``) score below 0.2,
#: and the closest two of the kit's prepared answers (both built on the same
#: one-line formula) 0.41.  Half sits between: the list is for a person to
#: read, so a doubtful pair is better shown than missed.
DEFAULT_THRESHOLD = 0.5

#: Tokens per shingle.  Five normalised tokens are about one small expression
#: (``np . maximum ( <num>``): enough to keep the order of a line, while one
#: edited token spoils only the five shingles that contain it.
SHINGLE_TOKENS = 5

#: The fewest distinctive shingles (not in the provided code) an answer needs
#: to be compared.  A line of one's own code of 10-15 tokens gives 14-19 of
#: them, so twenty asks for more than one line: a one-line answer
#: (``return np.dot(X, np.transpose(W)) + B``) is too short to tell copying
#: from two people having the same idea.
MIN_SHINGLES = 20

#: An answer is cut to this many characters before it is tokenized.  Exercises
#: take tens of lines; a cell of megabytes would only slow the comparison.
MAX_CODE_CHARS = 50_000

_NAME, _NUM, _STR = "<name>", "<num>", "<str>"
_END, _INDENT, _DEDENT = ";", "<indent>", "<dedent>"
_OPENERS, _CLOSERS = frozenset("([{"), frozenset(")]}")
_KEPT_ALWAYS = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
_MAGIC_LINE = re.compile(r"^\s*[%!]|\?\s*$|=\s*[%!]\w", re.MULTILINE)
# The fallback split: a comment, a string on one line, a number, a name, a
# line break, or any other single character.
_PLAIN = re.compile(r"""(?P<comment>\#[^\n]*)
                      |(?P<str>[rbfuRBFU]{0,2}("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
                      |(?P<num>\d[\w.]*)
                      |(?P<name>[^\W\d]\w*)
                      |(?P<newline>\n)
                      |(?P<op>\S)""", re.VERBOSE)
# The kinds of tokenize's tokens that count; comments, blank lines, the end
# and the text inside an f-string (Python 3.12 splits it) vanish.
_KINDS = {tokenize.NAME: "name", tokenize.NUMBER: "num", tokenize.STRING: "str",
          tokenize.NEWLINE: "newline", tokenize.INDENT: "indent",
          tokenize.DEDENT: "dedent", tokenize.OP: "op"}
if hasattr(tokenize, "FSTRING_START"):
    _KINDS[tokenize.FSTRING_START] = "str"


@dataclass(frozen=True)
class Pair:
    """Two students' answers to one exercise that look alike."""
    notebook: str            # e.g. "01_single_neuron"
    exercise: str            # the answer cell's grade_id, e.g. "neurons"
    students: tuple          # (a, b), sorted
    similarity: float        # 0..1, higher = more alike
    shared: int              # how many distinctive shingles both answers hold
    code: tuple              # (answer of a, answer of b) as submitted, for the instructor to read


# -- tokens --------------------------------------------------------------------
def _raw_tokens(code):
    """``[(kind, text)]`` of ``code``: kind is name, num, str, op, newline,
    indent or dedent.  Never raises."""
    tokens, rest = _tokenize(code)
    if rest and _MAGIC_LINE.search(code):
        python = _ipython_to_python(code)
        if python != code:
            again, left = _tokenize(python)
            if not left:
                tokens, rest = again, ""
    return _drop_docstrings(tokens + _plain_tokens(rest))


def _tokenize(code):
    """``(tokens, rest)``: what :mod:`tokenize` splits of ``code`` before it
    stops, and the text from there on (empty when it reached the end)."""
    out, reached = [], (1, 0)
    try:
        for kind, text, _, reached, _ in tokenize.generate_tokens(io.StringIO(code).readline):
            if kind in _KINDS:
                out.append((_KINDS[kind], text))
            elif kind == tokenize.ERRORTOKEN and text.strip():
                out.append(("op", text))      # a character Python does not know: ? $ !
    except Exception:       # TokenError, IndentationError, ...: whatever stops it
        row, col = reached
        lines = io.StringIO(code).readlines()     # numbered as tokenize numbers them
        return out, "".join(lines[row - 1:])[col:]
    return out, ""


def _plain_tokens(text):
    """What :func:`_raw_tokens` gives, for text :mod:`tokenize` cannot split."""
    return [(m.lastgroup, m.group()) for m in _PLAIN.finditer(text)
            if m.lastgroup != "comment"]


def _ipython_to_python(code):
    """IPython syntax (magics, shell escapes, help) as the Python it runs."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        text = TransformerManager().transform_cell(code)
        return text if isinstance(text, str) else code
    except Exception:       # IPython missing, or input it cannot transform
        return code


def _drop_docstrings(tokens):
    """``tokens`` without the strings that stand alone as a statement."""
    out, start = [], True
    i = 0
    while i < len(tokens):
        kind, _ = tokens[i]
        if start and kind == "str":
            j = i
            while j < len(tokens) and tokens[j][0] == "str":
                j += 1
            if j == len(tokens) or tokens[j][0] == "newline":
                i = j + 1
                continue
        out.append(tokens[i])
        start = kind in ("newline", "indent", "dedent")
        i += 1
    return out


def normalise(code, kept=frozenset()):
    """The normalised tokens of ``code`` (a list of strings).

    Names in ``kept`` (besides keywords and builtins), attribute names,
    keyword arguments (``dtype=``) and magics (``%timeit``) stay; every other
    name becomes ``<name>``, numbers ``<num>``, strings ``<str>``; comments,
    docstrings and formatting are gone.
    """
    out, depth = [], 0
    raw = _raw_tokens(code)
    for i, (kind, text) in enumerate(raw):
        if kind == "name":
            keyword_argument = depth > 0 and i + 1 < len(raw) and raw[i + 1][1] == "="
            if not (text in kept or text in _KEPT_ALWAYS or keyword_argument
                    or (out and out[-1] == ".") or _magic_name(out)):
                text = _NAME
        elif kind == "num":
            text = _NUM
        elif kind == "str":
            text = _STR
        elif kind == "newline" or text == ";":
            if not out or out[-1] in (_END, _INDENT, _DEDENT):
                continue
            text = _END
        elif kind == "indent":
            text = _INDENT
        elif kind == "dedent":
            text = _DEDENT
        elif text in _OPENERS:
            depth += 1
        elif text in _CLOSERS:
            depth = max(depth - 1, 0)
            if out and out[-1] == ",":
                out.pop()
        out.append(text)
    return out


def _magic_name(out):
    """Whether the next name is an IPython magic's (``%timeit``, ``%%time``):
    after a ``%`` that starts a statement."""
    i = len(out)
    while i and out[i - 1] == "%":
        i -= 1
    return i < len(out) and (i == 0 or out[i - 1] in (_END, _INDENT, _DEDENT))


def provided_names(code):
    """Names that ``code`` (provided code) defines or relies on: function and
    class names, parameters, and names it reads without assigning (``np``).
    A name assigned in its body is the author's own choice and is left out."""
    import ast
    try:
        tree = ast.parse(_ipython_to_python(code) if _MAGIC_LINE.search(code) else code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset(t for k, t in _raw_tokens(code) if k == "name")
    given, read, stored = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            given.add(node.name)
        elif isinstance(node, ast.arg):
            given.add(node.arg)
        elif isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, ast.alias):
            given.add(node.asname or node.name.split(".")[0])
    return frozenset(given | (read - stored))


def shingles(tokens, k=SHINGLE_TOKENS):
    """The set of runs of ``k`` consecutive tokens."""
    return {tuple(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


# -- comparing -----------------------------------------------------------------
def compare_answers(notebook, exercise, answers, provided=(), threshold=DEFAULT_THRESHOLD):
    """The pairs of ``answers`` (``{student: code}``, one exercise) that look
    alike, with a similarity of at least ``threshold``.

    ``provided``: code whose content is common knowledge (the release's cell,
    the instructor's solution); nothing in it counts.  A pair's ``shared``
    counts the shingles both hold that carry weight (not provided, held by at
    most half the answers); its ``code`` is each answer as given, cut at
    :data:`MAX_CODE_CHARS`.  Answers that are not strings are ignored.  Pure;
    sorted by similarity, highest first.
    """
    provided = [p[:MAX_CODE_CHARS] for p in provided if isinstance(p, str)]
    kept = frozenset().union(*(provided_names(p) for p in provided))
    common = set().union(*(shingles(normalise(p, kept)) for p in provided))
    texts = {s: c[:MAX_CODE_CHARS] for s, c in answers.items()
             if isinstance(s, str) and isinstance(c, str)}
    own, done = {}, {}      # the same text (the stub, the solution) is split once
    for student, code in texts.items():
        if code not in done:
            done[code] = shingles(normalise(code, kept)) - common
        if len(done[code]) >= MIN_SHINGLES:
            own[student] = done[code]
    weight = _weights(own, len(texts))
    held = {s: {x for x in sh if weight[x] > 0} for s, sh in own.items()}
    total = {s: math.fsum(weight[x] for x in sh) for s, sh in held.items()}
    pairs = []
    for a, b in _candidates(held, weight, total, threshold):
        both = held[a] & held[b]
        shared = math.fsum(weight[x] for x in both)
        union = total[a] + total[b] - shared
        similarity = shared / union if union > 0 else 0.0
        if both and similarity >= threshold:
            pairs.append(Pair(notebook, exercise, (a, b), similarity, len(both),
                              (texts[a], texts[b])))
    return sort_pairs(pairs)


def _weights(own, answers):
    """``{shingle: weight}``: ``log(answers / holders)``, or 0 for a shingle
    that more than half of the ``answers`` hold."""
    holders = Counter(x for sh in own.values() for x in sh)
    return {x: (math.log(answers / n) if 2 * n <= answers else 0.0)
            for x, n in holders.items()}


def _candidates(held, weight, total, threshold):
    """Sorted pairs of students that could reach ``threshold``.

    Every answer's shingles are put in one global order, rarest first; only
    the leading ones are indexed, up to where the rest weigh less than
    ``threshold`` of the whole.  Two answers whose similarity reaches the
    threshold share at least that much weight, so the first shingle they
    share (in that order) lies in both indexed parts.
    """
    index = defaultdict(list)
    margin = 1 - 1e-9      # rounding must never drop a true candidate
    for student in sorted(held):
        rest = total[student]
        for x in sorted(held[student], key=lambda x: (-weight[x], x)):
            if rest < threshold * total[student] * margin:
                break
            index[x].append(student)
            rest -= weight[x]
    found = set()
    for students in index.values():
        for i, a in enumerate(students):
            for b in students[i + 1:]:
                found.add((a, b))
    return sorted(found)


def sort_pairs(pairs):
    """``pairs`` by similarity, highest first (then notebook, exercise, students)."""
    return sorted(pairs, key=lambda p: (-p.similarity, p.notebook, p.exercise, p.students))


# -- a course's answers ----------------------------------------------------------
def lookalikes(course, assignment, students=None, threshold=DEFAULT_THRESHOLD):
    """Look-alike answers to every exercise of every notebook of ``assignment``.

    Answers come from the graded copies
    ``autograded/<student>/<assignment>/<notebook>.ipynb`` of ``students`` (by
    default everyone who submitted); the release's cell and the instructor's
    solution (from ``source/``, without the solution markers) are provided
    code.  A graded copy that cannot be read is skipped for that student.
    Sorted by similarity, highest first, across exercises.
    """
    from .intake import NAME
    students = course.students(assignment) if students is None else students
    students = [s for s in students
                if isinstance(s, str) and NAME.match(s) and s not in (".", "..")]
    pairs = []
    for notebook in course.notebooks(assignment):
        solutions = _answer_cells(_read_notebook(
            course.source / assignment / f"{notebook}.ipynb"), solutions_only=True)
        released = _answer_cells(_read_notebook(
            course.release / assignment / f"{notebook}.ipynb"))
        graded = {s: _answer_cells(_read_notebook(
            course.autograded / s / assignment / f"{notebook}.ipynb")) for s in students}
        for exercise, solution in solutions.items():
            provided = ["\n".join(line for line in solution.splitlines()
                                  if not _MARKER.match(line))]
            if exercise in released:
                provided.append(released[exercise])
            answers = {s: cells[exercise] for s, cells in graded.items() if exercise in cells}
            pairs.extend(compare_answers(notebook, exercise, answers, provided, threshold))
    return sort_pairs(pairs)


def _read_notebook(path):
    """The JSON of a notebook file, or ``None`` when it is missing, a link,
    not a regular file, larger than a graded copy may be, or not JSON."""
    from .unit import MAX_GRADED_BYTES
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_GRADED_BYTES:
                return None
            data = handle.read(MAX_GRADED_BYTES + 1)
        if len(data) > MAX_GRADED_BYTES:
            return None
        return json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError, MemoryError):
        return None


def _answer_cells(nb, solutions_only=False):
    """``{grade_id: source}`` of the code cells of a notebook's JSON that have a
    grade id (the first of each; with ``solutions_only`` only answer cells).
    Anything oddly shaped is passed over."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    found = {}
    for cell in cells if isinstance(cells, list) else ():
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        if not isinstance(meta, dict) or (solutions_only and meta.get("solution") is not True):
            continue
        gid, source = meta.get("grade_id"), cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if isinstance(gid, str) and isinstance(source, str) and gid not in found:
            found[gid] = source
    return found
