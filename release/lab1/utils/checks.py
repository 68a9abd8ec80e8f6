"""Friendly checks for the tests in the notebooks.

Every check raises :class:`CheckFailed` (an ``AssertionError``) with a message
written for someone who is new to NumPy: what was expected, what came, and
where it can tell, the likely mistake.  The tests check in the order
type, then shape, then values, so the first message a student sees is about
the most basic problem.

Example::

    >>> check_shape("neurons(X, W, B)", np.zeros((4, 2)), (2, 4))
    Traceback (most recent call last):
    ...
    CheckFailed: neurons(X, W, B) should have shape (2, 4), but it has shape (4, 2).
    That is the expected shape the other way round: is a transpose missing, or one too many?
"""
import builtins
import keyword
import linecache
import numbers
import re
import sys
import traceback
import warnings

import numpy as np

__all__ = [
    "CheckFailed", "describe", "check_array", "check_shape", "check_scalar",
    "check_close", "check_equal", "check_unchanged", "call", "run_quietly",
    "passed", "not_written", "not_made", "uses",
]


class CheckFailed(AssertionError):
    """A check in a notebook test failed; the message says why.

    ``kind`` names what was wrong (``"type"``, ``"shape"``, ``"values"``,
    ``"nan"``, ``"unchanged"``, ``"missing"``, ``"raised"``, ``"warning"``),
    ``subject`` what was checked, and for values ``got`` and ``expected``.

    ``public`` is the same sentence without anything the checked code
    produced (its values, shapes, types' names, error messages): what a
    feedback page may repeat.  ``bare`` leaves out the expected values too,
    for when they may not come from the test itself.  Both are ``None`` for
    a ``CheckFailed`` raised by hand.
    """

    def __init__(self, message, kind="values", subject="", got=None, expected=None,
                 public=None, bare=None):
        super().__init__(message)
        self.kind, self.subject, self.got, self.expected = kind, subject, got, expected
        self.public = public
        self.bare = bare if bare is not None else public


def _fail(message, hint=None, cause=None, public=None, bare=None, **details):
    __tracebackhide__ = True
    if hint:
        message = f"{message}\n{hint}"
        public = f"{public}\n{hint}" if public else public
        bare = f"{bare}\n{hint}" if bare else bare
    raise CheckFailed(message, public=public, bare=bare, **details) \
        from None if cause is None else cause


def describe(value):
    """Say in a few words what ``value`` is: 'an array of shape (2, 4)', 'None'."""
    if value is None:
        return "None (did the function forget to `return` its result?)"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"a 0-d array holding {value.item()!r}"
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {value!r}"
    if isinstance(value, numbers.Number):
        return f"the number {value!r} ({type(value).__name__})"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a value of type {type(value).__name__}"


def _sort_of(value):
    """What kind of value ``value`` is, in fixed words that repeat none of it."""
    if value is None:
        return "None (did the function forget to `return` its result?)"
    if isinstance(value, (bool, np.bool_)):
        return "a boolean"
    if isinstance(value, np.ndarray):
        return "a 0-d array" if value.ndim == 0 else "an array"
    if isinstance(value, numbers.Number):
        return "a number"
    for kind, words in ((list, "a list"), (tuple, "a tuple"), (str, "a string"),
                        (dict, "a dict")):
        if isinstance(value, kind):
            return words
    return "a value of another type"


#: Exceptions a feedback page may name: some of Python's own, never a class
#: student code made (whatever it is called).
PLAIN_ERRORS = frozenset((
    "ArithmeticError", "AssertionError", "AttributeError", "FloatingPointError",
    "IndexError", "KeyError", "LookupError", "MemoryError", "NameError",
    "NotImplementedError", "OverflowError", "RecursionError", "RuntimeError",
    "RuntimeWarning", "StopIteration", "TypeError", "UnboundLocalError", "UnicodeError",
    "ValueError", "ZeroDivisionError"))


def _plain_error_name(err):
    """The name of ``err``'s type if it is one of Python's own exceptions, else None."""
    name = type(err).__name__
    return name if name in PLAIN_ERRORS and getattr(builtins, name, None) is type(err) else None


