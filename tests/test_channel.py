"""The channel between grader and kernel carries data, and nothing else.

The fast tests here play the kernel's side with crafted replies: every field a
student who has read ``agent.py``, ``remote.py`` and ``wire.py`` could forge.
The slow tests grade a small lab2 class through the kit and through stock
``nbgrader autograde``, a poisoning student first, honest classmates after it
in the same process.
"""
import ast
import json
import os
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell

from utils import checks
from utils.grader import integrity, remote, wire
from utils.grader.execute import GradedExecute
from utils.grader.reference import earlier, hw1, hw2, lab1, lab2

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ForgingKernel:
    """A transport whose every reply the test writes: ``forge(request) -> dict``."""

    def __init__(self, forge):
        self.forge, self.requests = forge, []

    def __call__(self, code, expression):
        text = ast.literal_eval(code[code.index("serve(") + 6:-1])
        request = json.loads(text)
        self.requests.append(text)
        reply = {"nonce": request["nonce"], "value": None, **self.forge(request)}
        return repr(json.dumps(reply))


@pytest.fixture(autouse=True)
def clean_grader():
    """Each test starts and ends with the grader's state as recorded."""
    integrity.restore()
    yield
    assert integrity.restore() == [], "a test left the grader's state changed"


# -- replies are data ----------------------------------------------------------

@pytest.mark.fast
def test_forged_attributes_reach_only_the_tests_own_objects():
    """A reply's "objects" names every memo entry of the request: the numpy module
    a shipped function refers to, the function itself, the test's stand-in."""
    source = ("class Counter:\n    def __init__(self):\n        self.calls = 0\n"
              "    def bump(self, x):\n        return np.sum(x)\n")
    space = {"np": np}
    exec(compile(source, "<test>", "exec"), space)          # noqa: S102 - the test's own class
    counter_class = remote.mark_source(space["Counter"], source)
    counter_class.__nnkit_globals__ = space
    counter = counter_class()
    forged = {"objects": wire.to_plain([[i, {"allclose": 0, "calls": 7, "__nnkit_source__": "pwned"}]
                                        for i in range(40)], None)}
    session = remote.KernelSession(ForgingKernel(lambda request: forged))
    session.call(remote.Remote(session, 1, "function"), (counter, np.ones(2)), {})
    assert counter.calls == 7                      # the test's own object takes values back
    assert callable(np.allclose) and np.allclose(1.0, 1.0)
    assert "allclose" not in vars(counter_class) and "__nnkit_source__" not in vars(np)
    assert integrity.restore() == []


@pytest.mark.fast
def test_forged_write_back_spares_the_graders_arrays():
    """A reply's "after" rewrites the arguments: the test's own array changes (the
    test looks at what the student's code did to it), the grader's own never."""
    mine = np.zeros(3)
    shared = checks.__all__                         # a module-level list of the grader's
    before = list(shared)
    after = {"D": [["0", wire.encode_array(np.full(3, 9.0))],
                   ["1", ["pwned"] * len(shared)]]}
    session = remote.KernelSession(ForgingKernel(lambda request: {"after": after}))
    session.call(remote.Remote(session, 1, "function"), (mine, shared), {})
    assert mine.tolist() == [9.0, 9.0, 9.0]
    assert shared == before and integrity.protected(shared)


@pytest.mark.fast
def test_a_lend_request_holds_no_reference_code():
    """Lent functions and classes cross as numbered stand-ins; scaffolding marked
    to run in the kernel ships, and the reference functions it is given do not."""
    kernel = ForgingKernel(lambda request: {})
    session = remote.KernelSession(kernel)
    session.lend(sigmoid=lab2.sigmoid, NeuralNet=hw2.NeuralNet, forward=hw1.forward_propagation)
    session.in_kernel(lab1.tolerant_subclass, remote.Remote(session, 3, "type"),
                      relu=lab1.relu, sigmoid=lab1.sigmoid)
    sent = "\n".join(kernel.requests)
    assert "def tolerant_subclass" in sent
    for function in (lab2.sigmoid, hw1.forward_propagation, lab1.relu, lab1.sigmoid):
        assert f"def {function.__name__}" not in sent
    assert "class NeuralNet" not in sent and '"L"' in sent
    with pytest.raises(remote.CannotSend):
        session.in_kernel(lab1.relu, 1.0)          # an answer never runs in the kernel


