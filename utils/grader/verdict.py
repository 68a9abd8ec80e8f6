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
    kernel_lost: str = ""      # the kernel stopped or hung: why


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
    session.own_output = printed
    try:
        wanted = sorted(names.read - names.bound - set(space) - set(dir(builtins)))
        for name in wanted:
            try:
                space[name] = session.name(name)
            except NameError:
                pass                       # used, it fails as a clear NameError
        if "np.random." in source:
            session.adopt_random_state()     # the test continues the notebook's stream
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, filename, "exec"), space)  # noqa: S102 - the instructor's test
        return Verdict(True, printed.getvalue())
    except remote.KernelLost as err:
        return Verdict(False, printed.getvalue(), f"the kernel {err.why}",
                       f"Your code stopped the kernel while this test ran ({err.why}).",
                       kernel_lost=err.why)
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
        return Verdict(False, printed.getvalue(), f"unreadable answer: {err}",
                       "Your code returned something the grader cannot read (not an "
                       f"array of numbers, a number, a string or a list of them): {err}.")
    except Exception as err:  # noqa: BLE001 - every failure of a test is its verdict
        line = _failing_line(err, filename)
        hidden = line in hidden_lines(source)
        message = f"{type(err).__name__}: {err}"
        return Verdict(False, printed.getvalue(), message, feedback(err, hidden), hidden)
    finally:
        session.quiet = False


def _failing_line(err, filename):
    line = None
    for frame, number in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == filename:
            line = number
    return line


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


def feedback(err, hidden):
    """What the student's feedback says about a failed check.

    A visible check keeps its message, except what the student's own code
    raised (that text came from the kernel).  A hidden check says in words
    what went wrong, never its inputs, source or expected values.
    """
    kind = getattr(err, "kind", None) if isinstance(err, checks.CheckFailed) else None
    subject = _subject(getattr(err, "subject", "") or "")
    if kind == "raised":
        said = f"{subject} raised {err.got}" if subject else f"your code raised {err.got}"
        return said + (" on a hidden test's inputs." if hidden else
                       ": run this test in your notebook to see the message.")
    if not hidden:
        if isinstance(err, AssertionError) and kind is not None:
            return str(err)
        if isinstance(err, AssertionError):
            return str(err).splitlines()[0] if str(err) else "A check failed."
        if isinstance(err, remote.StudentError):
            return (f"your code raised {str(err).split(':')[0]}: run this test in your "
                    "notebook to see the message.")
        if getattr(err, "from_student", False):
            return (f"your code raised {type(err).__name__}: run this test in your "
                    "notebook to see the message.")
        return f"The test stopped with {type(err).__name__}: {err}"
    what = _KIND_WORDS.get(kind, "a hidden check failed")
    if isinstance(err, NameError):
        what = f"a name the test uses is not defined ({err})"
    elif getattr(err, "from_student", False) or isinstance(err, remote.StudentError):
        what = "your code raised an error"
    clue = diagnose(err.got, err.expected) if kind == "values" else ""
    if kind == "shape" and err.got is not None:
        got, want = tuple(err.got), tuple(err.expected)
        clue = checks._shape_hint(got, want) or ""
    about = f" ({subject})" if subject else ""
    return (f"A hidden check failed{about}: {what}" + (f"; {clue}" if clue else "")
            + ". It used inputs you have not seen: try your code on other shapes and "
              "values, as the exercise describes.")


def outputs(verdict):
    """The graded cell's outputs: the test's own printout and its verdict, nothing else."""
    found = []
    if verdict.printed:
        found.append(new_output("stream", name="stdout", text=verdict.printed))
    if not verdict.passed:
        found.append(new_output("error", ename=FAILED, evalue=verdict.message,
                                traceback=[f"{FAILED}: {verdict.message}"]))
    return found
