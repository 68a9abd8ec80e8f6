"""The test cells' helpers in the instructor's own kernels: Run All on a source notebook.

In grading, a test cell runs in the grader, which gives it ``lend`` and
``in_kernel`` (:mod:`utils.grader.verdict`).  An instructor who runs a source
notebook top to bottom (the course's JupyterLab, ``nbgrader validate``) runs
the same test cells in the notebook's kernel; this IPython extension gives the
two names the same meaning there:

- ``lend(name=obj, ...)``: the notebook's ``name`` is ``obj`` until the end of
  the running cell, then what it was before (or nothing, if it did not exist);
- ``in_kernel(func, *args, **kwargs)``: ``func(*args, **kwargs)`` (the
  notebook's objects are already here).

It is loaded only by the ``python3`` kernel of the instructor's environment:
``python -m utils.grader.instructor_kernel install`` (run by ``make``) writes
that kernel spec, which starts kernels through this file.  A release never holds it
(``utils/grader`` does not ship) and grading kernels start from their own
kernel specs (:mod:`utils.grader.sandbox`, :func:`utils.grader.kernels.plain_python_specs`),
which do not load it.
"""
import json
import sys
from pathlib import Path

__all__ = ["lend", "in_kernel", "load_ipython_extension", "install"]

_ABSENT = object()
_LENT = {}          # name -> what the notebook had before the running cell lent it
_SHELL = []         # the shell the extension was loaded into


def lend(**names):
    """Give the notebook these objects until the end of the running cell."""
    space = _SHELL[-1].user_ns
    for name, value in names.items():
        _LENT.setdefault(name, space.get(name, _ABSENT))
        space[name] = value


def in_kernel(func, *args, **kwargs):
    """Call ``func`` on the notebook's objects, which are already here."""
    return func(*args, **kwargs)


def _give_back(*_):
    """After every cell: what the cell lent goes back to what the notebook had."""
    space = _SHELL[-1].user_ns
    for name, value in _LENT.items():
        if value is _ABSENT:
            space.pop(name, None)
        else:
            space[name] = value
    _LENT.clear()


def load_ipython_extension(shell):
    """Put ``lend`` and ``in_kernel`` in the notebook (hidden from ``%who``)."""
    _SHELL[:] = [shell]
    shell.push({"lend": lend, "in_kernel": in_kernel}, interactive=False)
    shell.events.register("post_run_cell", _give_back)


#: The spec's display name: ipykernel's own, as every notebook's metadata
#: holds it, so that saving a source notebook in JupyterLab leaves its
#: kernel metadata as it was (a name of its own would be written into it).
DISPLAY_NAME = "Python 3 (ipykernel)"


def install(prefix=sys.prefix):
    """Write the ``python3`` kernel spec of the environment at ``prefix``: its
    kernels run this file (:func:`launch`); return the spec's path.

    The file runs by its path, not as ``utils.grader...``: in a folder with a
    ``utils`` of its own (a released assignment) that name means the folder's."""
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, str(Path(__file__).resolve()), "-f", "{connection_file}"],
            "display_name": DISPLAY_NAME, "language": "python",
            "metadata": {"debugger": True}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return folder / "kernel.json"


def launch(argv):
    """Run an ipykernel with the helpers, as ``ipykernel_launcher`` runs one."""
    from ipykernel import kernelapp

    class IPKernelApp(kernelapp.IPKernelApp):      # the same name in the kernel's log
        def init_extensions(self):
            super().init_extensions()
            load_ipython_extension(self.shell)

    IPKernelApp.launch_instance(argv=argv)


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        print(f"kernel spec with the test helpers: {install()}")
    else:
        del sys.path[0]       # this file's folder; the kernel puts the notebook's first
        launch(sys.argv[1:])