def _question(session, handle, op, **fields):
    fields.setdefault("random", np.random.get_state())
    return json.dumps(wire.to_plain({"token": session.token, "op": op, "handle": handle,
                                     **fields}, lambda v: {"L": [session.token, handle]}))


@pytest.mark.fast
def test_stand_ins_are_answered_only_within_their_test():
    session = remote.KernelSession(ForgingKernel(lambda request: {}))
    number = session.loan(lab2.sigmoid)["L"][1]
    reply = json.loads(session.answer(_question(session, number, "call",
                                                args=(np.array([0.0]),), kwargs={})))
    assert wire.from_plain(reply["value"]["LA"][2]).tolist() == [0.5]
    refused = {
        "a private attribute": _question(session, number, "getattr", name="__globals__"),
        "a code object": _question(session, number, "getattr", name="__code__"),
        "a setting on a function": _question(session, number, "setattr", name="x", value=1),
        "an unknown number": _question(session, number + 7, "call", args=(), kwargs={}),
        "another token": _question(session, number, "call", args=(), kwargs={}).replace(
            session.token, "0" * 24),
        "a kernel object": json.dumps({"D": [["token", session.token], ["op", "call"],
                                             ["handle", number],
                                             ["args", {"T": [{"R": [1, "x"]}]}]]}),
        "not JSON": "{" * 100,
        "too large": " " * (wire.MAX_TEXT + 1),
    }
    for what, question in refused.items():
        assert "error" in json.loads(session.answer(question)), what
    session.close()
    closed = json.loads(session.answer(_question(session, number, "call", args=(), kwargs={})))
    assert "error" in closed and "value" not in closed


@pytest.mark.fast
def test_a_write_into_a_lent_array_reaches_only_a_fresh_one():
    net = hw2.NeuralNet(3, 2, 2, 2, seed=0)
    session = remote.KernelSession(ForgingKernel(lambda request: {}))
    number = session.loan(net)["L"][1]
    reply = json.loads(session.answer(_question(session, number, "getattr", name="output")))
    output = reply["value"]["L"][1]
    reply = json.loads(session.answer(_question(session, output, "getattr", name="W")))
    token, array_number, data = reply["value"]["LA"]
    values = wire.from_plain(data) * 0 + 2.0
    json.loads(session.answer(_question(session, array_number, "write", value=values)))
    assert np.all(net.output.W == 2.0)


@pytest.mark.fast
def test_the_kernels_random_state_is_checked():
    good = np.random.RandomState(3).get_state()
    assert remote.random_state(good) is not None
    key = good[1]
    for bad in [("PCG64",) + good[1:], (good[0], key[:10]) + good[2:],
                good[:2] + (625,) + good[3:], good[:2] + (True,) + good[3:],
                good[:3] + (2,) + good[4:], good[:4] + ("x",), good[:4], None, "MT19937",
                (good[0], key.astype(float)) + good[2:]]:
        assert remote.random_state(bad) is None, bad
    # As the kernel answers it: the key is a kernel array (it writes back).
    crossed = remote.KernelArray.live(key, None, 0)
    state = remote.random_state((good[0], crossed) + good[2:])
    assert state is not None and type(state[1]) is np.ndarray
    assert np.array_equal(state[1], key)


# -- every grading path starts clean -------------------------------------------

@pytest.mark.fast
def test_the_graders_state_is_put_back():
    original_code = lab2.sigmoid.__code__
    np.allclose, saved = (lambda *a, **k: True), np.allclose
    try:
        lab2.sigmoid.__code__ = (lambda a: a * 0).__code__
        hw1.sigmoid.__nnkit_source__ = "def sigmoid(x):\n    return 0\n"
        hw2.NeuralNet.forward = lambda self, X: None
        checks.check_close = lambda *a, **k: None
        found = integrity.restore()
    finally:
        if np.allclose is not saved:
            np.allclose = saved
    assert lab2.sigmoid.__code__ is original_code and np.allclose is saved
    assert "__nnkit_source__" not in vars(hw1.sigmoid)
    assert callable(hw2.NeuralNet.forward) and hw2.NeuralNet.forward.__name__ == "forward"
    assert checks.check_close.__module__ == "utils.checks"
    assert any("allclose" in f for f in found) and any("lab2.sigmoid" in f for f in found)
    assert any("hw1.sigmoid" in f for f in found) and any("NeuralNet.forward" in f for f in found)
    assert integrity.restore() == []


