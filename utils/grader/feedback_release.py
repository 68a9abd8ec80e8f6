"""Feedback is handed out by the secret of the submission it grades.

``nbgrader submit`` writes two files into every submission:
``timestamp.txt`` (when) and ``submission_secret.txt`` (a random key that the
student's own copy keeps too).  ``nbgrader release_feedback`` names each
feedback page in the exchange by a hash of that secret, read from the
student's feedback folder, and ``nbgrader fetch_feedback`` finds the page by
the same hash; a feedback folder without both files stops the release for
the whole class (nbgrader opens them unchecked).  The rule:

    every feedback folder carries its submission's ``timestamp.txt`` and
    ``submission_secret.txt``, checked; one student's missing or damaged
    files fail that student's feedback alone, with a message saying which
    file and what is wrong, and the class goes on.

- :func:`read_receipt` checks the two files of a folder (a typed
  :class:`Receipt`, or :class:`ReceiptError` saying what is wrong).
- :class:`ReceiptsForRelease` is mixed into the course's feedback step
  (:class:`utils.grader.feedback.FeedbackOnly`): it copies the two files
  from the graded folder into the feedback folder as they are, and refuses a
  student whose graded folder holds a damaged pair (or one file of the two).
  A submission holding neither did not come through the exchange (a
  learning platform's download, the kit's synthetic class): its pages are
  written (an info line says ``release_feedback`` cannot hand them out).
- :class:`CheckedReleaseFeedback` (``c.ExchangeFactory.release_feedback``)
  is nbgrader's ``release_feedback`` that skips, and reports, a student whose
  feedback folder fails :func:`read_receipt` or whose student id is not a
  login name of the machine, releases everyone else's, and then fails so the
  instructor sees it.

Stock ``release_feedback`` copies every page into the exchange's feedback
folder with mode 0644, protected by its name alone.  Here every page
follows the rule of :mod:`utils.grader.acl`: it is written (atomically,
never readable by anyone else, not even for a moment) readable by the
grader and by the student whose feedback folder it comes from, and nobody
else.  The feedback folder is traversable by all but listable by none but
its owner (and its group when ``groupshared``).  Where the exchange's file
system has no POSIX ACLs the release fails before writing anything, in one
line naming the folder and saying to mount it with ACL support.  A page
left readable by other users by an earlier release (its student unknown
from its name) is made readable by the grader alone, with a warning.
"""
import errno
import glob
import os
import re
import shutil
import stat
from dataclasses import dataclass

from nbgrader.converters.base import NbGraderException
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash, parse_utc

from . import acl
from .intake import safe_text

TIMESTAMP, SECRET = "timestamp.txt", "submission_secret.txt"
#: ``nbgrader submit`` writes 128 hexadecimal digits; anything else is damage.
_SECRET = re.compile(r"[0-9a-f]{16,1024}\Z")
_MAX_BYTES = 4096


class ReceiptError(Exception):
    """A feedback or graded folder whose exchange files cannot be used."""


@dataclass(frozen=True)
class Receipt:
    """The exchange files of one submission, exactly as ``nbgrader submit``
    wrote them (nbgrader hashes the secret's text as it is)."""
    timestamp: str
    secret: str


