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
import ast
import copy
import os
import queue
import shutil
import stat
import time

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution

from . import kernels, remote, sandbox, verdict as verdicts
from .guard import MARKER

#: ``ename`` of the error recorded in a cell that stopped the kernel.
KERNEL_STOPPED = "KernelStopped"

#: Seconds an interrupted kernel gets to answer before it counts as stuck.
RESPONSE_TIMEOUT = 10

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
        for cell in nb.cells:
            cell.metadata.pop("nnkit", None)        # only the grader writes this
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
        if specs:
            km.kernel_spec_manager = KernelSpecManager(kernel_dirs=[specs])
        # Sockets of this kernel alone, in a folder only it and the grader see.
        km.transport = "ipc"
        km.ip = os.path.join(private, "sockets", "kernel")
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
        if source is None:
            result = verdicts.Verdict(False, message="not a test of this assignment",
                                      feedback="This cell is not a test of the assignment.")
        else:
            self._deadline = time.monotonic() + (self.timeout or 600)
            session = remote.KernelSession(self._transport)
            result = verdicts.run_test(source, session, grade_id)
            if not result.kernel_lost:
                try:
                    session.restore()
                except BaseException as err:  # noqa: BLE001 - a broken kernel, flagged
                    if isinstance(err, remote.KernelLost):
                        result.kernel_lost = err.why
                    result.flag = result.flag or "the kernel did not answer after the test"
            replaced = "" if result.kernel_lost else self._guard_report()
            if replaced:
                result.flag = "; ".join(filter(None, [
                    result.flag, f"{replaced} was replaced while this test ran"]))
        cell.outputs = verdicts.outputs(result)
        cell.metadata["nnkit"] = {"passed": result.passed, "hidden": result.hidden,
                                  "feedback": result.feedback, "flag": result.flag}
        if result.kernel_lost and result.kernel_lost.endswith("did not stop when interrupted") \
                or result.kernel_lost.startswith("stopped"):
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
            remote.KernelSession(self._transport).request("provide", answers=self._earlier)
        except BaseException as err:  # noqa: BLE001 - the loading cell then says what is missing
            self.log.warning("Could not give the kernel the earlier answers: %s", err)

    def _transport(self, code, expression):
        """Run ``code`` in the kernel; return the text it gives for ``expression``."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise remote.KernelLost(f"ran longer than {self.timeout} s")
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False,
                                 user_expressions={"answer": expression})
        try:
            reply = run_sync(self._wait_reply)(msg_id, remaining)
        except TimeoutError:
            run_sync(self.km.interrupt_kernel)()
            try:
                run_sync(self._wait_reply)(msg_id, RESPONSE_TIMEOUT)
            except TimeoutError:
                raise remote.KernelLost(f"ran longer than {self.timeout} s and did not "
                                        "stop when interrupted") from None
            raise remote.KernelLost(f"ran longer than {self.timeout} s") from None
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise remote.NoAnswer("the kernel could not run the grader's request")
        answer = content.get("user_expressions", {}).get("answer", {})
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise remote.NoAnswer("the kernel did not give the grader's answer")
        return answer.get("data", {}).get("text/plain")

    async def _wait_reply(self, msg_id, timeout):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(1.0, left)))
            except queue.Empty:
                if not await ensure_async(self.km.is_alive()):
                    raise remote.KernelLost("stopped (the code exited, crashed or ran "
                                            "out of memory)") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def _guard_report(self):
        """What the kernel's guard saw replaced (a flag for the instructor, no score)."""
        expression = "__import__('utils.grader.guard', fromlist=['guard']).check_now()"
        try:
            self._deadline = time.monotonic() + RESPONSE_TIMEOUT
            text = self._transport("", expression)
            found = ast.literal_eval(text)
            return found if isinstance(found, str) else "the tamper check"
        except BaseException:  # noqa: BLE001 - no answer is itself worth a flag
            return "the tamper check (it gave no answer)"

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
        except BaseException:  # noqa: BLE001 - no answer in time, or the kernel is gone
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


def stopped_cells(nb):
    """``[(cell number, first line)]`` of the cells that stopped the kernel."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        lost = cell.get("metadata", {}).get("nnkit", {}).get("feedback", "")
        if any(o.get("ename") == KERNEL_STOPPED for o in cell.get("outputs", [])) \
                or (is_grade(cell) and "stopped the kernel" in lost):
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            found.append((number, first[:60]))
    return found


def flagged_cells(nb):
    """``[(cell number, flag)]`` of test cells the grader flagged, and guard reports."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        flag = cell.get("metadata", {}).get("nnkit", {}).get("flag")
        if flag and is_grade(cell):
            found.append((number, flag))
            continue
        for output in cell.get("outputs", []):
            text = output.get("text", "") or output.get("evalue", "")
            for line in str(text).splitlines():
                if line.startswith(MARKER):
                    found.append((number, line[len(MARKER):].strip()))
    return found
