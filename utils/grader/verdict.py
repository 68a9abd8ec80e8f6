"""The verdict of a test cell, decided in the grading process.

A test cell's code (its visible checks and its hidden tests, both from the
instructor's copy) runs here, with the grader's own NumPy, check helpers and
reference answers.  Names the cell reads but does not define (the student's
functions and classes, the notebook's example data) are looked up in the
student's kernel and stand in as :class:`~utils.grader.remote.Remote`
proxies or as plain data.  So student code can change the values the test
receives, never the comparison, the expected values or the outcome.

:func:`run_test` returns a :class:`Verdict`; :func:`outputs` turns it into
the only outputs the graded cell keeps, which nbgrader then scores.
"""
import ast
import builtins
import contextlib
import io
import re
import traceback
import types
from dataclasses import dataclass

import numpy as np
from nbformat.v4 import new_output

from .. import checks
from . import remote

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
#: How a failed test reads in the graded notebook.
FAILED = "TestFailed"


@dataclass
class Verdict:
    """The outcome of one test cell."""
    passed: bool
    printed: str = ""          # what the test printed (the grader's own text)
    message: str = ""          # the full reason, for the instructor's graded copy
    feedback: str = ""         # the reason in words for the student
    hidden: bool = False       # the failing check was a hidden one
    flag: str = ""             # something the instructor should look at
    kernel_lost: str = ""      # the kernel stopped or hung: why, in words
    lost: object = None        # remote.Lost: how the kernel was lost (None: it was not)


def hidden_lines(source):
    """1-based numbers of the lines inside (and on) the hidden-test markers."""
    numbers, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip().startswith(HIDDEN_BEGIN):
            inside = True
        if inside:
            numbers.add(number)
        if line.strip().startswith(HIDDEN_END):
            inside = False
    return numbers


def visible_source(source, note="# (hidden tests ran here; they are not shown)"):
    """The cell source with each hidden region replaced by one comment line."""
    kept, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(HIDDEN_BEGIN):
            inside = True
            kept.append(line[: len(line) - len(line.lstrip())] + note)
            continue
        if inside:
            inside = not stripped.startswith(HIDDEN_END)
            continue
        kept.append(line)
    return "\n".join(kept)


# -- reading the cell ---------------------------------------------------------

class _Names(ast.NodeVisitor):
    """Names a cell reads, and names it binds anywhere."""

    def __init__(self):
        self.read, self.bound = set(), set()

    def visit_Name(self, node):
        (self.read if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)

    def _define(self, node):
        self.bound.add(node.name)
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _define

    def visit_arg(self, node):
        self.bound.add(node.arg)

    def visit_alias(self, node):
        self.bound.add((node.asname or node.name).split(".")[0])

    def visit_ExceptHandler(self, node):
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)


class _MarkSources(ast.NodeTransformer):
    """Let functions, lambdas and classes of the cell remember their source text,
    so that a test can hand them to the kernel."""

    def __init__(self, source):
        self.source = source

    def _segment(self, node):
        return ast.get_source_segment(self.source, node, padded=True) or ""

    def visit_Lambda(self, node):
        text = self._segment(node).strip()
        self.generic_visit(node)
        return ast.copy_location(ast.Call(ast.Name("__nnkit_source__", ast.Load()),
                                          [node, ast.Constant(text)], []), node)

    def _define(self, node):
        text = self._segment(node)
        self.generic_visit(node)
        node.decorator_list.append(ast.Call(
            ast.Name("__nnkit_define__", ast.Load()), [ast.Constant(text)], []))
        return node

    visit_FunctionDef = visit_ClassDef = _define


def _numpy(session):
    """The grader's NumPy, except that ``np.random.seed`` and ``set_state`` also
    tell ``session`` to hand the kernel the seeded stream (even when it is
    seeded twice to the same state)."""
    def marked(function):
        def wrapper(*args, **kwargs):
            session.random_touched = True
            return function(*args, **kwargs)
        return wrapper

    random = types.ModuleType("numpy.random")
    random.__dict__.update(vars(np.random))
    random.seed, random.set_state = marked(np.random.seed), marked(np.random.set_state)
    view = types.ModuleType("numpy")
    view.__dict__.update(vars(np))
    view.random = random
    return view


