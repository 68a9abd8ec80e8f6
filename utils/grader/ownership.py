"""A submission in the exchange counts only if its own student put it there.

The exchange's ``inbound/`` folder is writable by every user (nbgrader's
``submit`` needs that), so anyone can make a folder there named
``bob+lab1+<time>``.  A student id of this course IS the student's login name
on the server (the roster's ids, checked by :func:`utils.grader.intake.check_name`,
are the users' login names), so the rule is:

    a submission folder is collected only when it is owned by the system user
    whose login name is the student id in its name.

:class:`OwnedCollect` (``c.ExchangeFactory.collect`` in ``nbgrader_config.py``)
is nbgrader's collect (with the course's record of submission times,
:class:`~utils.grader.deadlines.RecordingCollect`) that refuses any other
folder: it is not collected, one line reports the student, the folder and its
owner, the rest of the class is collected, and then the command fails so the
instructor sees it.  Among one student's folders, the newest genuine one is
collected; a forged newer one never hides it.  ``c.ExchangeCollect.check_owner
= False`` (nbgrader's own switch) turns the rule off, for an exchange where
one service account writes every folder.
"""
import os
import pwd
from dataclasses import dataclass

from .deadlines import RecordingCollect
from .intake import IntakeError, check_name, safe_text


@dataclass(frozen=True)
class Refusal:
    """A submission folder that its named student does not own."""
    student: str
    folder: str
    owner: str

    def describe(self):
        return (f"{safe_text(self.folder)} claims to be the submission of "
                f"{safe_text(self.student)} but is owned by {safe_text(self.owner)}: "
                "not collected")


def owner_of(path):
    """The login name owning ``path`` itself (a link is not followed), or
    ``"user id N (no such user)"``."""
    uid = os.lstat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid} (no such user)"


def refusal(student, path):
    """A :class:`Refusal` of the folder ``path`` named for ``student``, or
    None when the student's own user owns it."""
    try:
        owner = owner_of(path)
    except OSError as err:
        return Refusal(student, path, f"unknown (it cannot be read: {err.strerror})")
    if owner != student:
        return Refusal(student, path, owner)
    try:
        check_name("student id", student)
    except IntakeError:
        return Refusal(student, path, f"{owner}, a login name that is not a student id of "
                                      "this course")
    return None


class OwnedCollect(RecordingCollect):
    """nbgrader's collect that takes only folders owned by their student."""

    def init_src(self):
        self._refused = []
        super().init_src()

    def _path_to_record(self, path):
        """nbgrader's record of an inbound folder, with its :class:`Refusal`
        (None for a genuine folder); every refused folder is kept to report."""
        record = super()._path_to_record(path)
        record["refusal"] = refusal(record["username"], path) if self.check_owner else None
        if record["refusal"] is not None:
            self._refused.append(record["refusal"])
        return record

    def _sort_by_timestamp(self, records):
        """Newest first, genuine folders before forged ones: nbgrader picks the
        first of each student's list (before the due date when asked), so a
        forged folder is picked only when the student has no genuine one,
        and :meth:`copy_files` then leaves it."""
        return sorted(records, reverse=True,
                      key=lambda item: (item.get("refusal") is None, item["timestamp"]))

    def copy_files(self):
        """Collect the genuine submissions; report each refused folder, then fail."""
        refused = sorted(self._refused, key=lambda r: r.folder)
        for why in refused:
            self.log.error("Refused: %s", why.describe())
        self.src_records = [r for r in self.src_records if r.get("refusal") is None]
        super().copy_files()
        if refused:
            self.fail(f"{len(refused)} submission folder(s) in the exchange not collected (not "
                      "owned by the student they name; look into them, then remove them "
                      "from the exchange's inbound folder): " + "; ".join(
                          f"{safe_text(r.student)} ({safe_text(os.path.basename(r.folder))}, "
                          f"owned by {safe_text(r.owner)})" for r in refused))
