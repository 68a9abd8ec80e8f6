"""Grading kernels in a clean room (instructor only).

Autograding runs students' code.  The course configuration starts every
grading kernel through this module, which runs it under bubblewrap (``bwrap``,
Debian's ``bubblewrap`` package) so that the kernel

- sees the system and Python read-only, and of the kit only what a student
  also gets (``checks``, ``plots``, ``data``) plus the kernel side of grading
  (``agent``, ``wire``, ``guard``): no reference answers, no hidden tests, no
  grading code, no course folder, gradebook or other student;
- works in a private folder: a size-capped in-memory file system holding
  read-only copies of the submission's own files, and a size-capped ``/tmp``,
  both gone when the kernel ends;
- starts with an explicit, minimal environment: none of the grader's
  variables (tokens, paths) reach it;
- has no network (it talks to the grader through socket files of its own);
- is limited in memory, CPU time, file size, open files and disk, and
  cannot start processes at all (threads only), as root too.

``python utils/grader/sandbox.py --kit DIR -f CONNECTION_FILE [kernel args]``
is the kernel command; :func:`kernel_spec` writes the kernel spec that names
it and :func:`kernel_files` the folder of kit files the kernel may import.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

#: Limits of one grading kernel.  Each can be overridden by the environment
#: variable of the same name with an ``NN_KIT_`` prefix.
LIMITS = {
    "MEMORY_MB": 3072,        # address space: a student's runaway allocation fails
    "CPU_SECONDS": 900,       # CPU time of the whole notebook
    "PROCESSES": 4096,        # threads of the grader's user (not for root; no processes: see below)
    "OPEN_FILES": 256,
    "FILE_MB": 64,            # the largest file it may write
    "DISK_MB": 256,           # its working folder and /tmp, each
}

#: The kernel spec of grading kernels.  A name of its own, not ``python3``:
#: JupyterLab, formgrader and lectures run in the same environment and must
#: keep the ordinary kernel (and notebooks their ``kernelspec`` metadata).
KERNEL_NAME = "nn-kit-sandbox"
#: Where the kit's kernel-side files appear inside the sandbox.
KIT_MOUNT = "/opt/nn-kit"
#: The kernel's working folder inside the sandbox.
WORK_MOUNT = "/home/student"
#: Where the kernel finds the submission's files, read-only, to copy into its
#: working folder (its private folder's ``inbox``: a kernel starts before it
#: knows whose notebook it will run, see :mod:`utils.grader.kernels`).
INBOX_MOUNT = "/opt/nn-kit-inbox"

KIT_ROOT = Path(__file__).resolve().parents[2]

#: The kit files a grading kernel may import: what students get, and the
#: kernel side of grading.  Nothing else of ``utils`` is on its file system.
#: (This file also runs as a script, so it cannot import ``STUDENT_MODULES``;
#: a test checks that the two agree.)
KERNEL_FILES = ("__init__.py", "checks.py", "plots.py", "data.py", "earlier.py",
                "prerequisites/__init__.py", "prerequisites/lab1.py", "prerequisites/lab2.py",
                "prerequisites/hw1.py", "prerequisites/hw2.py",
                "grader/agent.py", "grader/wire.py", "grader/guard.py")


def limit(name):
    """The value of one of :data:`LIMITS`, after the environment's override."""
    return int(os.environ.get(f"NN_KIT_{name}", LIMITS[name]))


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


_AVAILABLE = None


def _available_once():
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = available()
    return _AVAILABLE


def prepare_runtime():
    """Make this grading run's private folder, once per process tree.

    It holds the kernel-side kit files and the :data:`KERNEL_NAME` spec: made
    by the first process that grades (the course configuration calls this),
    shared with the worker processes it starts through ``NN_KIT_RUNTIME``,
    removed when that first process exits.  A folder named there that is not
    this user's private folder is not trusted: a new one is made.  Returns
    ``(sandboxed, why not)``.
    """
    import atexit
    import tempfile
    runtime = os.environ.get("NN_KIT_RUNTIME", "")
    try:
        info = os.lstat(runtime) if runtime else None
    except OSError:
        info = None
    if info is None or info.st_uid != os.getuid() or info.st_mode & 0o777 != 0o700 \
            or not os.path.isdir(runtime):
        runtime = tempfile.mkdtemp(prefix="nn-kit-")
        os.environ["NN_KIT_RUNTIME"] = runtime
        maker = os.getpid()
        atexit.register(lambda: os.getpid() == maker and shutil.rmtree(runtime, True))
    if os.environ.get("NN_KIT_SANDBOX", "on") == "off":
        return False, "turned off (NN_KIT_SANDBOX=off)"
    ok, why = _available_once()
    spec = os.path.join(runtime, "spec")
    if ok and not os.path.isdir(spec):
        kernel_spec(spec, kernel_files(os.path.join(runtime, "kit")))
    return ok, why


