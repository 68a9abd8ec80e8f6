"""The shape of the kit's code: which module of utils/ may import which.

The graph is read from the source with ``ast`` (nothing is imported): every
``import`` and ``from ... import`` of every module under utils/, at module
level or inside a function, relative ones resolved, is an edge from the
importing module to the utils module it names.  Imports by a string
(``importlib.import_module``, ``__import__``) are not edges: they load the
student modules and the kernel side into a kernel, never a cycle.

A *room* is a top-level module of utils/ or one of its packages
(``utils.grader``, ``utils.hub``, ``utils.prerequisites``): the rooms must
stand one above the other too, so that no room reaches back up into one
that uses it.

The rules:

- no cycle, between modules or between rooms;
- a module of ``utils/grader/`` imports, outside grader, only the leaves
  (:data:`LEAVES`), which import nothing of grader; never the hub;
- an import inside a function that closes a cycle is a cycle hidden from
  the import system: it is allowed only with a comment on its line or the
  line above saying why it is local (an optional dependency, the kernel
  side), and such an explained import is the only edge the cycle rules
  overlook;
- the demo and the test tooling are imported by the command line and each
  other only, never by what grades or releases;
- every path docs/architecture.md names in backticks exists.
"""
import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parent.parent
UTILS = ROOT / "utils"

#: The packages of utils/ that are rooms of their own.
PACKAGES = ("utils.grader", "utils.hub", "utils.prerequisites")

#: What a module of utils/grader/ may import outside grader.
LEAVES = {"utils.course", "utils.checks", "utils.earlier", "utils.offline",
          "utils.prerequisites"}

#: The demo and the test tooling, and the only rooms that may import them.
TOOLING = {"utils.demo", "utils.selftest", "utils.submissions"}
TOOLING_USERS = TOOLING | {"utils.cli"}


@dataclass(frozen=True)
class Edge:
    """One import statement's edge from a utils module to another."""
    source: str
    target: str
    path: str            # the importing file, relative to the kit
    line: int
    local: bool          # inside a function
    explained: bool      # a comment on its line, or alone on the line above

    @property
    def where(self):
        return f"{self.path}:{self.line}"


def module_name(path):
    """``utils.grader.intake`` of ``utils/grader/intake.py``; a package's
    ``__init__.py`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room(module):
    """The room a module stands in: its package of utils/, or itself."""
    for package in PACKAGES:
        if module == package or module.startswith(package + "."):
            return package
    return module


#: A comment that only talks to a linter is no reason.
PRAGMA = re.compile(r"#\s*(noqa|type:|pragma|fmt:)")


def _comment_lines(text):
    """``(lines with a comment, lines holding nothing but a comment)``; a
    linter's pragma does not count."""
    comments, alone = set(), set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT and not PRAGMA.match(token.string):
            comments.add(token.start[0])
            if not token.line[:token.start[1]].strip():
                alone.add(token.start[0])
    return comments, alone


def _imports(tree):
    """``(node, inside a function)`` of every import statement of a module."""
    found = []

    def visit(node, local):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, local))
            visit(child, local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
    visit(tree, False)
    return found


def _known(name, modules):
    """The longest prefix of a dotted name that is a module of utils/, or None."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _targets(node, module, is_package, modules):
    """The utils modules one import statement names."""
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names]
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[:len(package) - (node.level - 1)]
        origin = ".".join(base + ([node.module] if node.module else []))
    else:
        origin = node.module or ""
    found = []
    for alias in node.names:
        submodule = f"{origin}.{alias.name}"
        found.append(submodule if submodule in modules else _known(origin, modules))
    return found


def read_graph():
    """Every edge between utils modules, each import statement's once."""
    files = {module_name(p): p for p in sorted(UTILS.rglob("*.py"))}
    edges = []
    for module, path in files.items():
        text = path.read_text(encoding="utf-8")
        comments, alone = _comment_lines(text)
        for node, local in _imports(ast.parse(text, str(path))):
            for target in _targets(node, module, path.name == "__init__.py", files):
                if target is None or target == module:
                    continue
                explained = node.lineno in comments or node.lineno - 1 in alone
                edge = Edge(module, target, path.relative_to(ROOT).as_posix(),
                            node.lineno, local, explained)
                if edge not in edges:
                    edges.append(edge)
    return edges


EDGES = read_graph()


def _graph(edges, key=lambda module: module):
    """``{node: {node: first edge}}``, nodes named by ``key`` (modules or rooms)."""
    graph = {}
    for edge in edges:
        source, target = key(edge.source), key(edge.target)
        if source != target:
            graph.setdefault(source, {}).setdefault(target, edge)
    return graph


def reach(graph):
    """``{node: every node it reaches}`` (itself included)."""
    found = {}
    for start in graph:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph.get(node, ()))
        found[start] = seen
    return found


