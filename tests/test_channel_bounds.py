"""What a student's kernel sends the grader is bounded before it is read.

Every byte from the kernel is chosen by student code.  The fast tests check
the pieces on their own: the reader of the ``text/plain`` of a str
(:func:`utils.grader.wire.read_str`), the bounded JSON step
(:func:`utils.grader.wire.parse_json`), the kernel client's sockets and
channels (:func:`utils.grader.execute.bounded_client`), the cap on a cell's
output and the guard's short answer.  The kernel tests grade lab1's first
notebook for an honest student and for hostile ones, in a process of its own
whose peak memory is measured: each attack costs the attacked test cells
their points, never the grading process more than :data:`MEMORY_BOUND` over
the honest student's peak.
"""
import asyncio
import json
import random
import re
import subprocess
import sys
import time
import tracemalloc

import nbformat
import pytest
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.session import Session

from conftest import KIT, small_course
from utils.grader import execute, remote, wire
from utils.grader.report import cell_scores
from utils.submissions import fill_answers, solution_answers, write_submission

fast = pytest.mark.fast


# -- the text/plain of a str -----------------------------------------------------

#: Characters that ask the most of a reader: both quotes, backslashes, control
#: characters, characters repr escapes, others it keeps, a lone surrogate.
HARD = "ab'\"\\\n\r\t\x00\x07\x1b\x7f\x80\x9f\xa0 é€\u2028\ufeff\ud800\U0001F600\U0010FFFF{}[],:"


@fast
def test_a_str_literal_is_read_back_exactly():
    rng = random.Random(7)
    samples = ["", "'", '"', "'\"", "\\", "\\'", "x" * 5000, HARD]
    samples += ["".join(rng.choice(HARD) for _ in range(rng.randrange(60))) for _ in range(3000)]
    samples.append("".join(rng.choice(HARD) for _ in range(200_000)))   # pieces of 64 KiB
    samples.append("".join(chr(rng.randrange(0x110000)) for _ in range(20_000)))
    for text in samples:
        assert wire.read_str(repr(text)) == text, repr(text)[:200]


@fast
@pytest.mark.parametrize("text", [
    "'a' 'b'", "'a''b'", "'a' + 'b'", "('a')", "'a',", "'''a'''", '"""a"""',
    "b'a'", "r'a'", "f'a'", "u'a'", "rb'a'", " 'a'", "'a' ", "'a'\n",
    "1", "1.5", "None", "True", "[1, 2]", "{'a': 1}", "('a',)", "...",
    "'a", "a'", "'", "", "'a\"", "'a'b'", "'a\\'", "'a\nb'", "'a\rb'", "'\x00'",
    "'\\q'", "'\\0'", "'\\a'", "'\\N{BULLET}'", "'\\x4'", "'\\u12'", "'\\U0011ffff'",
    "'\\\n'", "__import__('os').getcwd()",
])
def test_anything_but_one_str_literal_is_refused(text):
    with pytest.raises(wire.WireError):
        wire.read_str(text)


@fast
@pytest.mark.parametrize("value", [None, b"'a'", 5, ["'a'"], {"data": "'a'"}])
def test_what_is_not_text_is_refused(value):
    with pytest.raises(wire.WireError):
        wire.read_str(value)
    with pytest.raises(wire.WireError):
        wire.read_reply(value)


@fast
def test_the_length_is_checked_before_any_work():
    """Too long by one character: refused at once, with nothing allocated."""
    text = repr("x" * 10_000_000)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with pytest.raises(wire.WireError, match="larger"):
            wire.read_reply(text, limit=len(text) - 1)
        with pytest.raises(wire.WireError, match="larger"):
            wire.read_str(text, limit=len(text) - 1)
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 and took < 0.05, (peak, took)
    assert wire.read_str(text, limit=len(text)) == "x" * 10_000_000