def _short_repr(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _shape_hint(got, expected):
    """Guess the mistake behind a wrong shape."""
    if len(got) == len(expected) and tuple(reversed(got)) == tuple(expected):
        return ("That is the expected shape the other way round: "
                "is a transpose missing, or one too many?")
    if len(got) + 1 == len(expected) and int(np.prod(got)) == int(np.prod(expected)):
        return ("One dimension is missing: keep the result 2-D "
                "(for example with keepdims=True, or without .flatten()).")
    if len(got) == len(expected) + 1 and int(np.prod(got)) == int(np.prod(expected)):
        return "There is one dimension too many: look for an extra reshape or [:, None]."
    if len(got) == len(expected) and int(np.prod(got)) == int(np.prod(expected)):
        return "Same number of entries in another layout: check how the result was reshaped."
    return None


def check_array(name, value, shape=None, hint=None):
    """Check that ``value`` is a NumPy array, and of ``shape`` if given."""
    __tracebackhide__ = True
    if not isinstance(value, np.ndarray):
        _fail(f"{name} should be a NumPy array, but it is {describe(value)}.",
              hint or "Build the result with NumPy operations or wrap it in np.array(...).",
              public=f"{name} should be a NumPy array, but it is {_sort_of(value)}.",
              kind="type", subject=name)
    if not np.issubdtype(value.dtype, np.number) and value.dtype != np.bool_:
        _fail(f"{name} should hold numbers, but its dtype is {value.dtype}.", hint,
              public=f"{name} should hold numbers, but its dtype is not a number type.",
              kind="type", subject=name)
    if shape is not None:
        check_shape(name, value, shape, hint)


def check_shape(name, value, expected_shape, hint=None):
    """Check that ``value`` (an array) has ``expected_shape``."""
    __tracebackhide__ = True
    got = tuple(np.shape(value))
    expected_shape = tuple(expected_shape)
    if got != expected_shape:
        guess = _shape_hint(got, expected_shape)
        lines = [h for h in (guess, hint) if h]
        _fail(f"{name} should have shape {expected_shape}, but it has shape {got}.",
              "\n".join(lines) or None, kind="shape", subject=name, got=got,
              expected=expected_shape,
              public=f"{name} should have shape {expected_shape}, but it has another shape.",
              bare=f"{name} has the wrong shape.")


def check_scalar(name, value, hint=None):
    """Check that ``value`` is a single real number (Python or NumPy)."""
    __tracebackhide__ = True
    ok = isinstance(value, numbers.Real) or (
        isinstance(value, np.ndarray) and value.ndim == 0
        and np.issubdtype(value.dtype, np.number))
    if not ok or isinstance(value, (bool, np.bool_)):
        if hint is None and isinstance(value, np.ndarray) and value.size == 1:
            hint = ("You have an array with one entry: take the number out "
                    "with .item() or float(...).")
        _fail(f"{name} should be a single number, but it is {describe(value)}.", hint,
              public=f"{name} should be a single number, but it is {_sort_of(value)}.",
              kind="type", subject=name)


def _first_difference(got, expected, rtol, atol):
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=False)
    count = int(np.count_nonzero(bad))
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if np.ndim(bad) else ()
    g = got[index] if np.ndim(got) else got
    e = expected[index] if np.ndim(expected) else expected
    return count, index, float(g), float(e)


def check_close(name, value, expected, rtol=1e-6, atol=1e-9, hint=None):
    """Check that ``value`` equals ``expected`` up to a small tolerance.

    Shapes must match exactly (no broadcasting), then every entry must be
    within ``atol + rtol * |expected|`` of the expected one.
    """
    __tracebackhide__ = True
    expected = np.asarray(expected, dtype=float)
    if expected.ndim == 0:
        check_scalar(name, value, hint)
    else:
        check_array(name, value, expected.shape, hint)
    got = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        _fail(f"{name} contains inf or nan: {got!r}.",
              hint or "Look for a division by zero or an overflowing np.exp.",
              public=f"{name} contains inf or nan.", kind="nan", subject=name)
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        count, index, g, e = _first_difference(got, expected, rtol, atol)
        if expected.ndim == 0:
            _fail(f"{name} should be {e:.10g}, but it is {g:.10g}.", hint,
                  public=f"{name} should be {e:.10g}, but it is another number.",
                  bare=f"{name} is not the right number.",
                  subject=name, got=got, expected=expected)
        where = f" at index {index}" if index else ""
        of = f" ({count} of {expected.size} entries differ)" if expected.size > 1 else ""
        _fail(f"{name} has the right shape but wrong values{of}: "
              f"expected {e:.10g}{where}, got {g:.10g}.", hint,
              public=f"{name} has the right shape but wrong values.",
              subject=name, got=got, expected=expected)


