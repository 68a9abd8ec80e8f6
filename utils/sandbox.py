"""Grading kernels in a sandbox (instructor only).

Autograding runs students' code as the instructor, inside the course
folder.  Unless told otherwise, the course configuration starts every
grading kernel through this module, which runs it under bubblewrap
(``bwrap``, Debian's ``bubblewrap`` package) so that it

- sees the system and Python read-only, the kit's ``utils`` read-only, and
  of the course only the folder of the notebook being run (writable): not
  ``source/``, not the gradebook, not other students;
- has no network (the kernel talks to the grader through socket files);
- is limited in memory (address space) and CPU time.

``python utils/sandbox.py -f CONNECTION_FILE [kernel arguments]`` is the
kernel command; :func:`kernel_spec` writes the kernel spec that names it.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

#: Address-space cap of a grading kernel, in MiB (NN_KIT_MEMORY_MB overrides).
MEMORY_MB = 3072
#: CPU-time cap of a grading kernel, in seconds (NN_KIT_CPU_SECONDS overrides).
CPU_SECONDS = 900

KIT_ROOT = Path(__file__).resolve().parent.parent


def available():
    """``(True, "")`` when sandboxed kernels can start here, else ``(False, why)``."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False, ("bubblewrap is not installed (Debian/Ubuntu: apt-get install "
                       "bubblewrap)")
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-net", "--dev", "/dev",
                            "--proc", "/proc", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return False, f"bubblewrap cannot start a sandbox here: {probe.stderr.strip()}"
    return True, ""


def _system_paths():
    """Read-only paths a Python kernel needs: the OS, Python, the environment."""
    paths = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
             sys.base_prefix, sys.prefix, sys.exec_prefix, str(KIT_ROOT / "utils")]
    seen, kept = set(), []
    for path in paths:
        real = os.path.realpath(path)
        if os.path.exists(path) and path not in seen:
            seen.add(path)
            kept.append((path, real))
    return kept


def command(kernel_args, workdir, connection_file, sockets):
    """The bwrap command line that runs ``ipykernel`` with ``kernel_args``."""
    cmd = ["bwrap", "--die-with-parent", "--unshare-all", "--dev", "/dev",
           "--proc", "/proc", "--tmpfs", "/tmp"]
    for path, real in _system_paths():
        if os.path.islink(path):
            # keep the link, and make what it points to visible too
            if os.path.isabs(os.readlink(path)) or not real.startswith("/usr/"):
                cmd += ["--ro-bind", real, real]
            cmd += ["--symlink", os.readlink(path), path]
        else:
            cmd += ["--ro-bind", real, path]
    cmd += ["--ro-bind", connection_file, connection_file,
            "--bind", sockets, sockets,
            "--bind", workdir, workdir, "--chdir", workdir,
            "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
            # One BLAS thread: students are graded side by side, and threaded
            # BLAS on small matrices is slower and reserves more memory.
            "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1",
            "--setenv", "MPLBACKEND", "module://matplotlib_inline.backend_inline",
            "--unsetenv", "JUPYTER_PATH", "--unsetenv", "JPY_PARENT_PID",
            sys.executable, "-m", "ipykernel_launcher", "-f", connection_file, *kernel_args]
    return cmd


def _limits():
    memory = int(os.environ.get("NN_KIT_MEMORY_MB", MEMORY_MB)) * 1024 * 1024
    cpu = int(os.environ.get("NN_KIT_CPU_SECONDS", CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def kernel_spec(folder):
    """Write a ``python3`` kernel spec that starts kernels through this sandbox.

    Returns the folder to put first on ``JUPYTER_PATH``.
    """
    spec = Path(folder) / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        # The script itself, not ``-m utils.sandbox``: the notebook's folder
        # (the working directory) may hold a student's copy of ``utils``.
        "argv": [sys.executable, str(Path(__file__).resolve()), "-f", "{connection_file}"],
        "display_name": "Python 3 (sandboxed grading)",
        "language": "python",
        # A signal from outside does not reach into the sandbox's process
        # namespace; the kernel interrupts itself on a control message.
        "interrupt_mode": "message",
        "env": {"PYTHONPATH": str(KIT_ROOT)},
    }))
    return str(folder)


def main(argv=None):
    """Kernel command: exec ``ipykernel`` inside bubblewrap with the limits set."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "-f":
        sys.exit("usage: python utils/sandbox.py -f CONNECTION_FILE [kernel arguments]")
    connection_file, rest = os.path.abspath(argv[1]), argv[2:]
    with open(connection_file) as handle:
        ip = json.load(handle).get("ip", "")
    sockets = os.path.dirname(ip) if os.path.isabs(ip) else os.path.dirname(connection_file)
    _limits()
    cmd = command(rest, os.getcwd(), connection_file, sockets)
    # The kernel's own console chatter (how to connect to it) is of no use
    # here; its warnings and errors still go to stderr.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