def _peak(function, *args):
    """``(error, peak bytes)`` of ``function(*args)``, which must raise WireError."""
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError) as caught:
            function(*args)
        return str(caught.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@fast
def test_millions_of_tiny_objects_are_refused_before_parsing(monkeypatch):
    """13 million ``{}``: about 40 MB of text, refused without calling the JSON
    parser (which would build a gigabyte of dicts), in memory a small multiple
    of the text."""
    def no_parse(*args, **kwargs):
        raise AssertionError("the JSON parser ran")

    text = repr('{"nonce":"n","value":[' + "{}," * 13_000_000 + "{}]}")
    assert len(text) > 39_000_000
    monkeypatch.setattr(wire.json, "loads", no_parse)
    why, peak = _peak(wire.read_reply, text)
    assert "more items" in why
    assert peak < 3 * len(text), peak
    # as many empty strings, lists, numbers or key-value pairs: refused alike
    for body in ('"",' * 900_000, "[]," * 900_000, "0," * 900_000,
                 "{" + '"":0,' * 450_000 + '"":0}'):
        with pytest.raises(wire.WireError, match="more items"):
            wire.parse_json("[" + body + "0]")


@fast
def test_a_literal_that_is_not_a_str_costs_nothing():
    """What ``ast.literal_eval`` would turn into a huge tuple is refused at its
    first character."""
    text = "(" + "0," * 20_000_000 + ")"
    why, peak = _peak(wire.read_reply, text)
    assert "not a string literal" in why and peak < 64 * 1024, peak


@fast
def test_json_nesting_is_bounded_but_brackets_in_strings_are_text():
    deep = "[" * (wire.MAX_JSON_DEPTH + 1) + "]" * (wire.MAX_JSON_DEPTH + 1)
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.read_reply(repr(deep))
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.parse_json("[" * 100_000)
    fits = "[" * wire.MAX_JSON_DEPTH + "]" * wire.MAX_JSON_DEPTH
    assert wire.parse_json(fits) is not None
    # what a student prints or returns may be full of brackets: one string
    printed = "[[" * 3_000_000 + "{,:" * 1_000_000 + '\\"]'
    reply = json.dumps({"nonce": "n", "printed": printed, "value": [1, 2]})
    assert wire.read_reply(repr(reply))["printed"] == printed
    for broken in ("]", "[]]", '"abc', '""""', '["a" "b"]', "{" * 20, "NaN", "[Infinity]"):
        with pytest.raises(wire.WireError):
            wire.parse_json(broken)


@fast
def test_a_reply_of_the_agent_round_trips():
    import numpy as np
    value = {"W": np.arange(12.0).reshape(3, 4), "t": (1, "two", [3.5, None]), "ok": True}
    text = json.dumps({"nonce": "n", "value": wire.to_plain(value, None)},
                      separators=(",", ":"))
    decoded = wire.from_plain(wire.read_reply(repr(text))["value"])
    assert np.array_equal(decoded["W"], value["W"]) and decoded["t"] == value["t"]


@fast
def test_the_grader_refuses_a_hostile_reply_and_reads_an_honest_one():
    """:meth:`remote.KernelSession._reply` through a stand-in transport."""
    def honest(code, expression):
        nonce = re.search(r'"nonce": "([0-9a-f]+)"', code).group(1)
        return repr(json.dumps({"nonce": nonce, "value": 42}))

    assert remote.KernelSession(honest).name("x") == 42
    for hostile in ("(" + "0," * 1_000_000 + ")", repr("[" + "{}," * 1_000_000 + "{}]"),
                    "'a' 'b'", None, "x" * (wire.MAX_TEXT + 1)):
        session = remote.KernelSession(lambda code, expression, text=hostile: text)
        with pytest.raises(remote.NoAnswer):
            session.name("x")


# -- the kernel client: sockets and channels ------------------------------------------

def _stream(session, socket, text, parent=None, **extra):
    session.send(socket, "stream", {"name": "stdout", "text": text, **extra}, parent=parent)


async def _next(channel, timeout=2.0):
    try:
        return await channel.get_msg(timeout=timeout)
    except Exception:  # noqa: BLE001 - queue.Empty: nothing came
        return None


@fast
def test_the_kernel_client_bounds_what_it_reads(tmp_path, monkeypatch):
    """A client made as a grading kernel's is (:func:`execute.bounded_client`),
    against a stand-in kernel: a frame above the cap never reaches Python;
    a message of too many items, a bad signature and a long error are read as
    a short note; honest messages come through intact."""
    cap = 4 * 2 ** 20
    monkeypatch.setattr(execute, "MAX_FRAME", cap)
    kernel_session, client_session = Session(key=b"k" * 32), Session(key=b"k" * 32)
    context = zmq.Context()
    ip = str(tmp_path / "kernel")
    shell, iopub = context.socket(zmq.ROUTER), context.socket(zmq.PUB)
    shell.bind(f"ipc://{ip}-1")
    iopub.bind(f"ipc://{ip}-2")
    client = execute.bounded_client(AsyncKernelClient)(
        transport="ipc", ip=ip, shell_port=1, iopub_port=2, stdin_port=3, control_port=4,
        hb_port=5, session=client_session)
    client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
    to_client = [client_session.bsession]

    async def ready():                       # a subscription takes a moment to arrive
        for _ in range(100):
            _stream(kernel_session, iopub, "probe")
            if await _next(client.iopub_channel, 0.1) is not None:
                return True
        return False

    async def scenario():
        for socket in (client.shell_channel.socket, client.iopub_channel.socket):
            assert socket.getsockopt(zmq.MAXMSGSIZE) == cap
        assert await ready()
        while await _next(client.iopub_channel, 0.2):
            pass
        parent = kernel_session.msg("execute_request", {})
        seen = {}
        # honest: a large print, below the cap
        _stream(kernel_session, iopub, "y" * (cap // 2), parent=parent)
        seen["large"] = await _next(client.iopub_channel)
        # 900 000 empty objects, below the cap: refused before jupyter_client parses it
        _stream(kernel_session, iopub, "z", parent=parent, junk=[{}] * 900_000)
        seen["items"] = await _next(client.iopub_channel)
        # a bad signature: read as a note for no request
        frames = kernel_session.serialize(kernel_session.msg("stream", {"text": "forged"},
                                                               parent=parent))
        frames[1] = b"0" * len(frames[1])
        iopub.send_multipart(frames)
        seen["forged"] = await _next(client.iopub_channel)
        # a reply with a very long error: kept short
        kernel_session.send(shell, "execute_reply",
                            {"status": "error", "ename": "E", "evalue": "v" * 100_000,
                             "traceback": ["t" * 10_000] * 200}, parent=parent, ident=to_client)
        seen["error"] = await _next(client.shell_channel)
        # above the cap: dropped by libzmq (with the connection); nothing of it is
        # made in Python while the client waits
        frames = kernel_session.serialize(kernel_session.msg(
            "stream", {"name": "stdout", "text": "x" * (cap + 1)}, parent=parent))
        tracemalloc.start()
        iopub.send_multipart(frames, copy=False)
        seen["over"] = await _next(client.iopub_channel, 1.5)
        seen["over_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert await ready()                 # the client connects again by itself
        return parent, seen

    try:
        parent, seen = asyncio.run(scenario())
    finally:
        client.stop_channels()
        context.destroy(linger=0)
    asked = parent["header"]["msg_id"]
    assert seen["large"]["content"]["text"] == "y" * (cap // 2)
    for key in ("items", "forged"):
        assert seen[key]["msg_type"] == "stream" and "did not read" in seen[key]["content"]["text"]
    assert "more items" in seen["items"]["content"]["text"]
    assert seen["items"]["parent_header"]["msg_id"] == asked
    assert seen["forged"]["parent_header"] == {}
    error = seen["error"]["content"]
    assert seen["error"]["parent_header"]["msg_id"] == asked and error["ename"] == "E"
    assert len(error["evalue"]) == execute.MAX_ERROR_TEXT
    assert len(error["traceback"]) == execute.MAX_ERROR_LINES
    assert all(len(line) <= execute.MAX_ERROR_TEXT for line in error["traceback"])
    assert seen["over"] is None
    assert seen["over_peak"] < 256 * 1024, seen["over_peak"]


@fast
def test_a_grading_kernel_manager_makes_bounded_clients(tmp_path):
    """What nbclient and a kernel started ahead get (``km.client()``)."""
    km = _executor().kernel_manager_in(str(tmp_path))
    client = km.client()
    try:
        assert issubclass(km.client_factory, AsyncKernelClient)
        for channel in ("shell", "iopub", "stdin", "control"):
            assert getattr(client, f"{channel}_channel_class") is execute.BoundedChannel
        assert client.context.getsockopt(zmq.MAXMSGSIZE) == execute.MAX_FRAME
        assert km.context.getsockopt(zmq.MAXMSGSIZE) == execute.MAX_FRAME
        # every reply the reader accepts fits in a frame, JSON-escaped twice over
        assert execute.MAX_FRAME >= 2 * wire.MAX_TEXT + 2 ** 16
    finally:
        client.context.destroy(linger=0)
        km.context.destroy(linger=0)


# -- a cell's output -----------------------------------------------------------------

def _executor():
    executor = execute.GradedExecute()
    executor.nb = nbformat.v4.new_notebook()
    executor.reset_execution_trackers()
    executor.clear_before_next_output = False
    return executor


def _message(kind, **content):
    return {"msg_type": kind, "header": {"msg_type": kind}, "parent_header": {"msg_id": "m"},
            "content": content}


def _kept(outs):
    return sum(execute._output_size(o) for o in outs)


@fast
def test_a_flood_of_output_is_cut_as_it_arrives():
    executor = _executor()
    outs = []
    for number in range(300):
        executor.output(outs, _message("stream", name="stdout", text=f"{number:09d}\n" * 1000),
                        None, 0)
    notes = [o for o in outs if "output cut" in o.get("text", "")]
    assert len(notes) == 1 and outs[-1] is notes[0]
    printed = sum(len(o.text) for o in outs if o.name == "stdout")
    assert execute.MAX_CELL_OUTPUT - 10_000 < printed <= execute.MAX_CELL_OUTPUT
    assert outs[0].text.startswith("000000000\n")
    # the first error still shows, short; nothing else does
    executor.output(outs, _message("error", ename="ValueError", evalue="e" * 10 ** 6,
                                   traceback=["line"] * 1000), None, 0)
    executor.output(outs, _message("error", ename="ValueError", evalue="again",
                                   traceback=[]), None, 0)
    executor.output(outs, _message("display_data", data={"text/plain": "late"}, metadata={}),
                    None, 0)
    errors = [o for o in outs if o.output_type == "error"]
    assert len(errors) == 1 and len(errors[0].evalue) == execute.MAX_ERROR_TEXT
    assert len(errors[0].traceback) == execute.MAX_ERROR_LINES
    assert not any(o.get("data") for o in outs)
    # the next cell starts afresh
    other = []
    executor.output(other, _message("stream", name="stdout", text="fine\n"), None, 1)
    assert [o.text for o in other] == ["fine\n"]


@fast
def test_many_small_outputs_and_a_whole_notebook_are_capped_too():
    executor = _executor()
    outs = []
    for _ in range(execute.MAX_CELL_OUTPUTS + 500):
        executor.output(outs, _message("stream", name="stdout", text="."), None, 0)
    assert len(outs) == execute.MAX_CELL_OUTPUTS + 1 and "output cut" in outs[-1].text
    # an output cleared makes room again in its cell
    outs[:] = []
    executor.output(outs, _message("stream", name="stdout", text="after clear"), None, 0)
    assert [o.text for o in outs] == ["after clear"]
    # cells just under their own limit fill the notebook's, then every cell is cut
    executor = _executor()
    picture = {"image/png": "A" * (execute.MAX_CELL_OUTPUT - 100)}
    cells = []
    for index in range(execute.MAX_NOTEBOOK_OUTPUT // execute.MAX_CELL_OUTPUT + 3):
        cells.append([])
        executor.output(cells[-1], _message("display_data", data=picture, metadata={}),
                        None, index)
    kept = sum(_kept([o for o in c if o.output_type == "display_data"]) for c in cells)
    assert kept <= execute.MAX_NOTEBOOK_OUTPUT
    assert "output cut" in cells[-1][-1].text
    # a shown output's data is replaced only within the notebook's limit
    display = _executor()
    display.nb.cells.append(nbformat.v4.new_code_cell("show()"))
    outs = display.nb.cells[0].outputs
    display.output(outs, _message("display_data", data={"text/plain": "v1"}, metadata={},
                                  transient={"display_id": "d"}), "d", 0)
    display._update_display_id("d", _message("update_display_data", data={"text/plain": "v2"},
                                              metadata={}))
    assert outs[0].data["text/plain"] == "v2"
    display._update_display_id("d", _message(
        "update_display_data", data={"text/plain": "x" * (execute.MAX_NOTEBOOK_OUTPUT + 1)},
        metadata={}))
    assert outs[0].data["text/plain"] == "v2"


# -- the guard's answer -----------------------------------------------------------------

@fast
@pytest.mark.parametrize("answer, expected", [
    (repr(""), ""),
    (repr("np.allclose, utils.checks.check_close"), "np.allclose, utils.checks.check_close"),
    (repr("\x1b[31mred\x1b[0m\n" * 100), ("?[31mred?[0m?" * 24)[:300]),
    (repr("x" * 5000), "the tamper check"),
    ("(" + "0," * 100_000 + ")", "the tamper check"),
    ("'a' 'b'", "the tamper check"),
    (None, "the tamper check (it gave no answer)"),
])
def test_the_guard_report_is_short_and_plain(answer, expected):
    executor = _executor()
    executor._transport = lambda code, expression: answer
    assert executor._guard_report() == expected


# -- hostile students, graded ---------------------------------------------------------

NOTEBOOK = "01_single_neuron"

#: How much more memory than an honest student's grading a hostile student's
#: may cost the grading process (its peak resident size).  Each attack below
#: would cost 0.5 to 1.5 GiB without the bounds; with them, at most a few
#: copies of the 40 MB a reply may hold.
MEMORY_BOUND = 150 * 2 ** 20

#: Put in the ``relu`` answer cell: when the grader first calls relu() (from
#: the kernel's agent, not from a student cell), the agent's ``serve`` is
#: replaced, so that the test's next requests get ``PAYLOAD`` as the reply.
HIJACK = '''
import json as _json, sys as _sys
import utils.grader.agent as _agent
_real_serve = _agent.serve

def _hijack():
    frame = _sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") != "utils.grader.agent":
        frame = frame.f_back
    if frame is None or _agent.serve is not _real_serve:
        return
    def serve(text):
        nonce = _json.loads(text)["nonce"]
        _agent.REPLY = PAYLOAD
    _agent.serve = serve

def relu(Z):
    _hijack()
    return np.maximum(0, Z)
'''

#: A reply that is a 40 MB Python literal (a tuple), not a str.
LITERAL = '''
class _Literal:
    def __repr__(self):
        return "(" + "0," * 20_000_000 + ")"
PAYLOAD = _Literal()
'''

#: A reply that is a str holding 13 million empty JSON objects (40 MB).
TINY_OBJECTS = '''
PAYLOAD = '{"nonce":"n","value":[' + "{}," * 13_000_000 + '{}]}'
'''

#: 90 MB printed by a student cell, one message a megabyte.  (What a kernel
#: prints in one go, within its 0.2 s between flushes, is one message: above
#: the cap, it is dropped as the one below.)
FLOOD = '''
for _ in range(90):
    print("x" * 1_000_000, flush=True)
'''

#: One output message above the client's cap, from the relu cell.
OVERSIZE = f'''
print("x" * {execute.MAX_FRAME + 1024}, flush=True)
'''

#: A reply (the shell's answer to the grader's request) above the client's cap:
#: libzmq drops it, and the grader stops waiting for it as soon as it sees that.
SHELL_OVERSIZE = f'''
PAYLOAD = "x" * {execute.MAX_FRAME + 1024}
'''

#: A student cell's own reply above the cap (an error with a huge message):
#: that cell's error is lost, and the next cells run as usual.
ERROR_OVERSIZE = f'''
raise ValueError("x" * {execute.MAX_FRAME + 1024})
'''

#: The grading, in a process of its own: the peak resident size after each student.
GRADE = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from utils.course import Course, prepare_environment
prepare_environment()
from utils.grader import coordinator

def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

course, students = Course(sys.argv[2]), sys.argv[3:]
peaks = {}

def progress(line):
    for student in students:
        if line.startswith("  [") and f"] {student} / " in line:
            peaks[student] = peak()

outcomes = coordinator.autograde(course, "lab1", students=students, jobs=1, progress=progress)
print(json.dumps({"peaks": peaks,
                  "outcomes": {o.student: [o.graded, o.message] for o in outcomes}}))
'''


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """lab1's first notebook graded for an honest student and six hostile ones,
    honest first, in one separate process."""
    root = tmp_path_factory.mktemp("channel-bounds")
    course = small_course(root / "course")
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"
    students = {
        "honest": {},
        "literal-reply": {"relu": LITERAL + HIJACK},
        "tiny-objects": {"relu": TINY_OBJECTS + HIJACK},
        "flood": {"neurons": solutions["neurons"] + "\n" + FLOOD},
        "oversize": {"relu": solutions["relu"] + "\n" + OVERSIZE},
        "shell-oversize": {"relu": SHELL_OVERSIZE + HIJACK},
        "error-oversize": {"relu": solutions["relu"] + "\n" + ERROR_OVERSIZE},
    }
    for student, changes in students.items():
        write_submission(course, student, "lab1",
                         {NOTEBOOK: fill_answers(release, {**solutions, **changes})})
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", GRADE, str(KIT), str(course.root), *students],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(course=course, seconds=time.monotonic() - started)
    return result


def _lost(course, student):
    scores = cell_scores(course, "lab1", student, NOTEBOOK)
    assert scores
    return sorted(cell for cell, (score, top) in scores.items() if score < top)


def _graded_cell(course, student, grade_id):
    nb = nbformat.read(str(course.autograded / student / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_an_honest_student_keeps_every_point(hostile_class):
    graded, message = hostile_class["outcomes"]["honest"]
    assert graded, message
    assert _lost(hostile_class["course"], "honest") == []


@pytest.mark.parametrize("student", ["literal-reply", "tiny-objects", "oversize",
                                     "shell-oversize"])
def test_an_attack_on_the_channel_loses_only_the_attacked_test(hostile_class, student):
    """A reply that is a huge literal or millions of tiny objects, or an output
    message above the cap: test_relu gets no points, every other cell keeps its."""
    graded, message = hostile_class["outcomes"][student]
    assert graded, message
    assert _lost(hostile_class["course"], student) == ["test_relu"]


def test_a_cell_whose_reply_is_too_large_costs_nothing_else(hostile_class):
    """The error of the relu cell is dropped unread; relu was defined before it,
    so every test keeps its points, and grading did not wait out a timeout."""
    graded, message = hostile_class["outcomes"]["error-oversize"]
    assert graded, message
    assert _lost(hostile_class["course"], "error-oversize") == []


def test_a_flood_of_output_costs_no_points_and_is_cut(hostile_class):
    course = hostile_class["course"]
    graded, message = hostile_class["outcomes"]["flood"]
    assert graded, message
    assert _lost(course, "flood") == []
    cell = _graded_cell(course, "flood", "neurons")
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert "output cut" in text and len(text) <= execute.MAX_CELL_OUTPUT + 1000


def test_no_attack_costs_the_grader_much_memory(hostile_class):
    peaks = hostile_class["peaks"]
    assert list(peaks)[0] == "honest" and len(peaks) == 7, peaks
    # peaks only grow: the last is the most any hostile student reached
    assert max(peaks.values()) - peaks["honest"] <= MEMORY_BOUND, {
        student: (peak - peaks["honest"]) // 2 ** 20 for student, peak in peaks.items()}