def check_equal(name, value, expected, hint=None):
    """Check that ``value`` equals ``expected`` exactly (ints, labels, tuples)."""
    __tracebackhide__ = True
    if isinstance(expected, np.ndarray):
        check_array(name, value, expected.shape, hint)
        if not np.array_equal(value, expected):
            count, index, g, e = _first_difference(
                np.asarray(value, float), expected.astype(float), 0, 0)
            _fail(f"{name} has {count} wrong entries: expected {e:.6g} at index "
                  f"{index}, got {g:.6g}.", hint,
                  public=f"{name} has the right shape but some wrong entries.", subject=name)
        return
    if value != expected:
        _fail(f"{name} should be {expected!r}, but it is {value!r}.", hint,
              public=f"{name} should be {_short_repr(expected)}, but it is something else.",
              bare=f"{name} is not what it should be.", subject=name)


def check_unchanged(name, before, after, hint=None, put_back=False):
    """Check that an input array was not modified by the function under test.

    ``put_back=True`` for a function that may change its input while it works
    (a gradient check nudging one weight at a time) but must leave it as it was.
    """
    __tracebackhide__ = True
    if not np.array_equal(before, after):
        if put_back:
            said = (f"{name} was left changed by your function: it may change an entry "
                    "while it works, but must put it back before it goes on.")
            hint = hint or ("After computing with the nudged entry, set it back to the "
                            "value it had (keep that value in a variable first).")
        else:
            said = (f"{name} was changed by your function: it should compute a new "
                    "array and leave its input as it was.")
            hint = hint or ("Copy first (Z = Z.copy()) or use an expression such as "
                            "np.maximum(...) that builds a new array.")
        _fail(said, hint, public=said, kind="unchanged", subject=name)


def _argument_names(name, count):
    """'neurons(X, W, B)' -> ['X', 'W', 'B']; numbered names otherwise."""
    inside = name[name.find("(") + 1:name.rfind(")")] if "(" in name else ""
    names = [part.strip() for part in inside.split(",") if part.strip()]
    if len(names) != count:
        names = [f"argument {k + 1}" for k in range(count)]
    return names


def not_written(name, notebook=None):
    """The one line that says an exercise is still to write, the same everywhere.

    ``name`` is the function or method (``"relu"``, ``"Neuron.__init__"``), ``None``
    for a cell whose own code is the exercise; ``notebook`` the earlier notebook
    (``"01_single_neuron"``) it was loaded from.  Short on purpose: with the
    course's names it stays within 80 characters, so ``nbgrader validate``
    (which cuts longer lines) shows all of it.
    """
    if notebook:
        return f"{name} in {notebook} is not written yet: write it there."
    if name is None:
        return "This cell is not written yet: write your code in it."
    return f"{name} is not written yet: write it in its cell."


def not_made(variable, name=None):
    """The line for a name that an unwritten exercise kept a cell from making."""
    because = f"{name} is not written yet" if name else "a cell above is not written yet"
    return f"{variable} is not made yet: {because}."


def _exercise_name(call_text):
    """``"relu(Z)"`` -> ``"relu"``: the function a test's call names, when it names one
    (``"len(loader)"`` stays as it is)."""
    head = call_text.split("(", 1)[0].strip()
    parts = head.split(".")
    if head and "(" in call_text and all(p.isidentifier() for p in parts) \
            and not (len(parts) == 1 and hasattr(builtins, head)):
        return head
    return call_text


def _unwritten(name, err):
    """Fail with the one line for the unwritten exercise that raised ``err``
    while ``name`` (a call of a test) ran."""
    __tracebackhide__ = True
    frames = list(traceback.walk_tb(err.__traceback__))
    code = frames[-1][0].f_code if frames else None
    earlier = _earlier_notebook(code.co_filename) if code else None
    if earlier:      # an earlier notebook's answer that this one loaded
        said = not_written(getattr(code, "co_qualname", code.co_name),
                           earlier.removesuffix(".ipynb"))
        _fail(said, cause=err, public=f"{_exercise_name(name)} needs an exercise of an "
                                      "earlier notebook that is not written yet.",
              kind="missing", subject=name)
    shell = _shell()
    in_cell = code is not None and shell is not None \
        and _cell_name(shell, code.co_filename) is not None
    said = not_written(getattr(code, "co_qualname", code.co_name) if in_cell
                       else _exercise_name(name))
    _fail(said, cause=err, public=said, kind="missing", subject=name)


