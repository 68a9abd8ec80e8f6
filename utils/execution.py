"""Executing a submission so that one bad cell costs only what it breaks.

Stock nbgrader gives a student 0 for every exercise when one cell kills the
kernel (``os._exit``, a crash, running out of memory) or loops while
ignoring the interrupt that ends a timed-out cell.  :class:`ResilientExecute`
replaces nbgrader's ``Execute`` step in autograding: when a cell stops the
kernel it

1. records in that cell an error that names what happened (so a test cell
   that did it scores 0, and the report can say which cell it was);
2. starts a fresh kernel and runs every earlier cell again, except cells
   that stopped a kernel, so the notebook's definitions are back;
3. goes on with the next cell.
"""
import ast
import asyncio
import copy

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade

from .guard import MARKER

#: ``ename`` of the error recorded in a cell that stopped the kernel.
KERNEL_STOPPED = "KernelStopped"

#: Seconds an interrupted kernel gets to answer before it counts as stuck.
RESPONSE_TIMEOUT = 10


class ResilientExecute(Execute):
    """nbgrader's Execute, restarting the kernel after a cell that stops it."""

    def preprocess(self, nb, resources=None, km=None):
        self._replayable = []   # indices of cells that ran without stopping the kernel
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._recover(cell, "the kernel stopped while it ran (the code exited, "
                                "crashed or ran out of memory)")
            return cell, self.resources
        except CellTimeoutError:
            self._recover(cell, f"it ran longer than {self.timeout} s")
            return cell, self.resources
        if self._timed_out(cell) and not self._kernel_responds():
            self._recover(cell, f"it ran longer than {self.timeout} s and did not stop "
                                "when interrupted")
            return cell, self.resources
        self._replayable.append(index)
        if is_grade(cell):
            self._check_tampering(cell)
        return cell, resources

    def _check_tampering(self, cell):
        """Ask the kernel's guard whether the test just run had its tools replaced."""
        expression = "__import__('utils.guard', fromlist=['guard']).check_now()"
        try:
            msg_id = self.kc.execute("", silent=True, store_history=False,
                                     user_expressions={"replaced": expression})
            reply = run_sync(self._async_wait_reply)(msg_id)
            result = reply["content"]["user_expressions"]["replaced"]
            found = ast.literal_eval(result["data"]["text/plain"]) \
                if result.get("status") == "ok" else "the tamper check itself"
        except Exception:  # no answer: treat as tampered rather than trust it
            found = "the tamper check (the kernel did not answer)"
        if found:
            cell.outputs.append(new_output(
                "error", ename="Tampering",
                evalue=f"{MARKER} while this test ran, {found} was replaced; "
                       "the test earns no points.",
                traceback=[f"Tampering: {MARKER} while this test ran, {found} was replaced."]))

    # -- helpers ------------------------------------------------------------
    @staticmethod
    def _timed_out(cell):
        return any(o.get("output_type") == "error" and "Timeout" in o.get("ename", "")
                   for o in cell.get("outputs", []))

    def _kernel_responds(self):
        """Whether the kernel answers a request within RESPONSE_TIMEOUT seconds."""
        try:
            run_sync(self._async_wait_reply)(self.kc.kernel_info())
            return True
        except Exception:  # no answer in time, or the kernel is gone
            return False

    async def _async_wait_reply(self, msg_id):
        async def wait():
            while True:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=None))
                if msg["parent_header"].get("msg_id") == msg_id:
                    return msg
        return await asyncio.wait_for(wait(), RESPONSE_TIMEOUT)

    def _recover(self, cell, why):
        """Record why the kernel stopped, then restart it and restore the state."""
        self.log.warning("A cell stopped the kernel (%s); restarting it", why)
        cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
        cell.outputs.append(new_output(
            "error", ename=KERNEL_STOPPED,
            evalue=(f"This cell stopped the kernel: {why}. Its test points are lost. "
                    "The cells after it ran on a fresh kernel, after every earlier "
                    "cell except this one had run again."),
            traceback=[f"{KERNEL_STOPPED}: this cell stopped the kernel: {why}."]))
        run_sync(self.km.restart_kernel)(now=True)
        run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
        for index in list(self._replayable):
            replay = copy.deepcopy(self.nb.cells[index])
            try:
                super().preprocess_cell(replay, self.resources, index)
            except (DeadKernelError, CellTimeoutError):
                self._replayable.remove(index)
                run_sync(self.km.restart_kernel)(now=True)
                run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)


def stopped_cells(nb):
    """``[(cell number, first line)]`` of the cells that stopped the kernel."""
    found = []
    for number, cell in enumerate(nb.cells, 1):
        if any(o.get("ename") == KERNEL_STOPPED for o in cell.get("outputs", [])):
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            found.append((number, first[:60]))
    return found