def grading_kernel_specs():
    """The folder holding this grading run's :data:`KERNEL_NAME` spec (written
    by ``nbgrader_config.py``), or None when this run grades without the
    sandbox (``NN_KIT_SANDBOX=off``, or no bubblewrap: the config warned)."""
    runtime = os.environ.get("NN_KIT_RUNTIME", "")
    if not runtime or os.environ.get("NN_KIT_SANDBOX", "on") == "off":
        return None
    kernels = os.path.join(runtime, "spec", "kernels")
    return kernels if os.path.isfile(os.path.join(kernels, KERNEL_NAME, "kernel.json")) else None


def kernel_files(folder):
    """Copy the kernel-side kit files into ``folder/utils``; return ``folder``."""
    target = Path(folder) / "utils"
    for name in KERNEL_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(KIT_ROOT / "utils" / name, target / name)
    (target / "grader" / "__init__.py").write_text(
        '"""The kernel side of grading: see utils/grader/agent.py."""\n')
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o444)
    return str(folder)


def kernel_spec(folder, kit):
    """Write the kernel spec :data:`KERNEL_NAME`, which starts kernels through
    this sandbox, under ``folder/kernels``.

    Only grading asks for it by name (:mod:`utils.grader.execute`); it never
    goes on ``JUPYTER_PATH``, so interactive Jupyter keeps the environment's
    ordinary ``python3`` kernel.  Returns the folder of kernel specs.
    """
    spec = Path(folder) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        # -I: the launcher imports nothing from the working folder or the
        # environment; it runs before any student code and sets the limits.
        "argv": [sys.executable, "-I", str(Path(__file__).resolve()), "--kit", str(kit),
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (sandboxed grading)",
        "language": "python",
        # A signal from outside does not reach into the sandbox's process
        # namespace; the kernel interrupts itself on a control message.
        "interrupt_mode": "message",
    }))
    return str(folder)


def _system_paths():
    """Read-only paths a Python kernel needs: the OS, Python, the environment."""
    paths = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
             sys.base_prefix, sys.prefix, sys.exec_prefix]
    seen, kept = set(), []
    for path in paths:
        real = os.path.realpath(path)
        if os.path.exists(path) and path not in seen:
            seen.add(path)
            kept.append((path, real))
    return kept