def _namespace(session):
    """What a test cell finds besides the student's names."""
    space = {"__builtins__": builtins, "__name__": "__nnkit_test__", "np": _numpy(session)}
    for name in checks.__all__:
        space[name] = getattr(checks, name)

    def run_quietly(name, func, *args, **kwargs):
        session.quiet = True
        try:
            return checks.run_quietly(name, func, *args, **kwargs)
        finally:
            session.quiet = False

    def define(text):
        def mark(obj):
            remote.mark_source(obj, text)
            if isinstance(obj, type):
                obj.__nnkit_globals__ = space
            return obj
        return mark

    def lend(**names):
        session.lend(**names)
        space.update(names)          # the test's own name means the lent version too

    space.update(run_quietly=run_quietly, lend=lend, in_kernel=session.in_kernel,
                 __nnkit_source__=remote.mark_source, __nnkit_define__=define)
    return space


# -- running it ---------------------------------------------------------------

def run_test(source, session, label="test"):
    """Run one test cell against the student's kernel; return its :class:`Verdict`."""
    filename = f"<test {label}>"
    tree = ast.parse(source, filename)
    names = _Names()
    names.visit(tree)
    tree = ast.fix_missing_locations(_MarkSources(source).visit(tree))
    space = _namespace(session)
    printed = io.StringIO()
    session.own_output = None          # what the kernel prints while names are looked up is dropped
    try:
        wanted = sorted(names.read - names.bound - set(space) - set(dir(builtins)))
        for name in wanted:
            try:
                space[name] = session.name(name)
            except NameError:
                pass                       # used, it fails as a clear NameError
        if "np.random." in source:
            session.adopt_random_state()     # the test continues the notebook's stream
        session.own_output = printed
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, filename, "exec"), space)  # noqa: S102 - the instructor's test
        return Verdict(True, printed.getvalue())
    except remote.KernelLost as err:
        return Verdict(False, printed.getvalue(), f"the kernel {err.why}",
                       f"Your code stopped the kernel while this test ran ({err.why}).",
                       kernel_lost=err.why, lost=err.kind)
    except remote.NoAnswer as err:
        why = f"{err}; the grader's interface in the kernel was changed or broken"
        return Verdict(False, printed.getvalue(), why,
                       "The grader could not get answers from your notebook's kernel: "
                       "something in your code changed how the kernel runs code.",
                       flag=f"no valid answer from the kernel ({err})")
    except remote.CannotSend as err:
        why = f"the test could not send a value to the kernel: {err}"
        return Verdict(False, printed.getvalue(), why,
                       "This test could not run (a problem of the test, not of your code); "
                       "your instructor will look at it.", flag=why)
    except remote.BadAnswer as err:
        return Verdict(False, printed.getvalue(), instructor_text(f"unreadable answer: {err}"),
                       "Your code returned something the grader cannot read (not an "
                       "array of numbers, a number, a string or a list of them).")
    except Exception as err:  # noqa: BLE001 - every failure of a test is its verdict
        lines = _test_lines(err, filename)
        line = lines[-1] if lines else None
        # A check of the hidden region, or one it reached through a function of
        # the cell, is a hidden check.
        hidden = bool(set(lines) & hidden_lines(source))
        message = instructor_text(f"{type(err).__name__}: {err}")
        return Verdict(False, printed.getvalue(), message,
                       feedback(err, hidden, source=source, line=line), hidden)
    finally:
        session.quiet = False
        session.own_output = None


def _test_lines(err, filename):
    """The lines of the test cell on the way to ``err``, outermost first."""
    return [number for frame, number in traceback.walk_tb(err.__traceback__)
            if frame.f_code.co_filename == filename]


# -- what the student reads ---------------------------------------------------

_KIND_WORDS = {
    "type": "the result is not of the expected type",
    "shape": "the result has the wrong shape",
    "values": "the result has the right shape but wrong values",
    "nan": "the result contains inf or nan",
    "unchanged": "your function changed its input",
    "missing": "the function is not written yet",
    "warning": "NumPy printed a warning (overflow or division by zero)",
}


def _subject(name):
    """'neurons(X, W, B) with L=5, N=2' -> 'neurons(X, W, B)'."""
    text = str(name)
    for cut in (" with ", " for ", " after ", " against ", " made ", " of a "):
        if cut in text:
            text = text.split(cut, 1)[0]
    return text.strip()[:80]


#: A number written in a test's text (not a digit inside a name such as W1).
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def _hidden_subject(name):
    """What a hidden check checked, without the numbers of its inputs:
    'relu(-3.0)' -> 'relu(…)', 'Neuron(4, rng=7).forward(x)' -> 'Neuron(…, rng=…).forward(x)'."""
    return _NUMBER.sub("…", _subject(name))