def _error_advice(err):
    """What a NumPy shape error usually means, or ``None``."""
    text = str(err)
    if not isinstance(err, ValueError):
        return None
    if text.startswith("matmul:") or "not aligned" in text:
        return ("A matrix product A @ B needs as many columns in A as rows in B: check "
                "the order of the two factors (W @ X or X @ W?) against the shapes "
                "the text gives, and whether one of them needs a transpose.")
    if "could not be broadcast" in text:
        return ("Two arrays of different shapes were combined entry by entry: compare "
                "their shapes with the ones the text gives (a transpose, or a row "
                "where a column is needed?).")
    return None


def call(name, func, *args, **kwargs):
    """Call a function under test; turn a crash into an explanation.

    ``name`` is how the call reads in the message, for example
    ``"neurons(X, W, B)"``: the argument names in it are used to describe
    what the function was given.
    """
    __tracebackhide__ = True
    try:
        return func(*args, **kwargs)
    except NotImplementedError as err:
        _unwritten(name, err)
    except Exception as err:  # any error in student code becomes a clear failure
        given = "; ".join(f"{n} is {describe(a)}"
                          for n, a in zip(_argument_names(name, len(args)), args))
        where = _where_in_cells(err.__traceback__)
        hint = "\n".join(line for line in (
            f"It happened in {where}." if where else None,
            f"It was called with: {given}." if given else None,
            _error_advice(err)) if line)
        error = _plain_error_name(err)
        raised = f"raised {error}" if error else "raised an error"
        # The hint describes what the function was given: not for a feedback page.
        public = f"{name} {raised}: run this test in your notebook to see the message."
        raise CheckFailed(f"{name} raised {type(err).__name__}: {err}"
                          + (f"\n{hint}" if hint else ""), kind="raised", subject=name,
                          got=type(err).__name__, public=public) from err


#: What a NumPy warning of each kind usually means, for :func:`run_quietly`.
WARNING_ADVICE = (
    ("overflow", "an overflow",
     "A number grew too large for a float (np.exp of a number above about 709 is inf). "
     "Rewrite the formula so that np.exp only ever sees numbers that are not large and "
     "positive. np.where(condition, a, b) does not help on its own: NumPy computes a and "
     "b for every entry before it chooses, so np.exp inside it still sees the large "
     "numbers (clip its input first, or compute each branch only where it applies)."),
    ("invalid", "an invalid value",
     "0/0, inf - inf or 0 * inf came up. Often an earlier step went out of range: np.exp "
     "of a very negative number is exactly 0 (an underflow), so a ratio of such numbers "
     "is 0/0, and np.exp of a large number is inf. Shift the numbers before np.exp so "
     "that the largest one it sees in each group is 0."),
    ("divide", "a division by zero",
     "A denominator became 0, or np.log got 0: look for a sum of np.exp values that all "
     "underflowed to 0, or a probability of exactly 0."),
)


def run_quietly(name, func, *args, hint=None, **kwargs):
    """Call ``func`` and fail with a clear message if NumPy warns.

    Overflow in ``np.exp`` or a division by zero only prints a warning, which
    is easy to miss; under grading any warning costs the test.  This turns
    such a warning into an explanation of that kind of warning, followed by
    the test's own ``hint``.  An unwritten ``func`` gets its one line, as in
    :func:`call`.
    """
    __tracebackhide__ = True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            try:
                return func(*args, **kwargs)
            except NotImplementedError as err:
                _unwritten(name, err)
            except (FloatingPointError, RuntimeWarning) as err:
                text = str(err).lower()
                what, advice = ("an overflow, a division by zero or an invalid value",
                                "Some intermediate value overflowed or divided by zero.")
                for word, kind, said in WARNING_ADVICE:
                    if word in text:
                        what, advice = kind, said
                        break
                _fail(f"{name} triggered a NumPy warning: {err}.",
                      "\n".join(h for h in (advice, hint) if h),
                      public=f"{name} triggered a NumPy warning ({what}).",
                      kind="warning", subject=name)