def _read_small(path):
    """The text of a small regular file (not through a link), or None if absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as err:
        why = ("is a symbolic link" if err.errno == errno.ELOOP
               else f"cannot be read ({err.strerror})")
        raise ReceiptError(f"{os.path.basename(path)} {why}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            raise ReceiptError(f"{os.path.basename(path)} is not a small regular file")
        data = os.read(fd, _MAX_BYTES + 1)
    finally:
        os.close(fd)
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise ReceiptError(f"{os.path.basename(path)} is not text") from None


def read_receipt(folder):
    """The :class:`Receipt` of ``folder``, None when it holds neither file;
    :class:`ReceiptError` when one is missing or damaged."""
    timestamp = _read_small(os.path.join(folder, TIMESTAMP))
    secret = _read_small(os.path.join(folder, SECRET))
    if timestamp is None and secret is None:
        return None
    if secret is None:
        raise ReceiptError(f"{SECRET} is missing")
    if timestamp is None:
        raise ReceiptError(f"{TIMESTAMP} is missing")
    if not _SECRET.match(secret):
        raise ReceiptError(f"{SECRET} is damaged (not the hexadecimal key nbgrader submit "
                           "writes)")
    try:
        parse_utc(timestamp.strip())
    except (ValueError, OverflowError):
        raise ReceiptError(f"{TIMESTAMP} is damaged ({safe_text(timestamp.strip(), 60)!r} "
                           "is not a time)") from None
    return Receipt(timestamp, secret)


class ReceiptsForRelease:
    """Mixed into a GenerateFeedback: each feedback folder gets its graded
    submission's exchange files, and a damaged pair fails that student alone."""

    def init_destination(self, assignment_id, student_id):
        """Refuse (and report) a student whose exchange files are damaged."""
        try:
            self._receipt = read_receipt(self._format_source(assignment_id, student_id))
        except ReceiptError as err:
            message = (f"no feedback for {safe_text(student_id)}/{safe_text(assignment_id)}: "
                       f"its submission's {err}; collect the submission again, or ask the "
                       "student to submit again")
            self.log.error(message)
            getattr(self, "_receipt_failures", []).append(message)
            stale = os.path.normpath(self._format_dest(assignment_id, student_id))
            if os.path.isdir(stale):   # pages of an earlier submission: not this one's
                self.log.warning("Removing failed feedback: %s", stale)
                shutil.rmtree(stale)
            return False
        if self._receipt is None:
            # An LMS download or a demo class: feedback goes out by other means,
            # so this is no warning on every run; release_feedback names it.
            self.log.info("%s/%s: the submission holds no %s or %s (it did not come "
                             "through nbgrader's exchange): release_feedback cannot hand "
                             "out its feedback", safe_text(student_id), safe_text(assignment_id),
                             TIMESTAMP, SECRET)
        return super().init_destination(assignment_id, student_id)

    def write_receipt(self, assignment_id, student_id):
        """Write the graded submission's exchange files into its feedback folder."""
        receipt = getattr(self, "_receipt", None)
        if receipt is None:
            return
        dest = self._format_dest(assignment_id, student_id)
        os.makedirs(dest, exist_ok=True)
        for name, text in ((TIMESTAMP, receipt.timestamp), (SECRET, receipt.secret)):
            with open(os.path.join(dest, name), "w", encoding="ascii", newline="") as fh:
                fh.write(text)

    def convert_notebooks(self):
        """Write every student's feedback it may; then fail, in one message,
        naming the students refused."""
        self._receipt_failures = []
        super().convert_notebooks()
        if self._receipt_failures:
            raise NbGraderException(" | ".join(self._receipt_failures))


class CheckedReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback that writes each page readable by its
    student alone (:mod:`utils.grader.acl`), and skips a student whose
    feedback folder lacks good exchange files or whose student id is no
    login name, instead of stopping for the whole class."""

    def init_dest(self):
        """The exchange's feedback folder, traversable but not listable, on a
        file system with POSIX ACLs (else the release fails, saying so)."""
        super().init_dest()
        self._close_folder(self.dest_path)
        try:
            acl.require_support(self.dest_path)
        except acl.AclUnsupported as err:
            self.fail(f"feedback not released: {err}")

    def _close_folder(self, folder):
        """Students may pass through ``folder`` (to the page whose name they
        know) but not list it; with ``groupshared`` the group may."""
        mode = stat.S_IMODE(os.stat(folder).st_mode)
        closed = mode & ~(stat.S_IROTH | stat.S_IWOTH)
        if not self.coursedir.groupshared:
            closed &= ~(stat.S_IRGRP | stat.S_IWGRP)
        closed |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        if closed != mode:
            try:
                os.chmod(folder, closed)
                self.log.warning("%s was listable by other users: mode %o is now %o",
                                 folder, mode, closed)
            except PermissionError:
                self.log.warning("%s is listable by other users (mode %o) and not yours to "
                                 "change: its owner can run chmod o-rw on it", folder, mode)

    def copy_files(self):
        refused = {}
        ready = {}
        excluded = {s for s in self.coursedir.student_id_exclude.split(",") if s}
        for html_file, student, notebook in self._pages():
            if student in excluded or student in refused:
                continue
            folder = os.path.dirname(html_file)
            try:
                receipt = read_receipt(folder)
                if receipt is None:
                    raise ReceiptError(f"the folder holds no {TIMESTAMP} or {SECRET} (generate "
                                       "the feedback again with python -m utils feedback, "
                                       "after collecting the submission through the exchange)")
                acl.uid_of(student)
            except (ReceiptError, acl.UnknownUser) as err:
                refused[student] = f"{safe_text(student)}: {err}"
                self.log.error("No feedback released for %s", refused[student])
                continue
            ready.setdefault(student, []).append((html_file, notebook, receipt))
        for student in sorted(ready):
            for html_file, notebook, receipt in ready[student]:
                self._release(html_file, student, notebook, receipt)
        problems = []
        if refused:
            problems.append(f"feedback of {len(refused)} student(s) not released: "
                            + "; ".join(refused[s] for s in sorted(refused)))
        left = self._close_earlier_pages()
        if left:
            problems.append(f"{len(left)} feedback page(s) in {self.dest_path} stay readable by "
                            f"other users: {', '.join(left)}; their owner can run chmod 600 on "
                            "them")
        if problems:
            self.fail(" | ".join(problems))

    def _pages(self):
        """(page, student id, notebook id) of every page to release, as
        nbgrader's own release_feedback finds them."""
        regexp = re.escape(os.path.sep).join([
            self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student_id>.*)",
                                       self.coursedir.assignment_id, escape=True),
            "(?P<notebook_id>.*).html"])
        for html_file in sorted(glob.glob(os.path.join(self.src_path, "*.html"))):
            found = re.match(regexp, html_file)
            if found is None:
                self.log.error("Could not match '%s' with regexp '%s'", html_file, regexp)
                continue
            yield html_file, found.group("student_id"), found.group("notebook_id")

    def _release(self, html_file, student, notebook, receipt):
        """Write one page into the exchange, named as nbgrader names it and
        readable by its student alone."""
        checksum = notebook_hash(secret=receipt.secret, notebook_id=notebook)
        dest = os.path.join(self.dest_path, f"{checksum}.html")
        self.log.info("Releasing feedback for student '%s' on assignment '%s/%s/%s' (%s)",
                      student, self.coursedir.course_id, self.coursedir.assignment_id,
                      notebook, receipt.timestamp)
        with open(html_file, "rb") as page:
            data = page.read()
        try:
            acl.write_for(dest, data, student)
        except acl.AclUnsupported as err:
            self.fail(f"feedback not released: {err}")
        self.log.info("Feedback released to: %s", dest)

    def _close_earlier_pages(self):
        """A page left readable by other users (released before this rule, or
        by stock nbgrader) is made readable by the grader alone: its student
        is not known from its name.  A page of this release is unaffected.
        Returns the pages it could not close."""
        closed, left = 0, []
        with os.scandir(self.dest_path) as found:
            pages = [e.path for e in found if e.name.endswith(".html")
                     and e.is_file(follow_symlinks=False)]
        for page in sorted(pages):
            try:
                if not acl.readable_by_others(page):
                    continue
                fd = os.open(page, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
                try:
                    os.fchmod(fd, 0o600)
                finally:
                    os.close(fd)
                closed += 1
            except OSError as err:
                left.append(f"{os.path.basename(page)} ({err.strerror})")
        if closed:
            self.log.warning("%d earlier feedback page(s) in %s were readable by other users: "
                             "now by the grader alone (whose they are cannot be told "
                             "from their names)", closed, self.dest_path)
        return left
