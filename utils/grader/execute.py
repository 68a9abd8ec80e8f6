"""Executing a submission: student cells in the kernel, test cells in the grader.

:class:`GradedExecute` replaces nbgrader's ``Execute`` step in autograding.

- The kernel starts in a private folder of its own (read-only copies of the
  submission's files, never the graded notebook with its hidden tests) and
  talks to the grader through socket files in another private folder; both
  are removed when the notebook is done.
- Student cells run in the kernel as usual.  Before the first one that loads
  answers of an earlier notebook (:func:`utils.earlier.load_answers`), the
  kernel is given the grader's versions of them: it never sees another
  notebook, so each notebook is graded on its own.
- A test cell never runs in the kernel.  Its code, taken from the
  gradebook's copy of the instructor's notebook, runs in the grading process
  (:mod:`utils.grader.verdict`), reaching into the kernel only to call the
  student's code; its verdict *replaces* every output of the cell, so what
  nbgrader scores is what the grader decided.
- When a cell kills the kernel (``os._exit``, a crash, out of memory) or
  loops through the interrupt, that cell loses its points: the kernel is
  restarted, every earlier student cell runs again, and grading goes on.
"""
import copy
import datetime
import functools
import hmac
import os
import queue
import shutil
import stat
import time
import uuid

import zmq
import zmq.asyncio
import zmq.utils.monitor

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Type

import numpy as np

from . import integrity, kernels, remote, sandbox, verdict as verdicts
from . import wire
from .guard import MARKER
from .intake import safe_text

#: ``ename`` of the error recorded in a cell that stopped the kernel.
KERNEL_STOPPED = "KernelStopped"

#: Seconds an interrupted kernel gets to answer before it counts as stuck.
RESPONSE_TIMEOUT = 10

#: Most output messages read (and dropped) in one go while a request runs.
IOPUB_BATCH = 256

#: How a stand-in's question starts (``utils.grader.agent.PROMPT``; the agent
#: is not imported here: it is the kernel's side).
STAND_IN = "\x00nnkit:"

#: What of the submission's folder the kernel gets a copy of.
MAX_FILE_BYTES = 16 * 2 ** 20
MAX_FILES = 200


def instructor_tests(resources):
    """``{grade_id: source}`` of the autograded test cells: from the task's
    copy of the instructor's notebook (:mod:`utils.grader.unit`), or from the
    gradebook (stock ``nbgrader autograde`` and formgrader)."""
    from nbgrader.api import Gradebook
    if resources and "nnkit_master" in resources:
        return resources["nnkit_master"].tests
    info = resources.get("nbgrader") if resources else None
    if not info or not info.get("db_url"):
        return None
    with Gradebook(info["db_url"]) as gb:
        notebook = gb.find_notebook(info["notebook"], info["assignment"])
        graded = {cell.name for cell in notebook.grade_cells if cell.cell_type == "code"}
        return {cell.name: cell.source for cell in notebook.source_cells
                if cell.name in graded}


def copy_work_files(origin, target):
    """Copy the regular files a kernel may read from ``origin`` to ``target``.

    Not notebooks (a graded copy may hold hidden tests), not the student's
    copy of ``utils`` (the kernel imports the kit's), nothing hidden, no
    link or special file, nothing large.
    """
    count = 0
    origin = os.path.abspath(origin)
    for parent, dirs, files in os.walk(origin, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"
                   and not (parent == origin and d == "utils")]
        for name in files:
            source = os.path.join(parent, name)
            info = os.lstat(source)
            if name.startswith(".") or name.endswith(".ipynb") \
                    or not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                continue
            count += 1
            if count > MAX_FILES:
                return
            destination = os.path.join(target, os.path.relpath(source, origin))
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as src, open(destination, "wb") as dst:
                shutil.copyfileobj(src, dst)


#: Largest frame of a message the grader's client takes from a kernel: libzmq
#: drops a larger one (``ZMQ_MAXMSGSIZE``, and the connection with it) before
#: any Python code sees it.  An answer is the ``text/plain`` of a str, at most
#: ``wire.MAX_TEXT`` characters of ASCII (the agent's JSON), inside the JSON of
#: the kernel's reply, where a quote or backslash takes two bytes: twice
#: ``wire.MAX_TEXT`` and room for the rest of the reply always fits.  The cap
#: is per frame: libzmq holds every frame of a message before it can be read.
MAX_FRAME = 2 * wire.MAX_TEXT + 2 ** 20

