"""The grader's own state, checked before each notebook and after each test.

A grading process serves many students in turn: ``--jobs 1`` and the demo
grade in the coordinator itself, pool and Dask workers live for a whole
class, stock ``nbgrader autograde`` grades the class in one process, and
formgrader's Autograde button runs inside the instructor's Jupyter server for
days.  Replies from a kernel are decoded as plain data and should never reach
a grader object (:mod:`utils.grader.remote`); this module is the second wall,
so that a hole in the first cannot carry one student's changes into another
student's grading.

:func:`snapshot` records, once per process and before any kernel answers,
what grading relies on: the bindings of NumPy's public namespace, of
``numpy.random``, of the builtins, of :mod:`utils.checks` and of every module
of :mod:`utils.grader` (the reference answers included); the code, defaults
and attribute dictionary of every function there; the attribute dictionary of
every class; and a copy of every module-level array, list and dict.
:func:`restore` compares what is there now with that record, puts back each
difference and returns what it found.  The grading step calls it when a
notebook starts (state no earlier student could have touched) and after every
test cell (whatever changed is charged to that test: it loses its points and
is flagged).

A check per notebook, not a fresh process per student: a process start
(Python, NumPy, nbgrader, jupyter_client) costs about a second per notebook,
and formgrader's server cannot be replaced per student at all.  The check
costs a few milliseconds (see :func:`restore`).

:func:`protected` says whether an array, list or dict is part of that state,
so that nothing a kernel says is ever written into it.
"""
import builtins
import importlib
import pkgutil
import sys
import types

import numpy as np

#: Modules whose every binding and module-level value is part of the record:
#: the helpers and reference answers a test compares with.
VALUES = ("utils.checks", "utils.grader.reference")
#: Modules whose functions and classes are part of the record (their
#: module-level containers are working state, such as kernels started ahead).
CODE = ("utils.grader", "utils.earlier")

_RECORD = {}        # module name -> {name: (object, state)}
_PROTECTED = set()  # ids of module-level arrays, lists and dicts


def _function_state(function):
    return (function.__code__, function.__defaults__, function.__kwdefaults__,
            dict(function.__dict__))


def _class_state(cls):
    return dict(vars(cls))


def _value_state(value, containers):
    if isinstance(value, types.FunctionType):
        return ("function", _function_state(value))
    if isinstance(value, type) and containers and value.__module__.startswith("utils."):
        methods = {name: _function_state(member) for name, member in vars(value).items()
                   if isinstance(member, types.FunctionType)}
        return ("class", (_class_state(value), methods))
    if not containers:
        return ("object", None)
    if type(value) is np.ndarray:
        _PROTECTED.add(id(value))
        return ("array", (value.copy(), value.flags.writeable))
    if type(value) in (list, dict):
        _PROTECTED.add(id(value))
        return (type(value).__name__, value.copy())
    return ("object", None)


def _modules():
    """The modules of the record, loaded if they are not yet."""
    # Every reference answer is loaded now, before any kernel answers: one a test
    # imports later must not join the record after a reply could have reached it.
    package = importlib.import_module("utils.grader.reference")
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    importlib.import_module("utils.checks")
    importlib.import_module("utils.earlier")
    found = {"numpy": np, "numpy.random": np.random, "numpy.linalg": np.linalg,
             "builtins": builtins}
    for name, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and name.startswith(VALUES + CODE) \
                and name != __name__:
            found[name] = module
    return found


def _bindings(name, module):
    items = vars(module).items()
    if name.startswith(VALUES):
        return {key: value for key, value in items
                if key == "__all__" or not (key.startswith("__") and key.endswith("__"))}
    if name.startswith(CODE):
        return {key: value for key, value in items
                if isinstance(value, (types.FunctionType, type, types.ModuleType))}
    return {key: value for key, value in items          # NumPy and the builtins
            if not key.startswith("_") and (callable(value) or isinstance(value, types.ModuleType))}


def snapshot():
    """Record the state (once per process; later calls add modules loaded since)."""
    for name, module in _modules().items():
        if name in _RECORD:
            continue
        containers = name.startswith(VALUES)
        _RECORD[name] = {key: (value, _value_state(value, containers))
                         for key, value in _bindings(name, module).items()}


def protected(value):
    """Whether ``value`` is an array, list or dict of the grader's own state."""
    return id(value) in _PROTECTED


def _restore_function(label, function, state, found):
    code, defaults, kwdefaults, attributes = state
    if function.__code__ is not code:
        function.__code__ = code
        found.append(f"the code of {label}")
    if function.__defaults__ is not defaults or function.__kwdefaults__ is not kwdefaults:
        function.__defaults__, function.__kwdefaults__ = defaults, kwdefaults
        found.append(f"the defaults of {label}")
    if function.__dict__ != attributes or any(function.__dict__[k] is not v
                                              for k, v in attributes.items()):
        function.__dict__.clear()
        function.__dict__.update(attributes)
        found.append(f"the attributes of {label}")


def _restore_class(label, cls, state, found):
    attributes, methods = state
    now = dict(vars(cls))
    for key in set(now) - set(attributes):
        try:
            delattr(cls, key)
        except (AttributeError, TypeError):
            continue
        found.append(f"{label}.{key}")
    for key, value in attributes.items():
        if now.get(key, _MISSING) is not value:
            try:
                setattr(cls, key, value)
            except (AttributeError, TypeError):
                continue
            found.append(f"{label}.{key}")
    for key, method_state in methods.items():
        _restore_function(f"{label}.{key}", attributes[key], method_state, found)


_MISSING = object()


def _restore_value(label, value, kind, state, found):
    if kind == "function":
        _restore_function(label, value, state, found)
    elif kind == "class":
        _restore_class(label, value, state, found)
    elif kind == "array":
        copy, writeable = state
        if value.shape != copy.shape or value.dtype != copy.dtype:
            found.append(f"the array {label} (it cannot be put back)")
        elif not np.array_equal(value, copy, equal_nan=copy.dtype.kind in "fc"):
            value.flags.writeable = True
            np.copyto(value, copy)
            found.append(f"the values of {label}")
        value.flags.writeable = writeable
    elif kind in ("list", "dict"):
        if type(value).__name__ == kind and (len(value) != len(state) or (
                kind == "list" and any(a is not b for a, b in zip(value, state))) or (
                kind == "dict" and any(value.get(k, _MISSING) is not v for k, v in state.items()))):
            value.clear()
            value.extend(state) if kind == "list" else value.update(state)
            found.append(f"the contents of {label}")


def restore():
    """Put back whatever differs from the record; say what it was (empty when
    nothing changed).  Takes the record first if there is none yet."""
    if not _RECORD:
        snapshot()
        return []
    found = []
    modules = _modules()
    for name, entries in _RECORD.items():
        module = modules.get(name) or sys.modules.get(name)
        if module is None:
            continue
        space = vars(module)
        for key, (value, (kind, state)) in entries.items():
            label = f"{name}.{key}"
            if space.get(key, _MISSING) is not value:
                setattr(module, key, value)
                found.append(label)
            _restore_value(label, value, kind, state, found)
    snapshot()          # modules loaded since the last check join the record
    return found