def cycles(graph):
    """One cycle per knot of the graph (nodes that reach each other), as the
    list of edges of the shortest way from its first node back to itself."""
    reached, found, done = reach(graph), [], set()
    for start in sorted(graph):
        knot = {n for n in reached[start] if start in reached.get(n, ())}
        if start in done or len(knot) < 2:
            continue
        done |= knot
        ways, seen = [(start, [])], set()
        while ways:
            node, path = ways.pop(0)
            if path and node == start:
                found.append(path)
                break
            if node in seen:
                continue
            seen.add(node)
            ways += [(target, path + [edge]) for target, edge in sorted(graph.get(node, {}).items())
                     if target in knot]
    return found


def _said(cycle, key):
    """A cycle in words: ``a -> b (file:line) -> a (file:line)``."""
    names = [key(cycle[0].source)] + [f"{key(e.target)} ({e.where})" for e in cycle]
    return " -> ".join(names)


def _counted(edges):
    """The edges the cycle rules count: all but the explained local ones."""
    return [e for e in edges if not (e.local and e.explained)]


def _fail_with(title, lines):
    """Fail with a title and one indented line per finding (none: pass)."""
    if lines:
        pytest.fail(title + ":\n  " + "\n  ".join(lines), pytrace=False)


def test_the_graph_is_read_with_relative_and_local_imports():
    edges = {(e.source, e.target, e.local) for e in EDGES}
    assert ("utils.cli", "utils.grading", False) in edges                  # from . import grading
    assert ("utils.grader.verdict", "utils.checks", False) in edges        # from .. import checks
    assert ("utils.grader.coordinator", "utils.grader.intake", False) in edges
    assert ("utils.grader.guard", "utils.checks", True) in edges           # inside a function
    assert ("utils.earlier", "utils.checks", False) in edges               # from utils.checks ...
    assert ("utils.hub.lms_sync", "utils.grader.report", True) in edges    # from ..grader.report


def test_no_import_cycle_between_modules():
    _fail_with("import cycles between modules",
               [_said(c, str) for c in cycles(_graph(_counted(EDGES)))])


def test_no_import_cycle_between_rooms():
    _fail_with("import cycles between rooms (a room reaches back up into one that uses it)",
               [_said(c, room) for c in cycles(_graph(_counted(EDGES), room))])


def test_the_grader_imports_only_the_leaves_outside_it():
    _fail_with(f"utils/grader/ may import outside itself only {', '.join(sorted(LEAVES))}",
               [f"{e.where}: {e.source} imports {e.target}" for e in EDGES
                if room(e.source) == "utils.grader" and room(e.target) != "utils.grader"
                and room(e.target) not in LEAVES])


def test_the_leaves_import_nothing_of_the_grader_or_the_hub():
    reached = reach(_graph(EDGES, room))
    _fail_with("a leaf imports the grader or the hub",
               [f"{leaf} reaches {other}" for leaf in sorted(LEAVES)
                for other in sorted(reached.get(leaf, ()))
                if other in ("utils.grader", "utils.hub")])


def test_a_local_import_that_closes_a_cycle_says_why_it_is_local():
    modules, rooms = reach(_graph(EDGES)), reach(_graph(EDGES, room))
    _fail_with("a cycle hidden in a function: move the code where it belongs, or say on "
               "the line why the import is local",
               [f"{e.where}: {e.source} imports {e.target} inside a function, and what it "
                "imports leads back to it" for e in EDGES
                if e.local and not e.explained
                and (e.source in modules.get(e.target, ())
                     or room(e.source) != room(e.target)
                     and room(e.source) in rooms.get(room(e.target), ()))])


def test_the_demo_and_test_tooling_stay_out_of_grading_and_release():
    _fail_with("only the command line, the demo and the self-test import "
               + ", ".join(sorted(TOOLING)),
               [f"{e.where}: {e.source} imports {e.target}" for e in EDGES
                if e.target in TOOLING and room(e.source) not in TOOLING_USERS])


def test_every_path_the_architecture_page_names_exists():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = re.findall(r"`([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*(?:\.py|/))`", text)
    assert len(named) > 20, named
    _fail_with("docs/architecture.md names what does not exist",
               sorted({p for p in named if not (ROOT / p).exists()}))
