"""Grading kernels started ahead of need, each used for one notebook only.

Starting a sandboxed kernel (bubblewrap, Python, ipykernel, then NumPy and
Matplotlib) is the largest fixed cost of grading a notebook.  A grading
process therefore keeps one kernel starting ahead: while a notebook is
graded, the kernel for the next one is already booting and importing
NumPy and Matplotlib (:data:`WARM_IMPORTS`).  A kernel never serves two
notebooks: it starts empty, in a private folder of its own, before anyone
knows whose notebook it will run; the notebook's files reach it through
its inbox (:func:`utils.grader.agent.receive_files`), and it is shut down
when that notebook is done.
"""
import atexit
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.utils import run_sync

#: Run when a grading kernel starts, before it is given a notebook: the
#: imports nearly every notebook begins with, made while the kernel waits.
WARM_IMPORTS = "--IPKernelApp.exec_lines=import numpy, matplotlib.pyplot"


#: A kernel started ahead but not taken within this many seconds is not
#: used: it is stopped and another started (a long pause between notebooks).
MAX_WAIT_SECONDS = 300


class PlainPython(KernelSpecManager):
    """Kernel specs where ``python3`` is always this Python's own ipykernel, with
    nothing of the instructor's kernel spec (no test helpers, see
    :mod:`utils.grader.instructor_kernel`): what grading without a sandbox and
    the lecture's solved copies run in."""

    def get_kernel_spec(self, kernel_name):
        """This Python's plain spec for ``python3``; the usual lookup otherwise."""
        if kernel_name == "python3":
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict
            from jupyter_client.kernelspec import KernelSpec
            return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
        return super().get_kernel_spec(kernel_name)


@dataclass
class Kernel:
    """A started kernel and its private folder (``sockets``, ``work``, ``inbox``)."""
    km: object
    private: str
    signature: tuple
    owner: int = 0          # the process that started it: only it may use it
    started: float = 0.0

    @property
    def work(self):
        return os.path.join(self.private, "work")

    @property
    def inbox(self):
        return os.path.join(self.private, "inbox")


_AHEAD = []             # kernels started for notebooks still to come (this process)


def _launch(execute, signature):
    private = tempfile.mkdtemp(prefix="nn-kit-grade-")
    for folder in ("sockets", "work", "inbox"):
        os.makedirs(os.path.join(private, folder))
    km = execute.kernel_manager_in(private)
    try:
        run_sync(km.start_kernel)(extra_arguments=[*execute.extra_arguments, WARM_IMPORTS],
                                  cwd=os.path.join(private, "work"))
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)
        raise
    return Kernel(km, private, signature, os.getpid(), time.monotonic())


def take(execute, ahead=True):
    """A started kernel for ``execute`` (a GradedExecute) to grade one notebook
    with; with ``ahead``, start the next notebook's kernel now."""
    signature = execute.kernel_signature()
    kernel = None
    while _AHEAD:
        candidate = _AHEAD.pop(0)
        if candidate.owner != os.getpid():
            continue        # inherited through fork: its parent's, never used here
        if candidate.signature == signature and \
                time.monotonic() - candidate.started < MAX_WAIT_SECONDS and \
                os.path.isdir(os.path.join(candidate.private, "sockets")) and \
                run_sync(candidate.km.is_alive)():
            kernel = candidate
            break
        stop(candidate)
    if kernel is None:
        kernel = _launch(execute, signature)
    if ahead:
        try:
            _AHEAD.append(_launch(execute, signature))
        except Exception as err:  # noqa: BLE001 - the next notebook starts its own
            execute.log.warning("Could not start a kernel ahead: %s", err)
    return kernel


def stop(kernel, client=None):
    """Shut ``kernel`` down at once and remove its private folder."""
    try:
        if client is not None:
            client.stop_channels()
        if run_sync(kernel.km.is_alive)():
            run_sync(kernel.km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - a kernel already gone is stopped
        pass
    finally:
        shutil.rmtree(kernel.private, ignore_errors=True)


def close():
    """Stop the kernels this process started ahead (at the end of grading, or
    of a worker); forget those a forked process inherited."""
    while _AHEAD:
        kernel = _AHEAD.pop()
        if kernel.owner == os.getpid():
            stop(kernel)


atexit.register(close)
