"""Build students' submissions from the release, for the demo and the tests.

A prepared submission is the released notebook with some answer cells
replaced (:mod:`utils.answers`, which the release check uses too).  The
answers come from the source notebook's solutions (a student with every
answer right) or from a :class:`Variant`: a realistic mistake, or a correct
answer written another way.  Variants live as plain data in
``tests/variants/<assignment>/<notebook>.py``, one ``VARIANTS`` list each.
"""
import ast
import importlib.util
from dataclasses import dataclass, field

# grade_id and write_submission are used by the tests and the demo from here.
from .answers import (fill_answers, grade_id, reference_class,  # noqa: F401
                      solution_answers, write_submission)
from .course import KIT_ROOT

#: Where the prepared mistakes and alternative solutions are kept.
VARIANTS_DIR = KIT_ROOT / "tests" / "variants"


@dataclass
class Variant:
    """A prepared answer to some cells of one notebook.

    ``answers`` maps an answer cell's grade id to the code a student wrote.
    ``loses`` lists the grade cells this answer must lose points on; an empty
    tuple marks a correct alternative that must keep every point.  ``says``
    maps a grade cell's id to words its visible check must show in the
    student's own notebook (run with this answer and every other one right);
    ``"02_layer:test_layer_forward_values"`` names a cell of a later notebook
    of the assignment, which loads this one's answers.
    """
    name: str
    answers: dict
    loses: tuple = ()
    note: str = ""
    says: dict = field(default_factory=dict, compare=False)
    notebook: str = field(default="", compare=False)

    @property
    def is_mistake(self):
        return bool(self.loses)


#: How a stub changes what a correct answer gives: every kind keeps shapes and
#: types, so only a test that checks values can tell the stub from the answer.
STUB_KINDS = ("zeros", "ones", "transposed", "doubled")


@dataclass
class Stub:
    """The grade cells that test one graded function or method (``cells``),
    and the stub kinds that change what it gives (``kinds``): every cell
    must score 0 when the answer is replaced by any of those stubs."""
    cells: tuple
    kinds: tuple = STUB_KINDS


def _variants_module(assignment, notebook):
    path = VARIANTS_DIR / assignment / f"{notebook}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"variants_{assignment}_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_variants(assignment, notebook):
    """The prepared variants of one notebook (an empty list when none exist)."""
    module = _variants_module(assignment, notebook)
    variants = list(getattr(module, "VARIANTS", []))
    for v in variants:
        v.notebook = notebook
    return variants


def load_stubs(assignment, notebook):
    """``{target: [Stub, ...]}`` of one notebook: its graded functions and
    methods (``"relu"``, ``"Neuron.forward"``) with the cells that test each.

    A ``STUBS`` entry is a tuple of cells (every kind), a :class:`Stub`, or a
    list of them (when a kind changes only part of what a function gives and
    so concerns only some of its cells)."""
    module = _variants_module(assignment, notebook)

    def stubs(entry):
        if isinstance(entry, Stub):
            return [entry]
        if isinstance(entry, list):
            return [s for item in entry for s in stubs(item)]
        return [Stub(tuple(entry))]
    return {target: stubs(entry) for target, entry in getattr(module, "STUBS", {}).items()}


