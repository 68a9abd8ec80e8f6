"""The durable queue of submissions waiting for the grading service, and the
rule that says which one is graded next.

One SQLite file in the course (``service/queue.sqlite``, readable by the
grader account alone) holds every submission the service has seen: who, which
assignment, when it arrived, a hash of its content, and its state::

    queued ──▶ grading ──▶ graded | failed          (superseded: a later one won)

A state changes in one transaction, so a killed service finds each
submission where it was: at start, what was ``grading`` is queued again (a
grade cut short is redone; the coordinator keeps what was already stored, by
content hash and test version, so nothing is stored twice), and one that has
stopped the service :data:`MAX_ATTEMPTS` times is failed instead of stopping
it for ever.

Which submission goes next (:meth:`Queue.next_batch`), at time ``now``:

- one submission of a student is graded at a time;
- a student's submissions are graded in the order they came while the
  student has graded submissions left (:class:`~utils.grader.live_settings.LiveGrading`:
  ``per_window`` in the last ``window_minutes``, ``total`` in all); beyond
  that only the latest waits and earlier ones are superseded (the latest
  wins) until the window slides on;
- at the student's deadline the latest waiting submission made before it is
  graded whatever the limits: it is the one that counts;
- among students who may go, the one with the fewest graded submissions
  goes first, then the one waiting longest: twenty submissions of one
  student never delay another's first.

A submission whose content equals one already graded for the same student
costs nothing against the limits; one equal to the student's latest graded
submission gets that result again without grading (:meth:`Queue.add`).
Every time is a number of seconds since the epoch, passed in: the rule is
the same whatever the clock, and tests give it their own.
"""
import json
import os
import sqlite3
import statistics
from dataclasses import dataclass

#: Grading a submission that stopped the service this many times is given up.
MAX_ATTEMPTS = 3

QUEUED, GRADING, GRADED, FAILED, SUPERSEDED = "queued", "grading", "graded", "failed", "superseded"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    received REAL NOT NULL,
    origin TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    secret TEXT,
    notebooks TEXT NOT NULL,
    state TEXT NOT NULL,
    counted INTEGER NOT NULL DEFAULT 1,
    attempts INTEGER NOT NULL DEFAULT 0,
    started REAL,
    finished REAL,
    same_as INTEGER,
    tests TEXT,
    outcome TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS by_student ON submissions (student, assignment, state);