# -- the reference never enters a grading kernel -------------------------------

def _defined(source):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ["lab1", "lab2"])
def test_earlier_answers_are_never_graded_where_they_are_given(assignment):
    """Earlier notebooks' answers travel as code (a student's own cells call them,
    outside any test): none of them is an exercise of a notebook that loads it."""
    provided = earlier.answers_for(assignment)
    folder = os.path.join(KIT, "source", assignment)
    for name in sorted(os.listdir(folder)):
        nb = nbformat.read(os.path.join(folder, name), 4)
        graded = set()
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                graded |= _defined(cell.source)
        loaded = set()
        for cell in nb.cells:
            for match in re.finditer(r'load_answers\(\s*"([^"]+)"((?:\s*,\s*"[^"]+")+)', cell.source):
                loaded |= set(re.findall(r'"([^"]+)"', match.group(2)))
                assert match.group(1) in provided, (name, match.group(1))
        assert not loaded & graded, (name, loaded & graded)


# -- test cells in the instructor's order, each once ----------------------------

def _test_cell(grade_id, source):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": 1}})


@pytest.mark.fast
def test_test_cells_run_in_the_instructors_order_each_once():
    execute = GradedExecute()
    execute._tests = {"test_a": "check_a()\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS",
                      "test_b": "check_b()", "test_c": "check_c()"}
    cells = [new_code_cell("def a(): ..."), _test_cell("test_c", "check_c()"),
             new_code_cell("check_a()"),                    # a copy nbgrader made ordinary
             new_code_cell("def b(): ..."), _test_cell("test_a", execute._tests["test_a"]),
             _test_cell("test_b", "check_b()"), new_code_cell("def c(): ...")]
    ordered = execute._in_instructor_order(cells)
    names = [c.metadata.get("nbgrader", {}).get("grade_id") or c.source.split("(")[0]
             for c in ordered]
    assert names == ["def a", "# A second copy of the test cell test_a: the grader runs each "
                     "test once, where the instructor's order puts it.", "def b",
                     "test_a", "test_b", "test_c", "def c"]
    assert "graded once" in execute._order_notes["test_a"]
    assert "moved" in execute._order_notes["test_c"]
    untouched = [new_code_cell("x = 1"), _test_cell("test_a", "a"), _test_cell("test_b", "b")]
    assert execute._in_instructor_order(untouched) == untouched
    assert execute._order_notes == {}


# -- a lost kernel: what happened is a field, its words are for people ----------

@pytest.mark.fast
def test_a_lost_kernel_says_how_it_was_lost():
    import pickle
    lost = remote.KernelLost("stopped (the code exited)", remote.Lost.GONE)
    assert (lost.why, lost.kind) == ("stopped (the code exited)", remote.Lost.GONE)
    copy = pickle.loads(pickle.dumps(lost))
    assert (copy.why, copy.kind, str(copy)) == (lost.why, lost.kind, str(lost))
    assert [k for k in remote.Lost if not k.usable] == [remote.Lost.GONE, remote.Lost.STUCK]
    session = remote.KernelSession(ForgingKernel(
        lambda request: {"error": ["KeyboardInterrupt", "stopped by someone"]}))
    with pytest.raises(remote.KernelLost) as caught:
        session.name("x")
    assert caught.value.kind is remote.Lost.INTERRUPTED and caught.value.why == "interrupted"


@pytest.mark.fast
@pytest.mark.parametrize("kind, restarted", [
    (remote.Lost.GONE, True), (remote.Lost.STUCK, True),
    (remote.Lost.LATE, False), (remote.Lost.INTERRUPTED, False)])