def uses(assignment, **earlier):
    """Check the earlier exercises a test calls before the test checks its own.

    A test of ``train_loop`` runs your ``forward_propagation`` too; when that
    one is wrong, every later test fails, each blaming its own function.  So
    a test that calls earlier exercises names them first::

        uses("hw1", sigmoid=sigmoid, forward_propagation=forward_propagation)

    and each is tried, in that order, on the small fixed example of
    ``utils/prerequisites/<assignment>.py`` (the inputs and results of its own
    visible test).  The first one that is wrong, unwritten or crashing fails
    this test with a line that names it.  Nothing is printed, the random
    numbers of the notebook stay where they were, and NumPy's warnings are
    left to each exercise's own test.
    """
    __tracebackhide__ = True
    import importlib
    table = importlib.import_module(f"utils.prerequisites.{assignment}").CHECKS
    for name, obj in earlier.items():
        if name not in table:
            raise KeyError(f"utils/prerequisites/{assignment}.py has no check of {name}")
        problem, cause = _try_earlier(table[name], obj)
        if problem is None:
            continue
        if isinstance(cause, NotImplementedError):
            _unwritten(name, cause)       # names the exercise that raised it
        notebook = _loaded_from(obj)
        if notebook:
            said = (f"This test uses your {name} from {notebook}, which {problem} on a "
                    f"small example: make its test pass in {notebook} first, then load "
                    "it again.")
        else:
            said = (f"This test uses your {name}, which {problem} on a small example: "
                    f"make the test of {name} pass first, then run this test again.")
        _fail(said, public=said, kind="earlier", subject=name)


def _try_earlier(check, obj):
    """``(None, None)`` when ``check(obj)`` finds ``obj`` right, else ``(what is
    wrong, the exception or None)``; quietly, and with the random state kept."""
    import contextlib
    import io
    state = np.random.get_state()
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
                np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            problem = check(obj)
        return (problem, None) if problem else (None, None)
    except NotImplementedError as err:
        return "is not written yet", err
    except Exception as err:  # noqa: BLE001 - any crash of the earlier exercise is the cause
        error = _plain_error_name(err)
        return (f"raises {error}" if error else "raises an error"), err
    finally:
        np.random.set_state(state)


def _loaded_from(obj):
    """``"01_single_neuron"`` for a function or class that :mod:`utils.earlier` loaded
    from that notebook, else ``None`` (only plain functions and classes are looked
    into: anything else may answer a look with code of its own)."""
    import types
    codes = []
    if isinstance(obj, types.FunctionType):
        codes = [obj.__code__]
    elif isinstance(obj, type):
        codes = [v.__code__ for v in vars(obj).values() if isinstance(v, types.FunctionType)]
    for code in codes:
        earlier = _earlier_notebook(code.co_filename)
        if earlier:
            return earlier.removesuffix(".ipynb")
    return None


def passed(what="All visible checks"):
    """Print the line a test cell ends with when everything passed."""
    print(f"{what} passed.")


# -- how errors look in a notebook --------------------------------------------
# In a student's notebook an unwritten exercise and a failed check each show
# as their message alone, not as a traceback, and so does a name that a cell
# stopped by an unwritten exercise did not make (any other NameError, such as a
# misspelt name, keeps its traceback).  Only the display changes: the error is
# raised as before (the release tags such cells raises-exception, so Run All
# goes on), and a grading kernel (where the grader's guard is loaded) keeps
# IPython's own display.