def instructor_text(text, limit=500):
    """``text`` for the instructor's graded copy: no control characters but
    line breaks, and at most ``limit`` characters."""
    text = "".join(c if c.isprintable() or c in "\n\t" else "?" for c in str(text))
    return text if len(text) <= limit else text[:limit] + " …"


def diagnose(got, expected):
    """A likely mistake, in words, from a wrong result and the right one."""
    try:
        got, expected = np.asarray(got, float), np.asarray(expected, float)
    except (TypeError, ValueError):
        return ""
    if got.shape != expected.shape or not got.size or not np.all(np.isfinite(got)):
        return ""
    close = lambda a, b: np.allclose(a, b, rtol=1e-5, atol=1e-8)  # noqa: E731
    if close(got, -expected):
        return "the sign is flipped"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got, expected.T):
        return "the result is transposed"
    nonzero = np.abs(expected) > 1e-12
    if nonzero.any():
        factor = np.median(got[nonzero] / expected[nonzero])
        if factor != 0 and close(got, factor * expected):
            return ("every value is off by the same factor: a missing or extra constant "
                    "(a 1/L, a 2, the learning rate)?")
    offset = np.median(got - expected)
    if close(got, expected + offset):
        return "every value is off by the same amount: check the bias or an added constant"
    wrong = ~np.isclose(got, expected, rtol=1e-6, atol=1e-9)
    if wrong.all():
        return "every value differs"
    return "some values are right and others are not: check the edge cases"


def _from_student(err):
    """Whether ``err`` is what student code raised in the kernel."""
    return getattr(err, "from_student", False) is True or isinstance(err, remote.StudentError)


def _error_name(err):
    """The name of the error behind ``err`` if it is one of Python's own
    (:data:`remote.SAFE_ERRORS`), else ``None``: a class student code made is
    never named, whatever it is called."""
    if isinstance(err, checks.CheckFailed):
        name = err.got if err.kind == "raised" else None
        return name if isinstance(name, str) and name in remote.SAFE_ERRORS else None
    name = type(err).__name__
    return name if remote.SAFE_ERRORS.get(name) is type(err) else None


def _raised(err, who="your code"):
    name = _error_name(err)
    return f"{who} raised {name}" if name else f"{who} raised an error"


def _tree(source):
    try:
        return ast.parse(source or "")
    except (SyntaxError, ValueError):
        return None


def _spanning(tree, line, kinds):
    """The nodes of ``kinds`` whose lines include ``line``, innermost first."""
    if tree is None or line is None:
        return []
    found = [node for node in ast.walk(tree) if isinstance(node, kinds)
             and node.lineno <= line <= (node.end_lineno or node.lineno)]
    return sorted(found, key=lambda node: ((node.end_lineno or node.lineno) - node.lineno,
                                           -node.col_offset))


#: Checks whose third argument is the expected value (or shape).
_EXPECTING = {"check_shape": "expected_shape", "check_array": "shape",
              "check_close": "expected", "check_equal": "expected"}
#: NumPy calls that make an array of literals: np.array([[1, 2]]), np.zeros(3).
_MAKERS = {"array", "asarray", "zeros", "ones", "full", "arange", "eye"}


def _called(node):
    func = node.func
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None


def _literal(node):
    """Whether ``node`` is a value written out in the test (``(2, 4)``, ``0.5``,
    ``[[1.0, 2.0]]``, ``np.zeros(3)``), not one computed from anything."""
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "np"
            and node.func.attr in _MAKERS
            and all(_literal(a) for a in node.args)
            and all(k.arg and _literal(k.value) for k in node.keywords))


def _expected_written_out(source, line):
    """Whether every check called on the failing line is given its expected value
    as a literal of the test: only then may the feedback repeat it (an expected
    value computed from the student's objects would carry their values)."""
    calls = [c for c in _spanning(_tree(source), line, ast.Call) if _called(c) in _EXPECTING]
    if not calls:
        return False
    for node in calls:
        keyword = _EXPECTING[_called(node)]
        given = node.args[2] if len(node.args) > 2 else next(
            (k.value for k in node.keywords if k.arg == keyword), None)
        if given is not None and not _literal(given):
            return False
    return True