def test_the_kernel_is_restarted_from_how_it_was_lost(kind, restarted):
    """Whatever the words say (here the same for every kind), the kind decides
    the restart, and the graded cell records that the test stopped the kernel."""
    execute = GradedExecute()
    execute._tests = {"test_a": "assert neuron(1) == 1"}
    restarts = []
    execute._restart_and_replay = lambda: restarts.append(True)

    def lost(code, expression):
        raise remote.KernelLost("stopped (or not)", kind)
    execute._transport = lost
    cell = _test_cell("test_a", execute._tests["test_a"])
    execute._grade(cell)
    assert bool(restarts) == restarted
    verdict = cell.metadata["nnkit"]
    assert verdict["kernel_stopped"] is True and not verdict["passed"]
    assert verdict["feedback"] == "Your code stopped the kernel while this test ran " \
                                  "(stopped (or not))."


@pytest.mark.fast
def test_a_verdict_says_whether_its_test_stopped_the_kernel():
    from utils.grader.execute import stopped_cells
    cells = [_test_cell("test_a", "a"), _test_cell("test_b", "b"), _test_cell("test_c", "c")]
    cells[0].metadata["nnkit"] = {"passed": False, "kernel_stopped": True, "feedback": ""}
    cells[1].metadata["nnkit"] = {"passed": False, "kernel_stopped": False,
                                  "feedback": "Your code stopped the kernel (it says)"}
    # A graded copy made before the field: its feedback is all it has.
    cells[2].metadata["nnkit"] = {"passed": False,
                                  "feedback": "Your code stopped the kernel while this test ran"}
    nb = nbformat.v4.new_notebook(cells=cells)
    assert stopped_cells(nb) == [(1, "a"), (3, "c")]


@pytest.mark.fast
@pytest.mark.parametrize("verdict, refused", [
    ({"passed": False, "kernel_stopped": True}, False),
    ({"passed": True}, False),
    ({"passed": False, "kernel_stopped": "yes"}, True),
    ({"passed": False, "kernel_stopped": 1}, True),
    (["not", "a", "verdict"], True)])
def test_a_worker_cannot_forge_whether_a_test_stopped_the_kernel(verdict, refused):
    from types import SimpleNamespace
    from utils.grader import coordinator, unit
    cell = SimpleNamespace(name="test_a", max_score=1)
    master = SimpleNamespace(version="v1", grade_cells=[cell], solution_cells=[], task_cells=[])
    task = SimpleNamespace(student="ada", assignment="lab1", notebook="01", content_hash="h",
                           master=master)
    graded = _test_cell("test_a", "a")
    graded.metadata["nnkit"] = verdict
    result = unit.Result("ada", "lab1", "01", "h", "v1", scores={"test_a": 0.0},
                         graded=nbformat.writes(nbformat.v4.new_notebook(cells=[graded])))
    why = coordinator.check_result(task, result)
    assert why == ("the worker returned a test verdict that is not the grader's"
                   if refused else "")


# -- a class through the kit: forged replies first, honest classmates after ----

NOTEBOOK = "01_neuron"

#: The kernel's JSON module swapped inside the agent (the guard watches
#: ``agent.serve``, not this): every reply claims attributes for every object
#: the request encoded, NumPy's comparisons and a source for the grader's code.
POISON = '''
import json as _json
import utils.grader.agent as _agent
class _Forger:
    loads = staticmethod(_json.loads)
    @staticmethod
    def dumps(reply, **options):
        if isinstance(reply, dict) and "nonce" in reply and "error" not in reply:
            forged = {"D": [["allclose", 0], ["array_equal", 0], ["isclose", 0],
                            ["__nnkit_source__", "def sigmoid(a):\\n    return a * 0\\n"]]}
            reply = dict(reply, objects=[[i, forged] for i in range(64)])
        return _json.dumps(reply, **options)
_agent.json = _Forger
'''

