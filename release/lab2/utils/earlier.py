"""Your answers from an earlier notebook, without copying them.

A notebook that builds on an earlier one of the same assignment starts with::

    from utils.earlier import load_answers
    neurons, relu, sigmoid = load_answers("01_single_neuron", "neurons", "relu", "sigmoid")

:func:`load_answers` reads the earlier notebook from the folder you work in
and runs only its definitions: imports, functions, classes, methods attached
to a class (``Network.backward = backward``) and that notebook's own
``load_answers`` lines.  Nothing else of it runs: no prints, no plots, no
training, and the random numbers of your current notebook stay as they were.
Change an earlier answer, save that notebook, and run the loading cell again.
An answer still to write there is loaded all the same, with one line that says so.

When you hand in, each notebook is graded on its own: the grader gives the
notebook its own correct versions of what it loads, so a mistake in an
earlier notebook never costs points here.
"""
import ast
import builtins
import contextlib
import io
import json
import os

import numpy as np

from utils.checks import not_written

__all__ = ["EarlierAnswerError", "load_answers"]

#: What the grader supplies while it grades one notebook:
#: ``{notebook: {name: object}}``.  Empty when you work on your own.
PROVIDED = {}

_LOADING = []          # notebooks being loaded, to refuse a notebook that loads itself


class EarlierAnswerError(ImportError):
    """An earlier answer cannot be loaded; the message says what to do."""

    def _render_traceback_(self):      # IPython shows the message alone
        return [f"EarlierAnswerError: {self}"]


def load_answers(notebook, *names, folder=None):
    """The objects ``names`` as defined in ``notebook`` (e.g. ``"01_single_neuron"``).

    One name gives the object itself, several give a tuple in the same order.
    ``folder`` is where the notebook is (default: the folder you work in).
    """
    if not names:
        raise EarlierAnswerError("say which names to load, e.g. "
                                 'load_answers("01_single_neuron", "relu")')
    stem = notebook[:-6] if notebook.endswith(".ipynb") else notebook
    if stem in PROVIDED:
        found = _provided(stem, names)
    else:
        found = _from_notebook(stem, names, folder or os.getcwd())
    return found[0] if len(found) == 1 else tuple(found)


def _provided(stem, names):
    missing = [n for n in names if n not in PROVIDED[stem]]
    if missing:
        raise EarlierAnswerError(f"{', '.join(missing)} cannot be loaded from {stem} while "
                                 "grading: define it in this notebook instead")
    return [PROVIDED[stem][n] for n in names]


def _from_notebook(stem, names, folder):
    path = os.path.join(folder, stem + ".ipynb")
    if stem in _LOADING:
        raise EarlierAnswerError(f"{stem}.ipynb loads its own answers (through "
                                 f"{' -> '.join(_LOADING)}): load from an earlier notebook")
    cells = _code_cells(path, stem)
    namespace = {"__builtins__": builtins, "__name__": f"earlier_{stem}", "np": np}
    unwritten = set()
    state = np.random.get_state()
    _LOADING.append(stem)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for where, source in cells:
                _run_definitions(source, where, stem, namespace, unwritten)
    finally:
        _LOADING.pop()
        np.random.set_state(state)
    missing = [n for n in names if n not in namespace]
    if missing:
        it, cell = ("it", "the cell that defines it") if len(missing) == 1 else \
            ("each", "the cells that define them")
        raise EarlierAnswerError(
            f"{stem}.ipynb defines no {', '.join(missing)}: check the spelling of {it} "
            f"here, and that {cell} in {stem}.ipynb {'is' if len(missing) == 1 else 'are'} "
            "there and saved")
    todo = [n for n in names if n in unwritten]
    if todo:
        # Loaded all the same: the cells that use them say, one line each, what
        # is still to write, and the rest of this notebook runs.
        for name in todo:
            print(not_written(name, stem))
    return [namespace[n] for n in names]


def _code_cells(path, stem):
    """``[(where, source)]`` of the notebook's code cells, or a clear error; ``where``
    names a cell by its first line, as a student sees it."""
    if not os.path.isfile(path):
        raise EarlierAnswerError(
            f"{stem}.ipynb is not in this folder ({os.path.basename(os.path.dirname(path)) or '.'}):"
            " this notebook uses your answers from it. Put it beside this notebook, "
            "or paste the answers you need into a cell here")
    try:
        with open(path, encoding="utf-8") as file:
            nb = json.load(file)
        cells = nb["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells if c.get("cell_type") == "code"]
        return [(_first_line(source), source) for source in sources]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise EarlierAnswerError(f"{stem}.ipynb cannot be read as a notebook ({err}): "
                                 "open it in Jupyter and save it again") from None


def _first_line(source):
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return f"the cell that starts `{first[:50]}`"


def _is_definition(node):
    """Whether a statement only defines something (safe to run again)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                         ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        if all(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
               for t in node.targets) and isinstance(node.value, ast.Name):
            return True                   # Network.backward = backward
        call = node.value
        return isinstance(call, ast.Call) and getattr(call.func, "id",
                                                      getattr(call.func, "attr", "")) \
            == "load_answers"
    return False


def _unwritten(node):
    """Whether a definition still raises NotImplementedError somewhere in it."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Raise) and inner.exc is not None:
            target = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
            if getattr(target, "id", None) == "NotImplementedError":
                return True
    return False


def _run_definitions(source, where, stem, namespace, unwritten):
    lines = [line for line in source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]       # IPython magics
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as err:
        if any(_mentions_definition(line) for line in lines):
            raise EarlierAnswerError(f"{where} in {stem}.ipynb has a syntax error "
                                     f"(line {err.lineno}: {err.msg}): fix it there and "
                                     "save") from None
        return
    for node in tree.body:
        if not _is_definition(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if _unwritten(node):
                unwritten.add(node.name)
            else:
                unwritten.discard(node.name)
        module = ast.Module(body=[node], type_ignores=[])
        try:
            exec(compile(module, f"<{stem}.ipynb>", "exec"), namespace)  # noqa: S102
        except EarlierAnswerError:
            raise
        except Exception as err:  # noqa: BLE001 - reported in words, with where it happened
            raise EarlierAnswerError(
                f"{where} in {stem}.ipynb raised {type(err).__name__}: {err} "
                f"(line {node.lineno}); fix it there and save") from None


def _mentions_definition(line):
    return line.lstrip().startswith(("def ", "class ", "import ", "from "))
