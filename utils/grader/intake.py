"""A submission folder is hostile data: read it as bytes, follow nothing.

:func:`take_in` copies a student's submission into a private folder of the
grader: regular files only, each opened without following links and checked
again once open, names validated, sizes capped.  Links, pipes, devices,
oversized files and badly named files are left behind and reported, one line
each.  Everything after intake (nbgrader included) reads the private copy.

:class:`GuardedAutograde` gives stock ``nbgrader autograde`` and formgrader's
Autograde button the same rule: a submission folder holding anything but
regular files with plain names is refused with a clear message, and the rest
of the class is graded.
"""
import errno
import os
import re
import stat

from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException

#: Student ids and file names: letters, digits, ``_.@-``; no leading dot or dash.
NAME = re.compile(r"[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,99}\Z")
#: Editor debris that is skipped without a word.
IGNORED = frozenset([".ipynb_checkpoints", "__pycache__", ".DS_Store", ".git"])
MAX_FILE_BYTES = 20 * 2 ** 20
MAX_TOTAL_BYTES = 100 * 2 ** 20
MAX_FILES = 500
MAX_DEPTH = 6


class IntakeError(Exception):
    """A submission, or a name, the grader will not read; the message says why."""


def safe_text(text, limit=300):
    """``text`` without control characters, for a terminal or a report."""
    return "".join(c if c.isprintable() else "?" for c in str(text)[:limit])


def check_name(kind, name):
    """Raise :class:`IntakeError` unless ``name`` is a plain id or file name."""
    if not NAME.match(name or "") or name in (".", ".."):
        raise IntakeError(f"{kind} {safe_text(name)!r} is not allowed: use letters, digits "
                          "and _ . @ - only, not starting with a dot or a dash")


#: Opening a folder or a file of a submission: never through a link, never
#: waiting on a pipe, never inherited by a kernel.
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def scan(folder, owner=None):
    """``(files, problems)`` of a submission folder, without following anything.

    ``files`` are the relative paths of the regular files to keep;
    ``problems`` maps each refused path to one line saying why.  With
    ``owner`` (a uid), the folder and each file must belong to that user.
    """
    return _walk(folder, None, owner)


def take_in(folder, target, owner=None):
    """Copy the submission at ``folder`` into the new folder ``target``.

    The folder is opened once and read through that descriptor to the end:
    replacing it, or a folder inside it, by a link while it is read changes
    nothing of what is copied.  With ``owner`` (a uid), the folder and each
    file must belong to that user (:class:`IntakeError` for the folder).
    Returns ``{relative path: why}`` of the files left behind.
    """
    os.makedirs(target, exist_ok=False)
    return _walk(folder, target, owner)[1]


def _walk(folder, target, owner):
    """The survey of :func:`scan`, copying each kept file into ``target`` when given."""
    try:
        top = os.open(folder, _FOLDER)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            return [], {"": f"{safe_text(os.path.basename(folder))} is not a folder (a link "
                            "or a file)"}
        raise
    try:
        if owner is not None and os.fstat(top).st_uid != owner:
            raise IntakeError(f"{safe_text(os.path.basename(folder))} belongs to another user")
        kept = {"files": [], "problems": {}, "total": 0}
        _survey(top, "", 0, target, owner, kept)
    finally:
        os.close(top)
    return sorted(kept["files"]), kept["problems"]


