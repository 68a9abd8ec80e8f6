"""A watch on what the notebooks rely on, inside the grading kernel: flags only.

Verdicts are decided outside the kernel (see :mod:`utils.grader.verdict`), so
nothing a submission replaces in its own interpreter can change a score.  A
submission that tries (``np.allclose = lambda *a, **k: True``, a redefined
check helper, a patched builtin) still deserves the instructor's attention:
the course configuration loads this module when a grading kernel starts, and
:func:`install` then

- remembers every public function of NumPy, every builtin and every check
  helper of :mod:`utils.checks`;
- after each student cell, compares them with what is there now, puts back
  what was replaced and writes a line that starts with :data:`MARKER`.

The grader also asks (:func:`check_now`) after every test.  Either report
becomes a TAMPERING flag in the score table; student code can silence this
watch, but that only removes a flag, never adds a point.
"""
import builtins
import sys

import numpy as np

#: Every report of the guard starts with this; the grader looks for it.
MARKER = "[tampering detected]"

#: Builtins the tests and the check helpers use.
BUILTINS = (
    "abs", "all", "any", "bool", "callable", "dict", "enumerate", "float",
    "getattr", "int", "isinstance", "issubclass", "iter", "len", "list", "max",
    "min", "next", "print", "range", "repr", "round", "set", "sorted", "str",
    "sum", "tuple", "type", "zip", "AssertionError", "Exception", "ValueError",
    "TypeError", "KeyError", "NotImplementedError", "FloatingPointError",
)

_OBJECTS = {}   # (label, owner, name) -> the original object
_CODE = {}      # check helper name -> its original code object
_STDERR = []


def _watched():
    """``{(label, owner, name): object}`` of everything protected."""
    from .. import checks
    items = {("np", np, name): value for name, value in vars(np).items()
             if not name.startswith("_") and callable(value)}
    items.update({("builtins", builtins, name): getattr(builtins, name) for name in BUILTINS})
    items.update({("utils.checks", checks, name): getattr(checks, name)
                  for name in checks.__all__})
    from . import agent
    items[("utils.grader.agent", agent, "serve")] = agent.serve
    return items


def replaced():
    """Put back everything replaced since :func:`install`; say what it was."""
    from IPython import get_ipython
    from .. import checks
    found = []
    for (label, owner, name), original in _OBJECTS.items():
        if vars(owner).get(name) is not original:
            setattr(owner, name, original)
            found.append(f"{label}.{name}")
    for name, code in _CODE.items():
        function = getattr(checks, name)
        if getattr(function, "__code__", code) is not code:
            function.__code__ = code
            found.append(f"the code of utils.checks.{name}")
    for label, get, put in (("sys.settrace", sys.gettrace, sys.settrace),
                            ("sys.setprofile", sys.getprofile, sys.setprofile)):
        if get() is not None:        # a hook that could edit what runs next
            put(None)
            found.append(f"a hook set with {label}")
    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else {}
    for name in checks.__all__:
        value, original = namespace.get(name), getattr(checks, name)
        if value is not None and value is not original and callable(value):
            namespace[name] = original
            found.append(name)
    return found


def _after_cell(result=None):
    found = replaced()
    if found:
        stream = _STDERR[0]
        stream.write(f"{MARKER} this cell replaced {', '.join(found)}; the real "
                     "ones were put back, and a test that ran meanwhile earns no points.\n")
        stream.flush()


def check_now():
    """What was replaced since the last check, put back; for the grader's probe."""
    return ", ".join(replaced())


def install():
    """Take the snapshot and watch every cell from now on (grading kernels only)."""
    from IPython import get_ipython
    from .. import checks
    shell = get_ipython()
    if shell is None or _OBJECTS:
        return
    _OBJECTS.update(_watched())
    _CODE.update({name: getattr(checks, name).__code__ for name in checks.__all__
                  if hasattr(getattr(checks, name), "__code__")})
    _STDERR.append(sys.stderr)
    shell.events.register("post_run_cell", _after_cell)