def environment():
    """The whole environment of a grading kernel: nothing of the grader's but
    the two OpenBLAS settings some processors need for correct results."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
        "PYTHONPATH": KIT_MOUNT, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        # One BLAS thread: students are graded side by side, and threaded
        # BLAS on small matrices is slower and reserves more memory.
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _bind(cmd, source, dest, writable=False):
    """Bind ``source`` at ``dest`` through a descriptor opened now.

    The launcher opens it while it may still be root, so a kernel that runs as
    an unprivileged user still gets, say, a Python installed under /root.
    """
    fd = os.open(source, os.O_PATH | os.O_CLOEXEC)
    os.set_inheritable(fd, True)
    cmd += ["--bind-fd" if writable else "--ro-bind-fd", str(fd), dest]


# -- no new processes ---------------------------------------------------------
# The kernel limit on processes counts per user and does not bind root, and
# graders often run as root.  So the sandbox forbids new processes outright
# with a seccomp filter: threads (clone with CLONE_THREAD) are allowed,
# fork, vfork, clone without CLONE_THREAD and clone3 are not (clone3 answers
# "not implemented", and the C library then falls back to clone).  A grading
# kernel never needs a process of its own: a fork bomb fails at its first fork.

_SYSCALLS = {  # audit architecture: (fork, vfork, clone, clone3)
    0xC000003E: (57, 58, 56, 435),        # x86_64
    0xC00000B7: (None, None, 220, 435),   # aarch64
}
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000


def _machine_arch():
    import platform
    return {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(platform.machine())


def process_filter():
    """The compiled seccomp program (classic BPF) of the rule above, or None
    on a processor it does not know."""
    import errno
    import struct
    arch = _machine_arch()
    if arch is None:
        return None
    fork, vfork, clone, clone3 = _SYSCALLS[arch]
    allow, no_permission = 0x7FFF0000, 0x00050000 | errno.EPERM
    not_implemented = 0x00050000 | errno.ENOSYS
    load, equal, at_least, has_bits, answer = 0x20, 0x15, 0x35, 0x45, 0x06
    program = []            # (code, jump if true, jump if false, k), jumps to labels

    def op(code, k, yes=0, no=0):
        program.append([code, yes, no, k])

    op(load, 4)                                          # the calling convention
    op(equal, arch, no="foreign")
    op(load, 0)                                          # the system call's number
    if arch == 0xC000003E:
        op(at_least, _X32_BIT, yes="refuse_missing")
    for number in (fork, vfork):
        if number is not None:
            op(equal, number, yes="refuse")
    op(equal, clone3, yes="refuse_missing")
    op(equal, clone, no="allow")
    op(load, 16)                                         # clone's flags
    op(has_bits, _CLONE_THREAD, yes="allow", no="refuse")
    labels = {}
    for name, value in (("allow", allow), ("refuse", no_permission),
                        ("refuse_missing", not_implemented), ("foreign", not_implemented)):
        labels[name] = len(program)
        op(answer, value)
    code = b""
    for index, (kind, yes, no, k) in enumerate(program):
        yes = labels[yes] - index - 1 if isinstance(yes, str) else yes
        no = labels[no] - index - 1 if isinstance(no, str) else no
        code += struct.pack("=HBBI", kind, yes, no, k)
    return code


def _seccomp(cmd):
    """Hand bwrap the process filter through a pipe opened now."""
    program = process_filter()
    if program is None:
        return
    read, write = os.pipe()
    os.write(write, program)
    os.close(write)
    os.set_inheritable(read, True)
    cmd += ["--seccomp", str(read)]


def command(kernel_args, workdir, connection_file, sockets, kit):
    """The bwrap command line that runs ``ipykernel`` with ``kernel_args``."""
    disk = str(limit("DISK_MB") * 2 ** 20)
    cmd = ["bwrap", "--die-with-parent", "--unshare-all", "--new-session",
           "--cap-drop", "ALL", "--clearenv", "--dev", "/dev", "--proc", "/proc",
           "--size", disk, "--tmpfs", "/tmp"]
    for path, real in _system_paths():
        if os.path.islink(path):
            # keep the link, and make what it points to visible too
            if os.path.isabs(os.readlink(path)) or not real.startswith("/usr/"):
                _bind(cmd, real, real)
            cmd += ["--symlink", os.readlink(path), path]
        else:
            _bind(cmd, real, path)
    _bind(cmd, kit, KIT_MOUNT)
    cmd += ["--size", disk, "--tmpfs", WORK_MOUNT]
    for entry in sorted(os.listdir(workdir)):
        _bind(cmd, os.path.join(workdir, entry), f"{WORK_MOUNT}/{entry}")
    inbox = os.path.join(os.path.dirname(sockets), "inbox")
    if os.path.isdir(inbox):
        _bind(cmd, inbox, INBOX_MOUNT)
    _bind(cmd, connection_file, connection_file)
    _bind(cmd, sockets, sockets, writable=True)
    cmd += ["--chdir", WORK_MOUNT]
    _seccomp(cmd)
    for name, value in environment().items():
        cmd += ["--setenv", name, value]
    cmd += [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file, *kernel_args]
    return cmd


def _set_limits(unprivileged):
    def cap(kind, value):
        resource.setrlimit(kind, (value, value))
    cap(resource.RLIMIT_AS, limit("MEMORY_MB") * 2 ** 20)
    resource.setrlimit(resource.RLIMIT_CPU, (limit("CPU_SECONDS"), limit("CPU_SECONDS") + 5))
    cap(resource.RLIMIT_NOFILE, limit("OPEN_FILES"))
    cap(resource.RLIMIT_FSIZE, limit("FILE_MB") * 2 ** 20)
    cap(resource.RLIMIT_CORE, 0)
    if unprivileged:   # counted per user, and root is exempt: see the README
        cap(resource.RLIMIT_NPROC, limit("PROCESSES"))


def main(argv=None):
    """Kernel command: exec ``ipykernel`` inside bubblewrap with the limits set."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 4 or argv[0] != "--kit" or argv[2] != "-f":
        sys.exit("usage: python utils/grader/sandbox.py --kit DIR -f CONNECTION_FILE "
                 "[kernel arguments]")
    kit, connection_file, rest = argv[1], os.path.abspath(argv[3]), argv[4:]
    with open(connection_file) as handle:
        ip = json.load(handle).get("ip", "")
    if not os.path.isabs(ip):
        sys.exit("the grading kernel must use ipc sockets in a folder of its own")
    sockets = os.path.dirname(ip)
    workdir = os.getcwd()
    cmd = command(rest, workdir, connection_file, sockets, kit)
    _set_limits(os.geteuid() != 0)
    # The kernel's own console chatter (how to connect to it) is of no use
    # here; its warnings and errors still go to stderr.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
