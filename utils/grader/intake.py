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


def scan(folder):
    """``(files, problems)`` of a submission folder, without following anything.

    ``files`` are the relative paths of the regular files to keep;
    ``problems`` maps each refused path to one line saying why.
    """
    files, problems, total = [], {}, 0
    top = os.lstat(folder)
    if not stat.S_ISDIR(top.st_mode):
        return [], {"": f"{os.path.basename(folder)} is not a folder (a link or a file)"}
    pending = [("", 0)]
    while pending:
        relative, depth = pending.pop()
        with os.scandir(os.path.join(folder, relative)) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
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
                    else:
                        pending.append((path, depth + 1))
                elif not stat.S_ISREG(info.st_mode):
                    problems[path] = (f"{shown} is not a regular file (a pipe, socket or "
                                     "device): not read")
                elif info.st_size > MAX_FILE_BYTES:
                    problems[path] = (f"{shown} is larger than {MAX_FILE_BYTES // 2 ** 20} MiB: "
                                     "not read")
                elif len(files) >= MAX_FILES or total + info.st_size > MAX_TOTAL_BYTES:
                    problems[path] = (f"{shown}: the submission holds too many files or bytes: "
                                     "not read")
                else:
                    files.append(path)
                    total += info.st_size
    return sorted(files), problems


def _copy_regular(source, destination):
    """Copy one regular file; refuse it if it is no longer one when opened."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(source, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise IntakeError(f"{os.path.basename(source)} changed while it was read")
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        out = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(out, "wb") as target:
            remaining = MAX_FILE_BYTES
            while chunk := os.read(fd, 1 << 16):
                remaining -= len(chunk)
                if remaining < 0:
                    raise IntakeError(f"{os.path.basename(source)} grew while it was read")
                target.write(chunk)
    finally:
        os.close(fd)


def take_in(folder, target):
    """Copy the submission at ``folder`` into the new folder ``target``.

    Returns ``{relative path: why}`` of the files left behind.
    """
    files, problems = scan(folder)
    os.makedirs(target, exist_ok=False)
    for relative in files:
        try:
            _copy_regular(os.path.join(folder, relative), os.path.join(target, relative))
        except (IntakeError, OSError) as err:
            problems[relative] = f"{safe_text(relative)}: {safe_text(err)}: not read"
    return problems


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