#: What the header and parent header of a refused message may take to be read.
MAX_HEADER = 64 * 2 ** 10

#: Output kept of one student cell (characters of text and data) and of the
#: notebook (counted as it arrives, cleared output included): honest cells
#: print a few pages and a figure is some 50 000 characters.  Beyond either,
#: output is dropped as it arrives and one note says so.
MAX_CELL_OUTPUT = 2 ** 20
MAX_CELL_OUTPUTS = 2000
MAX_NOTEBOOK_OUTPUT = 16 * 2 ** 20
#: An error beyond the limit is still recorded, this much of it.
MAX_ERROR_TEXT = 4096
MAX_ERROR_LINES = 40

#: The guard's answer is a short list of names.
MAX_GUARD_TEXT = 4096


def _output_size(node):
    """Characters of an output or of a message's content, roughly."""
    if isinstance(node, str):
        return len(node)
    if isinstance(node, dict):
        return sum(len(str(key)) + _output_size(value) for key, value in node.items())
    if isinstance(node, (list, tuple)):
        return len(node) + sum(_output_size(value) for value in node)
    return 8


def _trimmed_error(content):
    """An error's content, its texts cut to MAX_ERROR_TEXT and its last lines."""
    trace = content.get("traceback")
    trace = trace[-MAX_ERROR_LINES:] if isinstance(trace, list) else []
    return {**content, "ename": str(content.get("ename", "Error"))[:200],
            "evalue": str(content.get("evalue", ""))[:MAX_ERROR_TEXT],
            "traceback": [str(line)[:MAX_ERROR_TEXT] for line in trace]}


def _refused_message(session, frames, error):
    """What the grader reads instead of a message it will not parse: a short
    note for the request it answers (when its small, signed headers say
    which), for nobody otherwise."""
    header, parent = {}, {}
    try:
        _, parts = session.feed_identities(frames)
        if len(parts) >= 5 and len(parts[1]) + len(parts[2]) <= MAX_HEADER \
                and hmac.compare_digest(session.sign(parts[1:5]), parts[0]):
            header, parent = wire.parse_json(parts[1]), wire.parse_json(parts[2])
    except Exception:  # noqa: BLE001 - then it answers no request
        pass
    kind = header.get("msg_type") if isinstance(header, dict) else None
    asked = parent.get("msg_id") if isinstance(parent, dict) else None
    reason = str(error) if isinstance(error, wire.WireError) else "not a valid message"
    note = (f"[the grader did not read a message of {sum(len(f) for f in frames)} bytes "
            f"from the kernel: {reason}]")
    if isinstance(kind, str) and kind.endswith("_reply") and len(kind) <= 64:
        content = {"status": "error", "ename": "MessageRefused", "evalue": note,
                   "traceback": [note]}
    elif kind == "input_request":
        content = {"prompt": "", "password": False}
    else:
        kind, content = "stream", {"name": "stderr", "text": note + "\n"}
    msg_id = uuid.uuid4().hex
    return {"header": {"msg_id": msg_id, "msg_type": kind, "username": "", "session": "",
                       "date": datetime.datetime.now(datetime.timezone.utc), "version": ""},
            "msg_id": msg_id, "msg_type": kind,
            "parent_header": {"msg_id": asked} if isinstance(asked, str) and len(asked) <= 200
            else {},
            "metadata": {}, "content": content, "buffers": []}