def _shell():
    """The running IPython shell, or ``None`` outside IPython."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if get else None


def _cell_name(shell, filename):
    """'cell [7]' for the code of a notebook cell, ``None`` for any other file."""
    try:
        label = shell.compile.format_code_name(filename)
    except Exception:  # noqa: BLE001 - no name is better than a broken display
        return None
    if not label:
        return None
    number = label[1].removeprefix("In[").removesuffix("]")
    return f"cell [{number}]" if number.isdigit() else "a cell"


def _where_in_cells(tb):
    """'cell [7], line 3: `return X @ W`' for the last notebook-cell line in ``tb``.

    ``None`` outside IPython or when no cell is involved (for example when
    the grader runs the tests).
    """
    shell = _shell()
    if shell is None or tb is None:
        return None
    found = None
    for frame, number in traceback.walk_tb(tb):
        cell = _cell_name(shell, frame.f_code.co_filename)
        if cell:
            found = (cell, number, linecache.getline(frame.f_code.co_filename, number).strip())
    if found is None:
        return None
    cell, number, text = found
    return f"{cell}, line {number}" + (f": `{text}`" if text else "")


def _earlier_notebook(filename):
    """``"01_single_neuron.ipynb"`` for code :mod:`utils.earlier` loaded from
    that notebook (its file name is ``<01_single_neuron.ipynb>``), else None."""
    if filename.startswith("<") and filename.endswith(".ipynb>"):
        return filename[1:-1]
    return None


def _stub(shell, tb):
    """``(name, code, notebook)`` of the unwritten exercise that raised at the end of
    ``tb`` (``name`` is ``None`` for a cell that is the exercise itself), or ``None``
    when the error came from a library and not from a stub."""
    frames = list(traceback.walk_tb(tb))
    if not frames:
        return None
    code = frames[-1][0].f_code
    name = getattr(code, "co_qualname", code.co_name)
    earlier = _earlier_notebook(code.co_filename)
    if earlier:
        return name, code, earlier.removesuffix(".ipynb")
    if _cell_name(shell, code.co_filename) is None:
        return None                   # raised by a library, not by a stub of a cell
    if name == "<module>":
        return None, None, None
    return name, code, None


# Names that a cell stopped by an unwritten exercise did not make, each with that
# exercise (as :func:`_stub` gives it): a later cell that needs one says so in a
# line instead of a NameError's traceback.
_NOT_MADE = {}


def _remember_not_made(shell, tb, stub):
    """Every name the cell that just failed mentions and that does not exist now
    (its code and its comments: a cell that is an exercise names what it makes)."""
    cells = [frame.f_code.co_filename for frame, _ in traceback.walk_tb(tb)
             if _cell_name(shell, frame.f_code.co_filename)]
    if not cells:
        return
    source = "".join(linecache.getlines(cells[0]))
    namespace = getattr(shell, "user_ns", {})
    for word in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source)):
        if word not in namespace and not hasattr(builtins, word) \
                and not keyword.iskeyword(word):
            _NOT_MADE[word] = stub


def _still_unwritten(shell, stub):
    """Whether the exercise is still the stub that raised (not written since)."""
    name, code, _ = stub
    if code is None:
        return True                   # a cell that is the exercise: its names tell
    found = getattr(shell, "user_ns", {})
    parts = name.split(".")
    thing = found.get(parts[0])
    for part in parts[1:]:
        thing = getattr(thing, part, None)
    return getattr(thing, "__code__", None) is code


def _not_made_line(shell, value):
    """The line for a NameError of a name an unwritten exercise kept from being made,
    or ``None`` for any other NameError (a misspelt name keeps its traceback)."""
    variable = getattr(value, "name", None)
    stub = _NOT_MADE.get(variable)
    if type(value) is not NameError or stub is None or not _still_unwritten(shell, stub):
        return None
    return stub, not_made(variable, stub[0])


def _show_briefly(shell, etype, value, tb, tb_offset=None):
    """IPython's display of a :class:`CheckFailed`, ``NotImplementedError`` or a
    ``NameError`` that an unwritten exercise caused."""
    lines = stub = None
    if isinstance(value, CheckFailed):
        lines = str(value).splitlines() or ["A check failed."]
        cause = value.__cause__
        if value.kind == "missing" and isinstance(cause, NotImplementedError):
            stub = _stub(shell, cause.__traceback__)
    elif isinstance(value, NotImplementedError):
        stub = _stub(shell, tb)
        lines = [not_written(stub[0], stub[2])] if stub else None
    elif isinstance(value, NameError):
        found = _not_made_line(shell, value)
        if found:
            stub, line = found
            lines = [line]
    if stub is not None:
        _remember_not_made(shell, tb, stub)
    if lines is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    shell._showtraceback(etype, value, lines)
    return None


_show_briefly.nn_course_display = True


def _install_display():
    """Show failed checks and unwritten exercises briefly in this IPython shell."""
    shell = _shell()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return
    if "utils.grader.guard" in sys.modules:
        return                        # a grading kernel: outputs stay as IPython makes them
    if getattr(shell, "custom_exceptions", ()) and not getattr(
            getattr(shell, "_nn_course_display", None), "nn_course_display", False):
        return                        # someone else's display: leave it alone
    shell.set_custom_exc((CheckFailed, NotImplementedError, NameError), _show_briefly)
    shell._nn_course_display = _show_briefly


_install_display()