def defined_names(code):
    """Top-level functions and classes an answer defines (``[(name, is_class)]``)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [(node.name, isinstance(node, ast.ClassDef)) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


def _takes_self(code, name):
    """Whether the function ``name`` in ``code`` is a method written on its own
    (``def backward(self, ...)``, attached to a class later)."""
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return bool(node.args.args) and node.args.args[0].arg == "self"
    return False


#: Appended to a correct answer to turn one function or method into a stub.
#: It wraps the answer and changes what it gives (see :data:`STUB_KINDS`):
#: the return value and, for a method, every attribute the call set or changed.
_STUB_CODE = '''

def _stub_value(value, kind):
    import numpy
    if isinstance(value, numpy.ndarray):
        if kind == "zeros":
            return numpy.zeros_like(value)
        if kind == "ones":
            return numpy.ones_like(value)
        if kind == "transposed":
            return value.T.copy() if value.ndim >= 2 else value
        return value * 2
    if isinstance(value, (bool, numpy.bool_)) or not isinstance(value, (int, float, numpy.number)):
        if isinstance(value, (tuple, list)):
            return type(value)(_stub_value(v, kind) for v in value)
        if isinstance(value, dict):
            return {k: _stub_value(v, kind) for k, v in value.items()}
        return value
    return {"zeros": value * 0, "ones": value * 0 + 1, "transposed": value,
            "doubled": value * 2}[kind]


def _stubbed(function, kind, method):
    import functools, inspect, numpy

    def frozen(value):
        """What ``value`` holds now, to tell later whether a call changed it."""
        if isinstance(value, numpy.ndarray):
            return value.copy()
        if isinstance(value, dict):
            return {k: (v, frozen(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [(v, frozen(v)) for v in value]
        return None

    def unchanged(value, old, then):
        if value is not old:
            return False
        if isinstance(value, numpy.ndarray):
            return numpy.array_equal(value, then)
        if isinstance(value, dict):
            return value.keys() == then.keys() and all(
                unchanged(v, *then[k]) for k, v in value.items())
        if isinstance(value, list):
            return len(value) == len(then) and all(
                unchanged(v, *t) for v, t in zip(value, then))
        return True

    def snapshot(obj):
        return {k: (v, frozen(v)) for k, v in vars(obj).items()} \
            if hasattr(obj, "__dict__") else {}

    def stub_changes(obj, before):
        for key, new in list(vars(obj).items()):
            if key not in before or not unchanged(new, *before[key]):
                setattr(obj, key, _stub_value(new, kind))

    if inspect.isgeneratorfunction(function):
        @functools.wraps(function)
        def generator(*args, **kwargs):
            for item in function(*args, **kwargs):
                yield _stub_value(item, kind)
        return generator

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        before = snapshot(args[0]) if method and args else None
        value = function(*args, **kwargs)
        if before is not None:
            stub_changes(args[0], before)
        return _stub_value(value, kind)
    return wrapper
'''


def stub_answers(solutions, target, kind):
    """``{grade_id: code}``: the solutions with ``target`` turned into a ``kind`` stub."""
    if kind not in STUB_KINDS:
        raise ValueError(f"unknown stub kind {kind!r}: use one of {', '.join(STUB_KINDS)}")
    owner, _, method = target.partition(".")
    for gid, code in solutions.items():
        if owner in (name for name, _ in defined_names(code)):
            line = (f"{owner}.{method} = _stubbed({owner}.{method}, {kind!r}, method=True)"
                    if method else f"{owner} = _stubbed({owner}, {kind!r}, "
                                   f"method={_takes_self(code, owner)})")
            return {gid: code.rstrip() + "\n" + _STUB_CODE + "\n" + line + "\n"}
    raise KeyError(f"no answer cell defines {owner}")


def pack(variants):
    """Group variants so that no two in a group touch the same answer cell.

    Each group can then be one synthetic student: every mistake in it costs
    points only in its own exercise, so several can be graded at once.
    Variants of different notebooks of an assignment can share a group.
    Mistakes and alternatives are never mixed in one group.
    """
    groups = []
    for v in variants:
        cells = {(v.notebook, cell) for cell in v.answers}
        for group in groups:
            taken = {(o.notebook, cell) for o in group for cell in o.answers}
            if group[0].is_mistake == v.is_mistake and not taken & cells:
                group.append(v)
                break
        else:
            groups.append([v])
    return groups


def answers_of(group):
    """``{notebook: {grade_id: code}}`` of a group of variants."""
    answers = {}
    for v in group:
        answers.setdefault(v.notebook, {}).update(v.answers)
    return answers


def synthetic_class(course, assignment, notebooks=None, mistake_students=None,
                    alternative_students=None, complete=True):
    """The prepared students of one assignment, ready to write.

    Returns ``(students, planned)``: ``students`` maps a student id to
    ``{notebook: notebook node}``, and ``planned`` maps every variant used to
    ``(student, variant)``.  ``correct`` holds the solutions, ``blank`` the
    untouched release, ``mistake-N`` and ``alternative-N`` the packed variants
    (at most ``mistake_students`` / ``alternative_students`` of each).
    With ``complete=False`` a variant student hands in only the notebooks
    their variants change (the others count as not submitted), which makes
    the class quicker to grade.
    """
    names = notebooks or course.notebooks(assignment)
    release = {n: course.release / assignment / f"{n}.ipynb" for n in names}
    solutions = {n: solution_answers(course.source / assignment / f"{n}.ipynb")
                 for n in names}

    def student(changes):
        return {n: fill_answers(release[n], {**solutions[n], **changes.get(n, {})})
                for n in names if complete or n in changes}

    students = reference_class(course, assignment, names)
    planned = {}
    variants = [v for n in names for v in load_variants(assignment, n)]
    for kind, limit, chosen in (
            ("mistake", mistake_students, [v for v in variants if v.is_mistake]),
            ("alternative", alternative_students, [v for v in variants if not v.is_mistake])):
        for i, group in enumerate(pack(chosen)[:limit], 1):
            students[f"{kind}-{i}"] = student(answers_of(group))
            for v in group:
                planned[f"{v.notebook}: {v.name}"] = (f"{kind}-{i}", v)
    return students, planned


#: The answer two students of a demo or test class share, the second copy with
#: every name changed and its layout and comments redone: ``(assignment,
#: notebook, name of the prepared alternative)``.
COPIED_ANSWER = ("lab1", "01_single_neuron", "neurons with loops")
RENAMED = {"L": "rows", "M": "cols", "N": "units", "Z": "out",
           "total": "acc", "l": "i", "n": "j", "m": "k"}


def renamed(code, names):
    """``code`` with the identifiers in ``names`` replaced, written with other
    spacing and a comment: what a student who copies an answer might do."""
    import io
    import tokenize
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        text = names.get(token.string, token.string) if token.type == tokenize.NAME \
            else token.string
        tokens.append((token.type, text))
    text = tokenize.untokenize(tokens)
    return "# my own loops, one output at a time\n" + text.replace(" = ", "=")


def copying_pair(course, assignment):
    """``{"copier-a": {notebook: nb}, "copier-b": {notebook: nb}}``: two students
    who hand in the same unusual answer (:data:`COPIED_ANSWER`), the second
    renamed; ``{}`` for an assignment without it."""
    copied_assignment, notebook, name = COPIED_ANSWER
    if assignment != copied_assignment or notebook not in course.notebooks(assignment):
        return {}
    variant = next(v for v in load_variants(assignment, notebook) if v.name == name)
    solutions = solution_answers(course.source / assignment / f"{notebook}.ipynb")
    release = course.release / assignment / f"{notebook}.ipynb"
    (cell, code), = variant.answers.items()
    return {"copier-a": {notebook: fill_answers(release, {**solutions, cell: code})},
            "copier-b": {notebook: fill_answers(release, {**solutions,
                                                          cell: renamed(code, RENAMED)})}}


def stub_class(course, assignment, notebooks=None, kinds=STUB_KINDS):
    """Students who hand in stubs (of the given ``kinds``), one stub per notebook each.

    Returns ``(students, planned)``: ``students`` maps ``stub-N`` to
    ``{notebook: notebook node}`` (only the notebooks with a stub), and
    ``planned`` lists ``(student, notebook, target, kind, cells)`` for every
    stub of every graded function (``STUBS`` of the variant files).
    """
    names = notebooks or course.notebooks(assignment)
    students, planned = {}, []
    for notebook in names:
        solutions = solution_answers(course.source / assignment / f"{notebook}.ipynb")
        release = course.release / assignment / f"{notebook}.ipynb"
        stubs = [(target, kind, stub.cells)
                 for target, entry in load_stubs(assignment, notebook).items()
                 for stub in entry if stub.cells for kind in stub.kinds if kind in kinds]
        for number, (target, kind, cells) in enumerate(stubs, 1):
            student = f"stub-{number}"
            answers = {**solutions, **stub_answers(solutions, target, kind)}
            students.setdefault(student, {})[notebook] = fill_answers(release, answers)
            planned.append((student, notebook, target, kind, tuple(cells)))
    return students, planned


def unstubbed(course, assignment, notebook):
    """Functions and classes the notebook's answers define that ``STUBS`` does
    not list (a class counts as listed when one of its methods is; an
    ungraded answer is listed with no cells)."""
    listed = {target.partition(".")[0] for target in load_stubs(assignment, notebook)}
    solutions = solution_answers(course.source / assignment / f"{notebook}.ipynb")
    return sorted({name for code in solutions.values() for name, _ in defined_names(code)
                   if not name.startswith("_") and name not in listed})
