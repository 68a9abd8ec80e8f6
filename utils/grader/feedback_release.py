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
  feedback folder fails :func:`read_receipt`, releases everyone else's, and
  then fails so the instructor sees it.
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
from nbgrader.utils import parse_utc

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
    """nbgrader's release_feedback that skips a student whose feedback folder
    lacks good exchange files, instead of stopping for the whole class."""

    def copy_files(self):
        refused = {}
        pattern = os.path.join(self.src_path, "*.html")
        for folder in sorted({os.path.dirname(path) for path in glob.glob(pattern)}):
            student = os.path.basename(os.path.dirname(folder))
            try:
                if read_receipt(folder) is None:
                    raise ReceiptError(f"the folder holds no {TIMESTAMP} or {SECRET} (generate "
                                       "the feedback again with python -m utils feedback, "
                                       "after collecting the submission through the exchange)")
            except ReceiptError as err:
                refused[student] = f"{safe_text(student)}: {err}"
                self.log.error("No feedback released for %s", refused[student])
        excluded = self.coursedir.student_id_exclude
        if refused:
            self.coursedir.student_id_exclude = ",".join(
                [s for s in excluded.split(",") if s] + sorted(refused))
        try:
            super().copy_files()
        finally:
            self.coursedir.student_id_exclude = excluded
        if refused:
            self.fail(f"feedback of {len(refused)} student(s) not released: "
                      + "; ".join(refused[s] for s in sorted(refused)))