def _written(node):
    """The text of a message written in the test: a string as it is, an
    f-string with each ``{...}`` as '…'; ``None`` for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "…"
                       for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _written(node.left), _written(node.right)
        if left is not None or right is not None:
            return (left if left is not None else "…") + (right if right is not None else "…")
    return None


def _said_in_source(err, source, line):
    """What the failing ``assert`` or ``raise`` of the test says, from its
    source: the values it would put in its message left out.  ``None`` when
    the error did not come from such a statement."""
    statements = _spanning(_tree(source), line, (ast.Assert, ast.Raise))
    if not statements:
        return None
    node = statements[0]
    if isinstance(node, ast.Assert):
        if not isinstance(err, AssertionError):
            return None
        message = node.msg
    else:
        made = node.exc
        called = _called(made) if isinstance(made, ast.Call) else \
            made.id if isinstance(made, ast.Name) else None
        if called != type(err).__name__:
            return None
        message = made.args[0] if isinstance(made, ast.Call) and made.args else None
    text = _written(message) if message is not None else None
    return text.strip()[:1000] if text and text.strip() else "A check failed."


def _undefined_name(err, source):
    """The name a ``NameError`` of the test's own code is about, if the visible
    test uses it; else ``None``."""
    name = getattr(err, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    return name if re.search(rf"(?<![\w.]){re.escape(name)}\b", visible_source(source or "")) \
        else None


def _visible_feedback(err, source, line):
    if _from_student(err):
        return f"{_raised(err, 'Your code')}: run this test in your notebook to see the message."
    if isinstance(err, checks.CheckFailed) and err.public is not None:
        if err.bare != err.public and not _expected_written_out(source, line):
            return err.bare
        return err.public
    said = _said_in_source(err, source, line)
    if said is not None:
        return said
    if isinstance(err, NameError):
        name = _undefined_name(err, source)
        if name:
            return (f"The test uses `{name}`, which your notebook does not define: "
                    "write it, or run the cell that defines it.")
        return "A name the test uses is not defined in your notebook."
    if isinstance(err, AssertionError):
        return "A check failed: run this test in your notebook to see why."
    return (f"The test stopped with {_error_name(err) or 'an error'}: run this test in "
            "your notebook to see why.")


def _hidden_feedback(err):
    kind = err.kind if isinstance(err, checks.CheckFailed) else None
    subject = _hidden_subject(err.subject or "") if kind else ""
    clue = ""
    if _from_student(err) or kind == "raised":
        what = _raised(err)
    elif isinstance(err, NameError):
        what = "a name the test uses is not defined"
    elif kind in _KIND_WORDS:
        what = _KIND_WORDS[kind]
        try:
            if kind == "values":
                clue = diagnose(err.got, err.expected)
            elif kind == "shape" and err.got is not None:
                clue = checks._shape_hint(tuple(err.got), tuple(err.expected)) or ""
        except Exception:  # noqa: BLE001 - a clue is a help, never a reason to fail
            clue = ""
        clue = clue[:1].lower() + clue[1:].rstrip(".")
    elif isinstance(err, AssertionError):
        what = ""
    else:
        what = "the test could not work with what your code gave it"
    about = f" ({subject})" if subject else ""
    said = (f"A hidden check failed{about}" + (f": {what}" if what else "")
            + (f"; {clue}" if clue else ""))
    return (said + ("" if said.endswith("?") else ".")
            + " It used inputs you have not seen: try your code on other shapes and "
              "values, as the exercise describes.")


def feedback(err, hidden, source=None, line=None):
    """What the student's feedback says about a failed check.

    Nothing that student code produced is repeated: no value, repr, shape,
    name or message from the kernel.  A visible check says what it says in
    the student's notebook without those (:attr:`CheckFailed.public`; a
    test's own ``assert`` or ``raise`` from its ``source`` at ``line``, with
    the values of an f-string left out); the student sees the rest by
    running the cell.  A hidden check says in words what went wrong, never
    its inputs, source or expected values.
    """
    return _hidden_feedback(err) if hidden else _visible_feedback(err, source, line)


def outputs(verdict):
    """The graded cell's outputs: the test's own printout and its verdict, nothing else."""
    found = []
    if verdict.printed:
        found.append(new_output("stream", name="stdout", text=verdict.printed))
    if not verdict.passed:
        message = instructor_text(verdict.message)
        found.append(new_output("error", ename=FAILED, evalue=message,
                                traceback=[f"{FAILED}: {message}"]))
    return found