class BoundedChannel(AsyncZMQSocketChannel):
    """A kernel channel that parses a message only within the bounds of
    :mod:`utils.grader.wire` (items, nesting) and keeps an error reply short;
    anything else becomes a short note (:func:`_refused_message`).

    libzmq drops a frame above MAX_FRAME with its connection and, unlike after
    any other loss, does not connect again: :meth:`revive` does, each time
    the channel is read (a message sent meanwhile is lost, as the one dropped).
    """

    #: Seconds after a lost connection without libzmq trying again by itself.
    GIVEN_UP = 0.5

    def __init__(self, socket, session, loop=None):
        super().__init__(socket, session, loop)
        self._watch = socket.get_monitor_socket(
            zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_CONNECT_RETRIED)
        self._events = zmq.Socket.shadow(self._watch.underlying)
        self._dropped = {}          # endpoint -> when its connection was lost
        self.drops = 0              # connections lost so far (a frame over the cap, or worse)

    def revive(self, at_once=False):
        """Connect again what libzmq dropped and gave up on (``at_once``: now,
        without waiting for libzmq to try by itself)."""
        if self.socket is None:
            return
        now = time.monotonic()
        while True:
            try:
                event = zmq.utils.monitor.parse_monitor_message(
                    self._events.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                break
            endpoint = event["endpoint"].decode()
            if event["event"] == zmq.EVENT_DISCONNECTED:
                self._dropped[endpoint] = now
                self.drops += 1
            else:
                self._dropped.pop(endpoint, None)
        for endpoint, since in list(self._dropped.items()):
            if at_once or now - since > self.GIVEN_UP:
                del self._dropped[endpoint]
                try:
                    self.socket.disconnect(endpoint)
                except zmq.ZMQError:
                    pass
                self.socket.connect(endpoint)

    def send(self, msg):
        """Send on a live connection: one a message over the cap cost is made
        again first (a socket without a connection would wait for one for
        ever), and a send that still cannot go in RESPONSE_TIMEOUT fails."""
        self.revive(at_once=True)
        if not zmq.Socket.shadow(self.socket.underlying).poll(RESPONSE_TIMEOUT * 1000,
                                                               zmq.POLLOUT):
            raise ConnectionError("the connection to the kernel was lost")
        if str(msg.get("header", {}).get("msg_type", "")).endswith("_request"):
            self._waiting = msg["header"].get("msg_id")     # the reply a drop would lose
            self._seen_drops = self.drops
        super().send(msg)

    def _lost_reply(self):
        """An error reply to the request whose reply libzmq dropped (it was over
        the cap), so that whoever waits for it stops waiting: nbclient for a
        student cell, the grader for its own request."""
        waiting, self._waiting = getattr(self, "_waiting", None), None
        note = "[the kernel's reply was larger than the grader reads, and was dropped]"
        msg = _refused_message(self.session, [], wire.WireError(note))
        msg["msg_type"] = msg["header"]["msg_type"] = "execute_reply"
        msg["parent_header"] = {"msg_id": waiting}
        msg["content"] = {"status": "error", "ename": "MessageRefused", "evalue": note,
                          "traceback": [note], "execution_count": None}
        return msg

    async def get_msg(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            self.revive()
            if getattr(self, "_waiting", None) and self.drops > self._seen_drops:
                return self._lost_reply()
            left = None if end is None else end - time.monotonic()
            step = 0.25 if left is None else max(0.0, min(0.25, left))
            if await self.socket.poll(int(step * 1000)):
                return await self._recv()
            if left is not None and left <= step:
                raise queue.Empty

    def close(self):
        if self.socket is not None:
            self._watch.close(linger=0)
        super().close()

    stop = close

    async def _recv(self, **kwargs):
        frames = await self.socket.recv_multipart(**kwargs)
        try:
            _, parts = self.session.feed_identities(frames)
            for part in parts[1:5]:
                wire.check_json(part)
            msg = self.session.deserialize(parts)
        except Exception as err:  # noqa: BLE001 - whatever fails is refused, never raised
            return _refused_message(self.session, frames, err)
        content = msg.get("content")
        if msg.get("msg_type") == "execute_reply" and isinstance(content, dict) \
                and content.get("status") == "error":
            msg["content"] = _trimmed_error(content)
        return msg


@functools.lru_cache(maxsize=None)
def bounded_client(factory):
    """The kernel client class ``factory`` with sockets that take no frame above
    MAX_FRAME (set as defaults of the client's own zmq context, before any
    socket is made) and, for asynchronous clients, :class:`BoundedChannel`."""
    def _context_default(self):
        context = factory._context_default(self)      # the client's own, closed with it
        context.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME)
        return context

    names = {"_context_default": _context_default}
    if issubclass(factory, AsyncKernelClient):
        for channel in ("shell", "iopub", "stdin", "control"):
            names[f"{channel}_channel_class"] = Type(BoundedChannel)
    names.update(__module__=__name__, __qualname__=f"Bounded{factory.__name__}")
    return type(f"Bounded{factory.__name__}", (factory,), names)



def _pass_on_interrupt(err):
    """Re-raise Ctrl-C and an exit: a step that may fail in any way (a
    kernel that is gone, a timeout, a cancelled wait) is caught as a
    BaseException, but an instructor who stops the run stops it."""
    if isinstance(err, (KeyboardInterrupt, SystemExit)):
        raise err

class GradedExecute(Execute):
    """nbgrader's Execute with test cells judged outside the student's kernel."""

    #: Start the next notebook's kernel while this one is graded (set by the
    #: kit's unit of work; stock nbgrader and formgrader start one at a time).
    start_ahead = False

    def preprocess(self, nb, resources=None, km=None):
        self._replayable = []   # indices of student cells that ran without stopping the kernel
        self._earlier = None    # the grader's versions of earlier notebooks' answers, once sent
        self._assignment = (resources.get("nbgrader") or {}).get("assignment") if resources else None
        self._tests = instructor_tests(resources)
        if self._tests is None:
            raise RuntimeError("this course's test cells are graded outside the kernel: "
                               "run them through nbgrader autograde (or python -m utils "
                               "autograde), not on their own")
        changed = integrity.restore()
        if changed:
            self.log.warning("The grader's own state had changed since the last notebook "
                             "(%s); it was put back before this one", ", ".join(changed[:5]))
        for cell in nb.cells:
            cell.metadata.pop("nnkit", None)        # only the grader writes this
        nb.cells = self._in_instructor_order(nb.cells)
        self._received = False
        kernel = kernels.take(self, self.start_ahead)   # empty; this notebook's only
        self._private, self._inbox = kernel.private, kernel.inbox
        metadata = resources.setdefault("metadata", {})
        origin = metadata.get("path")
        if origin:
            copy_work_files(origin, kernel.inbox)
        metadata["path"] = kernel.work
        try:
            return super().preprocess(nb, resources, kernel.km)
        finally:
            metadata["path"] = origin
            kernels.stop(kernel, self.kc)

    def _in_instructor_order(self, cells):
        """``cells`` with the test cells in the instructor's order, each once.

        A test cell stays where the submission has it unless a test that comes
        before it in the instructor's notebook stands later: then it moves to
        just after that one (a test never runs before the student's cells that
        precede it in the submission, nor before an earlier test).  A copy of
        a test cell that nbgrader turned into an ordinary cell (it keeps the
        last of duplicates) is not run at all.  Each change is noted, and
        flagged on the test cell, for the instructor.
        """
        rank = {grade_id: number for number, grade_id in enumerate(self._tests)}
        released = {_plain_lines(verdicts.visible_source(source, note="")): grade_id
                    for grade_id, source in self._tests.items()}
        self._order_notes = {}
        position, kept = {}, []
        for cell in cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id") \
                if is_grade(cell) and not is_solution(cell) else None
            if grade_id in rank:
                position[grade_id] = len(kept)
            elif cell.cell_type == "code" and cell.source.strip() \
                    and _plain_lines(cell.source) in released:
                copy_of = released[_plain_lines(cell.source)]
                cell.source = (f"# A second copy of the test cell {copy_of}: the grader runs "
                               "each test once, where the instructor's order puts it.")
                cell.outputs = []
                self._order_notes[copy_of] = "the submission holds this test cell twice; " \
                                             "it was graded once"
            kept.append(cell)
        latest, place = -1, {}
        for grade_id in sorted(position, key=rank.get):
            if position[grade_id] < latest:
                self._order_notes[grade_id] = "the submission moved this test cell before " \
                    "an earlier exercise's test; it was graded after that one"
            latest = max(latest, position[grade_id])
            place.setdefault(latest, []).append(grade_id)
        if not any(position[g] != slot for slot, ids in place.items() for g in ids):
            return kept
        ordered = []
        for index, cell in enumerate(kept):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if not (grade_id in position and position[grade_id] == index):
                ordered.append(cell)
            for moved in place.get(index, ()):
                ordered.append(kept[position[moved]])
        return ordered

    def kernel_signature(self):
        """What a kernel started ahead must share with this step to serve it."""
        return (sandbox.grading_kernel_specs(), tuple(self.extra_arguments),
                self.kernel_manager_class)

    def kernel_manager_in(self, private):
        """A kernel manager for a kernel whose private folder is ``private``."""
        # The sandbox's kernel, asked for by name; the notebook's own kernelspec
        # (python3) is what every interactive Jupyter keeps using.
        specs = sandbox.grading_kernel_specs()
        if specs:
            self.kernel_name = sandbox.KERNEL_NAME
        km = super().create_kernel_manager()
        km.kernel_spec_manager = KernelSpecManager(kernel_dirs=[specs]) if specs \
            else kernels.PlainPython()
        # Sockets of this kernel alone, in a folder only it and the grader see.
        km.transport = "ipc"
        km.ip = os.path.join(private, "sockets", "kernel")
        # What the kernel sends is bounded before Python reads it: frames above
        # MAX_FRAME never leave libzmq, in the client nbclient makes (km.client())
        # as in the manager's own control socket.
        km.client_factory = bounded_client(km.client_factory)
        km.context.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME)
        return km

    def create_kernel_manager(self):
        return self.kernel_manager_in(self._private)

    def _receive_files(self):
        """Have the kernel copy the submission's files from its inbox into its
        working folder: before any student cell, and after each restart."""
        self._received = True
        if not os.listdir(self._inbox):
            return
        inbox = sandbox.INBOX_MOUNT if sandbox.grading_kernel_specs() else self._inbox
        self._deadline = time.monotonic() + RESPONSE_TIMEOUT
        try:
            self._transport(f"__import__('utils.grader.agent', fromlist=['agent'])"
                            f".receive_files({inbox!r})", "None")
        except BaseException as err:  # noqa: BLE001 - the notebook then misses its files
            _pass_on_interrupt(err)
            self.log.warning("The kernel could not receive the submission's files: %s", err)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if is_grade(cell) and not is_solution(cell):
            self._grade(cell)
            return cell, resources
        if not self._received:
            self._receive_files()
        if self._earlier is None and "load_answers" in cell.source:
            self._provide_earlier()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped(cell, "the kernel stopped while it ran (the code exited, "
                                "crashed or ran out of memory)")
            return cell, self.resources
        except CellTimeoutError:
            self._stopped(cell, f"it ran longer than {self.timeout} s")
            return cell, self.resources
        if self._timed_out(cell) and not self._kernel_responds():
            self._stopped(cell, f"it ran longer than {self.timeout} s and did not stop "
                                "when interrupted")
            return cell, self.resources
        self._replayable.append(index)
        return cell, resources

    # -- test cells -----------------------------------------------------------
    def _grade(self, cell):
        grade_id = cell.metadata.nbgrader.get("grade_id")
        source = self._tests.get(grade_id)
        stopped = False                # the verdict is that this test stopped the kernel
        if source is None:
            result = verdicts.Verdict(False, message="not a test of this assignment",
                                      feedback="This cell is not a test of the assignment.")
        else:
            self._deadline = time.monotonic() + (self.timeout or 600)
            session = remote.KernelSession(self._transport)
            # The test's draws from NumPy's global generator are the test's own:
            # whatever the kernel said of its stream lasts until the test ends.
            grader_stream = np.random.get_state()
            self._session = session
            try:
                result = verdicts.run_test(source, session, grade_id)
                stopped = result.lost is not None
                if result.lost is None:
                    try:
                        session.restore()
                    except BaseException as err:  # noqa: BLE001 - a broken kernel, flagged
                        _pass_on_interrupt(err)
                        if isinstance(err, remote.KernelLost):
                            result.kernel_lost, result.lost = err.why, err.kind
                        result.flag = result.flag or "the kernel did not answer after the test"
            finally:
                self._session = None
                session.close()
                np.random.set_state(grader_stream)
            changed = integrity.restore()
            if changed:
                # A reply reached the grader's own state: the test's verdict cannot be
                # trusted, and the next student must not meet the change.
                result.passed = False
                result.hidden = True
                result.feedback = ("The grader could not trust this test's result: your "
                                   "code's answers changed the grader itself.")
                result.message = "the grader's own state changed during this test"
                stopped = False        # this verdict replaces the one that said so
                session.flags.add("the grader's own state changed while this test ran ("
                                  + ", ".join(changed[:5]) + "); it was put back")
            note = getattr(self, "_order_notes", {}).get(grade_id)
            if note:
                result.flag = "; ".join(filter(None, [result.flag, note]))
            if session.flags:
                result.passed = False
                result.flag = "; ".join(filter(None, [result.flag, *sorted(session.flags)]))
            replaced = "" if result.lost is not None else self._guard_report()
            if replaced:
                result.flag = "; ".join(filter(None, [
                    result.flag, f"{replaced} was replaced while this test ran"]))
        cell.outputs = verdicts.outputs(result)
        cell.metadata["nnkit"] = {"passed": result.passed, "hidden": result.hidden,
                                  "feedback": result.feedback, "flag": result.flag,
                                  "kernel_stopped": stopped}
        if result.lost is not None and not result.lost.usable:
            self._restart_and_replay()

    def _provide_earlier(self):
        """Give :func:`utils.earlier.load_answers` in the kernel the grader's own
        versions of earlier notebooks' answers: the kernel never reads another
        notebook, so a notebook is graded on its own."""
        from .reference.earlier import answers_for
        self._earlier = answers_for(self._assignment)
        self._send_earlier()

    def _send_earlier(self):
        if not self._earlier:
            return
        self._deadline = time.monotonic() + RESPONSE_TIMEOUT
        try:
            # Earlier notebooks' answers travel as code, unlike a test's loans:
            # the student's own cells call them, outside any request of the
            # grader, where no stand-in could ask.  They are answers of other
            # notebooks, never of an exercise graded in this one
            # (tests/test_channel.py checks that), and the same for every student.
            session = remote.KernelSession(self._transport)
            session.ship_all = True
            session.request("provide", answers=self._earlier)
        except BaseException as err:  # noqa: BLE001 - the loading cell then says what is missing
            _pass_on_interrupt(err)
            self.log.warning("Could not give the kernel the earlier answers: %s", err)

    def _transport(self, code, expression):
        """Run ``code`` in the kernel; return the text it gives for ``expression``."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise remote.KernelLost(f"ran longer than {self.timeout} s", remote.Lost.LATE)
        # The input channel is open during the grader's own requests only: the
        # stand-ins of what a test lends ask through it (see _answer_stand_in).
        try:
            msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=True,
                                     user_expressions={"answer": expression})
        except ConnectionError as err:          # see BoundedChannel.send
            raise remote.NoAnswer(str(err)) from None
        try:
            reply = run_sync(self._wait_reply)(msg_id, remaining)
        except TimeoutError:
            run_sync(self.km.interrupt_kernel)()
            try:
                run_sync(self._wait_reply)(msg_id, RESPONSE_TIMEOUT)
            except TimeoutError:
                raise remote.KernelLost(f"ran longer than {self.timeout} s and did not "
                                        "stop when interrupted", remote.Lost.STUCK) from None
            raise remote.KernelLost(f"ran longer than {self.timeout} s",
                                    remote.Lost.LATE) from None
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise remote.NoAnswer("the kernel could not run the grader's request")
        answer = content.get("user_expressions", {}).get("answer", {})
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise remote.NoAnswer("the kernel did not give the grader's answer")
        return answer.get("data", {}).get("text/plain")

    async def _wait_reply(self, msg_id, timeout):
        """The kernel's reply to ``msg_id``.  Meanwhile, what the kernel prints is
        read and dropped as it comes (a request's output is never kept), and the
        questions of the stand-ins of this test are answered."""
        end = time.monotonic() + timeout
        shell, stdin, iopub = (self.kc.shell_channel, self.kc.stdin_channel,
                               self.kc.iopub_channel)
        poller = zmq.asyncio.Poller()
        for channel in (shell, stdin, iopub):
            poller.register(channel.socket, zmq.POLLIN)
        drops = getattr(shell, "drops", 0)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError
            for channel in (shell, stdin, iopub):
                getattr(channel, "revive", lambda: None)()   # a connection libzmq dropped
            ready = dict(await poller.poll(timeout=int(min(0.25, left) * 1000)))
            if not ready:
                if not await ensure_async(self.km.is_alive()):
                    raise remote.KernelLost("stopped (the code exited, crashed or ran "
                                            "out of memory)", remote.Lost.GONE) from None
                if getattr(shell, "drops", 0) > drops:
                    # The reply was larger than the grader takes: libzmq dropped it.
                    raise remote.NoAnswer("the kernel's answer was larger than the grader "
                                          "accepts")
                continue
            if iopub.socket in ready:
                for _ in range(IOPUB_BATCH):
                    try:
                        await ensure_async(iopub.get_msg(timeout=0))
                    except queue.Empty:
                        break
            if stdin.socket in ready:
                try:
                    msg = await ensure_async(stdin.get_msg(timeout=0))
                except queue.Empty:
                    msg = None
                if msg is not None and msg.get("msg_type") == "input_request" \
                        and msg.get("parent_header", {}).get("msg_id") == msg_id:
                    self.kc.input(self._answer_stand_in(msg.get("content", {}).get("prompt")))
            if shell.socket in ready:
                try:
                    msg = await ensure_async(shell.get_msg(timeout=0))
                except queue.Empty:
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    return msg

    def _answer_stand_in(self, prompt):
        """The grader's answer to a question on the kernel's input channel: only
        a stand-in of the test running now is answered; anything else (student
        code calling ``input()``) gets an end of file."""
        session = getattr(self, "_session", None)
        if session is None or not isinstance(prompt, str) or not prompt.startswith(STAND_IN):
            return "\x04"
        return session.answer(prompt[len(STAND_IN):])

    def _guard_report(self):
        """What the kernel's guard saw replaced (a flag for the instructor, no score)."""
        expression = "__import__('utils.grader.guard', fromlist=['guard']).check_now()"
        try:
            self._deadline = time.monotonic() + RESPONSE_TIMEOUT
            text = self._transport("", expression)
        except BaseException as err:  # noqa: BLE001 - no answer is itself worth a flag
            _pass_on_interrupt(err)
            return "the tamper check (it gave no answer)"
        if not isinstance(text, str):
            return "the tamper check (it gave no answer)"
        try:
            found = wire.read_str(text, limit=MAX_GUARD_TEXT)
        except wire.WireError:
            return "the tamper check"
        return safe_text(found, 300)

    # -- output of student cells, kept within bounds as it arrives ---------------
    def _output_budget(self, outs=None):
        """``[outs, characters, outputs, cut]`` of the cell whose outputs are
        ``outs`` (None without ``outs``), and ``[characters]`` of the notebook."""
        if getattr(self, "_output_notebook", None) is not self.nb:
            self._output_notebook, self._output_total = self.nb, [0]
            self._output_cell = None
        if outs is None:
            return None, self._output_total
        cell = self._output_cell
        if cell is None or cell[0] is not outs or len(outs) < cell[2]:
            # another cell, or this one's output was cleared: count what it holds
            cell = self._output_cell = [outs, sum(map(_output_size, outs)), len(outs), False]
        return cell, self._output_total

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's handler of one output message, keeping at most
        MAX_CELL_OUTPUT characters and MAX_CELL_OUTPUTS outputs of a cell and
        MAX_NOTEBOOK_OUTPUT of the notebook.  Beyond, output is dropped as it
        comes, but for the first part of a stream that fits, a short version of
        the cell's first error and one note saying what was cut."""
        content = msg.get("content")
        if not isinstance(content, dict):
            return None
        cell, total = self._output_budget(outs)
        size = _output_size(content)
        held = 0 if getattr(self, "clear_before_next_output", False) else cell[1]
        room = min(MAX_CELL_OUTPUT - held, MAX_NOTEBOOK_OUTPUT - total[0])
        if not cell[3] and size <= room and cell[2] < MAX_CELL_OUTPUTS:
            out = super().output(outs, msg, display_id, cell_index)
            cell[1], cell[2] = held + size, len(outs)
            total[0] += size
            return out
        kind = msg.get("msg_type")
        if kind == "stream" and not cell[3] and room > 0 and cell[2] < MAX_CELL_OUTPUTS \
                and isinstance(content.get("text"), str):
            part = {**msg, "content": {**content, "text": content["text"][:room]}}
            super().output(outs, part, None, cell_index)
            cell[1] = held + room
            total[0] += room
        elif kind == "error" and not any(o.get("output_type") == "error" for o in outs):
            outs.append(new_output("error", **{key: value for key, value in _trimmed_error(
                content).items() if key in ("ename", "evalue", "traceback")}))
        if not cell[3]:
            cell[3] = True
            outs.append(new_output("stream", name="stderr", text=(
                "[output cut: this cell's output went past the grader's limit; "
                "the rest was not kept]\n")))
        cell[2] = len(outs)
        return None

    def _update_display_id(self, display_id, msg):
        """Replace a shown output's data only within the notebook's output limit."""
        _, total = self._output_budget()
        size = _output_size(msg.get("content"))
        if display_id in self._display_id_map and total[0] + size <= MAX_NOTEBOOK_OUTPUT:
            total[0] += size
            super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages (and their buffers) count toward the notebook's output
        limit too."""
        _, total = self._output_budget()
        size = _output_size(msg.get("content")) + sum(
            memoryview(b).nbytes for b in msg.get("buffers") or ())
        if total[0] + size <= MAX_NOTEBOOK_OUTPUT:
            total[0] += size
            super().handle_comm_msg(outs, msg, cell_index)

    # -- student cells that stop the kernel --------------------------------------
    @staticmethod
    def _timed_out(cell):
        return any(o.get("output_type") == "error" and "Timeout" in o.get("ename", "")
                   for o in cell.get("outputs", []))

    def _kernel_responds(self):
        """Whether the kernel answers a request within RESPONSE_TIMEOUT seconds."""
        try:
            run_sync(self._wait_reply)(self.kc.kernel_info(), RESPONSE_TIMEOUT)
            return True
        except BaseException as err:  # noqa: BLE001 - no answer in time, or the kernel is gone
            _pass_on_interrupt(err)
            return False

    def _stopped(self, cell, why):
        """Record why the kernel stopped, then restart it and restore the state."""
        self.log.warning("A cell stopped the kernel (%s); restarting it", why)
        cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
        cell.outputs.append(new_output(
            "error", ename=KERNEL_STOPPED,
            evalue=(f"This cell stopped the kernel: {why}. "
                    "The cells after it ran on a fresh kernel, after every earlier "
                    "cell except this one had run again."),
            traceback=[f"{KERNEL_STOPPED}: this cell stopped the kernel: {why}."]))
        self._restart_and_replay()

    def _restart_and_replay(self):
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        self._receive_files()
        self._send_earlier()
        for index in list(self._replayable):
            replay = copy.deepcopy(self.nb.cells[index])
            try:
                super().preprocess_cell(replay, self.resources, index)
            except (DeadKernelError, CellTimeoutError):
                self._replayable.remove(index)
                run_sync(self.km.restart_kernel)(now=True)
                run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
                self._receive_files()
                self._send_earlier()


def _plain_lines(source):
    """A cell's source as its non-blank lines, stripped (for comparing copies)."""
    return "\n".join(line.strip() for line in source.splitlines() if line.strip())


def stopped_cells(nb):
    """``[(cell number, first line)]`` of the cells that stopped the kernel."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        verdict = cell.get("metadata", {}).get("nnkit", {})
        if any(o.get("ename") == KERNEL_STOPPED for o in cell.get("outputs", [])) \
                or (is_grade(cell) and _test_stopped_the_kernel(verdict)):
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            found.append((number, safe_text(first, 60)))
    return found


def _test_stopped_the_kernel(verdict):
    """Whether a test cell's verdict (its ``nnkit`` metadata) is that the test
    stopped the kernel.  A graded copy made before the verdict had a field for
    it (kept while neither the submission nor the tests change) said so in the
    student's feedback only."""
    if "kernel_stopped" in verdict:
        return verdict["kernel_stopped"] is True
    return "stopped the kernel" in str(verdict.get("feedback", ""))


def flagged_cells(nb):
    """``[(cell number, flag)]`` of test cells the grader flagged, and guard reports."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        flag = cell.get("metadata", {}).get("nnkit", {}).get("flag")
        if flag and is_grade(cell):
            found.append((number, safe_text(flag, 600)))
            continue
        for output in cell.get("outputs", []):
            text = output.get("text", "") or output.get("evalue", "")
            for line in str(text).splitlines():
                if line.startswith(MARKER):     # printed in the kernel: its words, cleaned
                    found.append((number, safe_text(line[len(MARKER):].strip(), 300)))
    return found