def _survey(fd, relative, depth, target, owner, kept):
    """Survey (and copy) the folder open as ``fd``, at ``relative``; at most
    :data:`MAX_DEPTH` folders are open at a time."""
    problems = kept["problems"]
    with os.scandir(fd) as entries:
        listing = sorted(entries, key=lambda e: e.name)
    for entry in listing:
        path = os.path.join(relative, entry.name)
        if entry.name in IGNORED:
            continue
        info = entry.stat(follow_symlinks=False)
        shown = safe_text(path)
        if stat.S_ISLNK(info.st_mode):
            problems[path] = f"{shown} is a symbolic link: not read"
        elif not NAME.match(entry.name):
            problems[path] = (f"{shown}: file names may hold letters, digits and "
                              "_ . @ - only: not read")
        elif stat.S_ISDIR(info.st_mode):
            if depth >= MAX_DEPTH:
                problems[path] = f"{shown}: folders nested too deeply: not read"
                continue
            try:
                inner = os.open(entry.name, _FOLDER, dir_fd=fd)
            except OSError as err:
                problems[path] = f"{shown}: {safe_text(err.strerror)}: not read"
                continue
            try:
                _survey(inner, path, depth + 1, target, owner, kept)
            finally:
                os.close(inner)
        elif not stat.S_ISREG(info.st_mode):
            problems[path] = (f"{shown} is not a regular file (a pipe, socket or "
                              "device): not read")
        elif owner is not None and info.st_uid != owner:
            problems[path] = f"{shown} belongs to another user: not read"
        elif info.st_size > MAX_FILE_BYTES:
            problems[path] = (f"{shown} is larger than {MAX_FILE_BYTES // 2 ** 20} MiB: "
                              "not read")
        elif len(kept["files"]) >= MAX_FILES or kept["total"] + info.st_size > MAX_TOTAL_BYTES:
            problems[path] = (f"{shown}: the submission holds too many files or bytes: "
                              "not read")
        else:
            if target is not None:
                try:
                    _copy_regular(fd, entry.name, os.path.join(target, path), owner)
                except (IntakeError, OSError) as err:
                    problems[path] = f"{shown}: {safe_text(err)}: not read"
                    continue
            kept["files"].append(path)
            kept["total"] += info.st_size


def _copy_regular(folder_fd, name, destination, owner=None):
    """Copy the file ``name`` of the folder open as ``folder_fd``; refuse it if
    it is no longer a regular file (or no longer the owner's) once opened."""
    fd = os.open(name, _FILE, dir_fd=folder_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES \
                or (owner is not None and info.st_uid != owner):
            raise IntakeError(f"{name} changed while it was read")
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        out = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(out, "wb") as copy:
            remaining = MAX_FILE_BYTES
            while chunk := os.read(fd, 1 << 16):
                remaining -= len(chunk)
                if remaining < 0:
                    raise IntakeError(f"{name} grew while it was read")
                copy.write(chunk)
    finally:
        os.close(fd)


class GuardedAutograde(Autograde):
    """nbgrader's Autograde that refuses a submission folder it cannot trust.

    The course configuration puts it in place of nbgrader's own, so stock
    ``nbgrader autograde`` and formgrader check every folder before nbgrader
    copies or reads anything from it.
    """

    def convert_notebooks(self):
        """Grade every submission it may; then fail, in one message, if any was refused."""
        self._refused = []
        super().convert_notebooks()
        if self._refused:
            raise NbGraderException(f"{len(self._refused)} submission(s) not graded: "
                                    + " | ".join(self._refused))

    def init_destination(self, assignment_id, student_id):
        """Skip (and report) a submission folder that is not plain data."""
        try:
            check_name("student id", student_id)
            _, problems = scan(self._format_source(assignment_id, student_id))
        except OSError as err:
            problems = {"": f"the submission folder cannot be read: {safe_text(err)}"}
        except IntakeError as err:
            problems = {"": str(err)}
        if problems:
            message = (f"{safe_text(student_id)}/{safe_text(assignment_id)} not graded: "
                       + "; ".join(list(problems.values())[:5]))
            self.log.error(message)
            getattr(self, "_refused", []).append(message)
            return False
        return super().init_destination(assignment_id, student_id)

    def init_assignment(self, assignment_id, student_id):
        """nbgrader's, then the submission's time from the course's record:
        nbgrader took it from the submission's own timestamp.txt, which the
        student writes."""
        super().init_assignment(assignment_id, student_id)
        from .deadlines import stamp_from_record
        stamp_from_record(self.coursedir, self.config, assignment_id, student_id)