#: A wrong neuron_forward that would answer with a lent one it kept, and a
#: neuron_gradient that keeps the lent neuron_forward of its test.
STASHER = {
    "neuron_forward": '''
_kept = {}
def neuron_forward(X, w, b):
    lent = _kept.get("f")
    if lent is not None:
        return lent(X, w, b)
    return np.zeros(len(X))
''',
    "neuron_gradient": '''
def neuron_gradient(X, t, w, b):
    _kept.setdefault("f", globals().get("neuron_forward"))
    pre = X @ w + b
    delta = (sigmoid(pre) - t) * sigmoid_prime(pre) / X.shape[0]
    return X.T @ delta, float(np.sum(delta))
'''}

#: An unstable sigmoid, with NumPy's error state and the warning filters
#: disarmed behind the guard's back.
WARNER = '''
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))
import warnings
np.errstate.__enter__ = lambda self: None
np.errstate.__exit__ = lambda self, *exc: None
np.seterr(all="ignore")
warnings.simplefilter = lambda *args, **kwargs: None
warnings.filterwarnings("ignore")
'''

#: Student code that looks inside what a test lends, and prints it later.
READER = {
    "neuron_forward": '''
_seen = []
def neuron_forward(X, w, b):
    lent = globals().get("sigmoid")
    for name in ("__code__", "__globals__", "__wrapped__", "__closure__", "source",
                 "_nnkit_lent", "__class__"):
        try:
            _seen.append(repr(getattr(lent, name))[:400])
        except Exception as err:
            _seen.append(type(err).__name__)
    import inspect
    try:
        _seen.append(inspect.getsource(lent))
    except Exception as err:
        _seen.append(type(err).__name__)
    return sigmoid(X @ w + b)
''',
    "mse": '''
print("READ", _seen)
def mse(y, t):
    return float(np.sum((y - t) ** 2) / (2 * len(y)))
'''}


def _move_cell(nb, grade_id, before):
    """Move the cells from answer ``grade_id`` through its test to before test ``before``."""
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    start, end = ids.index(grade_id), ids.index("test_" + grade_id)
    block = nb.cells[start:end + 1]
    del nb.cells[start:end + 1]
    at = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells].index(before)
    nb.cells[at:at] = block
    return nb


@pytest.fixture(scope="module")
def channel_class(tmp_path_factory):
    from conftest import small_course
    from utils.grader import coordinator
    from utils.submissions import fill_answers, solution_answers, write_submission
    course = small_course(tmp_path_factory.mktemp("channel") / "course", "lab2", (NOTEBOOK,))
    solutions = solution_answers(course.source / "lab2" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab2" / f"{NOTEBOOK}.ipynb"

    def hand_in(student, changes, change=None):
        nb = fill_answers(release, {**solutions, **changes})
        if change:
            nb = change(nb)
        write_submission(course, student, "lab2", {NOTEBOOK: nb})

    def stash_and_duplicate(nb):
        nb = _move_cell(nb, "neuron_gradient", "test_neuron_forward")
        copy = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                    == "test_mse")
        twin = nbformat.from_dict(json.loads(json.dumps(copy)))
        twin["id"] = "a-copy-of-test-mse"
        nb.cells.insert(3, twin)
        return nb

    hand_in("a-poisoner", {"gd_step": solutions["gd_step"] + "\n" + POISON})
    hand_in("b-stasher", STASHER, stash_and_duplicate)
    hand_in("c-warner", {"sigmoid": WARNER})
    hand_in("d-reader", READER)
    hand_in("e-honest", {})
    hand_in("f-honest", {})
    outcomes = {o.student: o for o in coordinator.autograde(course, "lab2", jobs=1,
                                                            progress=lambda *_: None)}
    return {"course": course, "outcomes": outcomes}


def _lost(course, student):
    from utils.grader.report import cell_scores
    return sorted(cell for cell, (score, top) in
                  cell_scores(course, "lab2", student, NOTEBOOK).items() if score < top
                  and cell != "experiment_answer")