CREATE TABLE IF NOT EXISTS refused (
    origin TEXT PRIMARY KEY,
    seen REAL NOT NULL,
    why TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    """One submission as the queue holds it."""
    id: int
    assignment: str
    student: str
    received: float
    origin: str
    content_hash: str
    secret: str
    notebooks: tuple
    state: str
    counted: bool
    attempts: int
    started: float
    finished: float
    same_as: int
    tests: str
    outcome: dict
    note: str

    @classmethod
    def from_row(cls, row):
        return cls(row["id"], row["assignment"], row["student"], row["received"], row["origin"],
                   row["content_hash"], row["secret"] or "", tuple(json.loads(row["notebooks"])),
                   row["state"], bool(row["counted"]), row["attempts"], row["started"],
                   row["finished"], row["same_as"], row["tests"] or "",
                   json.loads(row["outcome"]) if row["outcome"] else None, row["note"])

    @property
    def spool(self):
        """The name of this submission's private copy in the spool."""
        return str(self.id)


@dataclass(frozen=True)
class Allowance:
    """How many graded submissions a student has left, and from when."""
    left: int                  # graded submissions left now (0: wait)
    next_at: float = None      # when one is left again (None: only at the deadline)
    exhausted: bool = False    # the total is used up


class Queue:
    """The queue file of one course's grading service."""

    def __init__(self, path, settings):
        self.path = str(path)
        self.settings = settings
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        os.chmod(self.path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self):
        self.db.close()

    # -- reading --------------------------------------------------------------
    def entry(self, number):
        row = self.db.execute("SELECT * FROM submissions WHERE id = ?", (number,)).fetchone()
        return Entry.from_row(row) if row else None

    def entries(self, state=None, student=None, assignment=None):
        """Entries, oldest first, with the given state, student and assignment."""
        clauses, values = [], []
        for column, value in (("state", state), ("student", student),
                              ("assignment", assignment)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [Entry.from_row(r) for r in self.db.execute(
            f"SELECT * FROM submissions{where} ORDER BY received, id", values)]

    def known(self, origin):
        """Whether ``origin`` was taken in or refused already."""
        return bool(self.db.execute(
            "SELECT 1 FROM submissions WHERE origin = ? UNION "
            "SELECT 1 FROM refused WHERE origin = ?", (origin, origin)).fetchone())

    def refusals(self):
        return [dict(r) for r in self.db.execute("SELECT * FROM refused ORDER BY seen")]

    # -- changing -------------------------------------------------------------
    def refuse(self, origin, why, now):
        """Remember a submission that is not taken in, and why (reported once)."""
        self.db.execute("INSERT OR IGNORE INTO refused VALUES (?, ?, ?)", (origin, now, why))

    def add(self, assignment, student, received, origin, content_hash, secret, notebooks,
            tests, now, note=""):
        """Queue a new submission; returns its :class:`Entry`.

        One equal in content to the student's latest graded submission of the
        same tests is graded at once from that one's result (``same_as``);
        one equal to an earlier graded submission is queued but not counted.
        """
        with self.db:
            graded = self.db.execute(
                "SELECT id, content_hash, tests, outcome FROM submissions WHERE student = ? "
                "AND assignment = ? AND state = ? ORDER BY received DESC, id DESC",
                (student, assignment, GRADED)).fetchall()
            same = [r for r in graded if r["content_hash"] == content_hash and r["tests"] == tests]
            latest_same = bool(graded) and bool(same) and same[0]["id"] == graded[0]["id"]
            waiting = self.db.execute(
                "SELECT 1 FROM submissions WHERE student = ? AND assignment = ? AND state IN "
                "(?, ?)", (student, assignment, QUEUED, GRADING)).fetchone()
            if latest_same and not waiting:
                cursor = self.db.execute(
                    "INSERT INTO submissions (assignment, student, received, origin, "
                    "content_hash, secret, notebooks, state, counted, started, finished, "
                    "same_as, tests, outcome, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                    (assignment, student, received, origin, content_hash, secret,
                     json.dumps(list(notebooks)), GRADED, now, now, same[0]["id"], tests,
                     same[0]["outcome"], note))
            else:
                cursor = self.db.execute(
                    "INSERT INTO submissions (assignment, student, received, origin, "
                    "content_hash, secret, notebooks, state, counted, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (assignment, student, received, origin, content_hash, secret,
                     json.dumps(list(notebooks)), QUEUED, 0 if same else 1, note))
        return self.entry(cursor.lastrowid)

    def recover(self, now):
        """After a stop: what was being graded is queued again; one that stopped
        the service :data:`MAX_ATTEMPTS` times fails.  Returns both lists."""
        requeued, given_up = [], []
        with self.db:
            for row in self.db.execute("SELECT * FROM submissions WHERE state = ?",
                                       (GRADING,)).fetchall():
                if row["attempts"] >= MAX_ATTEMPTS:
                    self.db.execute(
                        "UPDATE submissions SET state = ?, finished = ?, note = ? WHERE id = ?",
                        (FAILED, now, f"grading it stopped the grading service "
                                      f"{row['attempts']} times", row["id"]))
                    given_up.append(row["id"])
                else:
                    self.db.execute("UPDATE submissions SET state = ?, started = NULL "
                                    "WHERE id = ?", (QUEUED, row["id"]))
                    requeued.append(row["id"])
        return requeued, given_up

    def start(self, number, now):
        """Mark a queued submission as being graded (one more attempt)."""
        with self.db:
            changed = self.db.execute(
                "UPDATE submissions SET state = ?, started = ?, attempts = attempts + 1 "
                "WHERE id = ? AND state = ?", (GRADING, now, number, QUEUED)).rowcount
        return bool(changed)

    def finish(self, number, state, now, outcome=None, tests=None, note=""):
        """Record how a submission's grading ended (``graded`` or ``failed``)."""
        with self.db:
            self.db.execute(
                "UPDATE submissions SET state = ?, finished = ?, outcome = ?, tests = ?, "
                "note = CASE WHEN ? = '' THEN note ELSE ? END WHERE id = ? AND state = ?",
                (state, now, json.dumps(outcome) if outcome is not None else None, tests,
                 note, note, number, GRADING))

    def set_note(self, number, note):
        with self.db:
            self.db.execute("UPDATE submissions SET note = ? WHERE id = ?", (note, number))

    # -- the rule -------------------------------------------------------------
    def allowance(self, student, assignment, now):
        """The :class:`Allowance` of a student for an assignment at ``now``."""
        window = 60 * self.settings.window_minutes
        starts = sorted(r["started"] for r in self.db.execute(
            "SELECT started FROM submissions WHERE student = ? AND assignment = ? AND "
            "counted = 1 AND state IN (?, ?) AND started IS NOT NULL",
            (student, assignment, GRADED, GRADING)))
        if len(starts) >= self.settings.total:
            return Allowance(0, None, exhausted=True)
        recent = [s for s in starts if s > now - window]
        left = min(self.settings.per_window - len(recent), self.settings.total - len(starts))
        if left > 0:
            return Allowance(left)
        return Allowance(0, recent[len(recent) - self.settings.per_window] + window)

    def next_batch(self, now, slots, deadline_of=lambda assignment, student: None):
        """Up to ``slots`` queued submissions to grade now, of different
        students, fairest first; supersedes what a later submission replaces.

        ``deadline_of(assignment, student)`` is that student's deadline (epoch
        seconds, extension included) or None."""
        busy = {r["student"] for r in self.db.execute(
            "SELECT DISTINCT student FROM submissions WHERE state = ?", (GRADING,))}
        groups = {}
        for entry in self.entries(QUEUED):
            groups.setdefault((entry.student, entry.assignment), []).append(entry)
        served = {r["student"]: r["n"] for r in self.db.execute(
            "SELECT student, COUNT(*) AS n FROM submissions WHERE state IN (?, ?) "
            "GROUP BY student", (GRADED, GRADING))}
        candidates = []
        for (student, assignment), waiting in groups.items():
            allowance = self.allowance(student, assignment, now)
            if allowance.left > 0:
                pick = waiting[0]
            else:
                pick = waiting[-1]
                self._supersede(waiting[:-1], pick, now)
                due = deadline_of(assignment, student)
                at_deadline = due is not None and now >= due and pick.received <= due
                if pick.counted and not at_deadline:    # uncounted: equal to one graded
                    continue
            if student in busy:
                continue
            candidates.append((served.get(student, 0), pick.received, pick.id, pick))
        chosen, students = [], set()
        for *_, pick in sorted(candidates, key=lambda c: c[:3]):
            if pick.student not in students and len(chosen) < slots:
                chosen.append(pick)
                students.add(pick.student)
        return chosen

    def _supersede(self, older, latest, now):
        with self.db:
            for entry in older:
                self.db.execute(
                    "UPDATE submissions SET state = ?, finished = ?, same_as = ?, note = ? "
                    "WHERE id = ? AND state = ?",
                    (SUPERSEDED, now, latest.id, "replaced by a later submission before it "
                     "was graded", entry.id, QUEUED))

    def waiting_ahead(self, entry):
        """How many queued submissions of other students came before ``entry``."""
        return self.db.execute(
            "SELECT COUNT(*) FROM submissions WHERE state = ? AND student != ? AND "
            "(received < ? OR (received = ? AND id < ?))",
            (QUEUED, entry.student, entry.received, entry.received, entry.id)).fetchone()[0]

    # -- for the instructor -----------------------------------------------------
    def summary(self, assignment=None):
        """Counts by state, failures, and the time from arrival to feedback."""
        entries = self.entries(assignment=assignment)
        counts = {s: 0 for s in (QUEUED, GRADING, GRADED, FAILED, SUPERSEDED)}
        for e in entries:
            counts[e.state] += 1
        latencies = sorted(e.finished - e.received for e in entries
                           if e.state == GRADED and e.finished is not None and e.same_as is None)
        grading = sorted(e.finished - e.started for e in entries
                         if e.state == GRADED and e.started is not None and e.same_as is None
                         and e.finished is not None)
        return {"counts": counts, "latency_p50": percentile(latencies, 50),
                "latency_p95": percentile(latencies, 95),
                "grading_median": statistics.median(grading) if grading else None,
                "failed": [e for e in entries if e.state == FAILED]}


def percentile(values, q):
    """The ``q``-th percentile of sorted ``values`` (nearest rank), or None."""
    if not values:
        return None
    rank = max(1, -(-q * len(values) // 100))
    return values[min(len(values), int(rank)) - 1]