def test_honest_classmates_graded_after_forged_replies_keep_every_point(channel_class):
    """Graded in the coordinator itself (--jobs 1), after the poisoner: the
    grader's NumPy, reference code and checks are as they were."""
    course, outcomes = channel_class["course"], channel_class["outcomes"]
    for student in ("e-honest", "f-honest", "a-poisoner"):
        assert outcomes[student].graded, outcomes[student].message
        assert _lost(course, student) == [], student
    assert callable(np.allclose) and np.allclose(1.0, 1.0)
    assert "__nnkit_source__" not in vars(lab2.sigmoid)
    assert integrity.restore() == []


def test_a_kept_stand_in_answers_nothing_and_tests_run_in_order(channel_class):
    course, outcome = channel_class["course"], channel_class["outcomes"]["b-stasher"]
    assert outcome.graded, outcome.message
    assert _lost(course, "b-stasher") == ["test_neuron_forward"]
    assert "moved this test cell" in outcome.message
    assert "holds this test cell twice" in outcome.message


def test_a_disarmed_warning_check_fails_and_is_flagged(channel_class):
    course, outcome = channel_class["course"], channel_class["outcomes"]["c-warner"]
    assert outcome.graded, outcome.message
    assert _lost(course, "c-warner") == ["test_sigmoid_prime", "test_sigmoid_stable"]
    assert "error state or the warning filters were changed" in outcome.message


def test_student_code_cannot_read_what_a_test_lends(channel_class):
    course, outcome = channel_class["course"], channel_class["outcomes"]["d-reader"]
    assert outcome.graded and _lost(course, "d-reader") == []
    nb = nbformat.read(str(course.autograded / "d-reader" / "lab2" / f"{NOTEBOOK}.ipynb"), 4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "READ" in printed
    import inspect
    own = "".join(c.source for c in nb.cells)        # lines the student wrote too
    body = [line.strip() for line in inspect.getsource(lab2.sigmoid).splitlines()[1:]
            if len(line.strip()) > 12 and not line.strip().startswith(('"""', "#"))
            and line.strip() not in own]
    assert body and not [line for line in body if line in printed]
    assert "utils.grader.agent.Lent" in printed      # the test's sigmoid was a stand-in


def test_stock_nbgrader_grades_honest_students_after_a_poisoner(channel_class):
    """`nbgrader autograde` grades the class in one process, with the course config."""
    course = channel_class["course"]
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", "lab2",
         "--force", "--CourseDirectory.student_id_exclude=b-stasher,c-warner,d-reader,f-honest"],
        cwd=course.root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for student in ("a-poisoner", "e-honest"):
        assert _lost(course, student) == [], student


@pytest.mark.fast
def test_further_forged_questions_are_refused_without_harm():
    """Questions a student who read agent.py would write by hand: generator states
    the grader's NumPy cannot hold or of another kind, a lent function that would
    ask the kernel back while the kernel waits (it would hang both), and a random
    state of the wrong shape.  Each gets an error; nothing changes here."""
    session = remote.KernelSession(ForgingKernel(lambda request: {}))
    number = session.loan(lab2.sigmoid)["L"][1]
    stranger = remote.Remote(session, 5, "function")
    calls_back = session.loan(lambda x: stranger(x))["L"][1]

    def question(handle, *args, random=None):
        fields = {"token": session.token, "op": "call", "handle": handle,
                  "args": args, "kwargs": {}, "random": random or np.random.get_state()}
        return json.dumps(wire.to_plain(fields, lambda v: v))

    def generator(state):
        return {"G": wire.to_plain(state, None)}
    grader_stream = np.random.get_state()
    bad = [
        question(number, generator({"bit_generator": "PCG64", "state": {"state": -1, "inc": 1},
                                    "has_uint32": 0, "uinteger": 0})),
        question(number, generator({"bit_generator": "os.system", "state": {}})),
        question(number, generator(["PCG64"])),
        question(calls_back, 1.0),
        question(number, 1.0, random=("MT19937", np.zeros(3, np.uint32), 0, 0, 0.0)),
    ]
    for text in bad:
        reply = json.loads(session.answer(text))
        assert "error" in reply and "value" not in reply, text[:200]
    assert remote.random_state(np.random.get_state()) is not None
    assert _same(np.random.get_state(), grader_stream)


def _same(one, other):
    return one[0] == other[0] and one[2:] == other[2:] and np.array_equal(one[1], other[1])
