"""How long things take, for the progress lines of long runs (grading, feedback)."""
import time

#: Seconds between the "still working on ..." lines while no student finishes:
#: a long run shows it is alive in a log, without a line per second.
HEARTBEAT_SECONDS = 30


def duration(seconds):
    """A number of seconds for people: ``"8 s"``, ``"2 min 05 s"``."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def time_left(started, done, total):
    """``"; about 2 min 10 s left"`` after ``done`` of ``total`` items begun at
    ``started`` (``time.monotonic()``), or ``""`` when nothing is left."""
    if not 0 < done < total:
        return ""
    return f"; about {duration((time.monotonic() - started) / done * (total - done))} left"


class ProgressBar:
    """``[#####-----] 21/84 notebooks, 0.9/s, about 1 min 10 s left``."""

    WIDTH = 20

    def __init__(self, total):
        self.total, self.done, self.started = total, 0, time.monotonic()

    @property
    def elapsed(self):
        return time.monotonic() - self.started

    def step(self):
        self.done += 1

    def __str__(self):
        filled = round(self.WIDTH * self.done / self.total) if self.total else self.WIDTH
        rate = self.done / self.elapsed if self.elapsed > 0 else 0.0
        text = (f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {self.done}/{self.total} "
                f"notebooks, {rate:.2f}/s")
        return text + time_left(self.started, self.done, self.total).replace(";", ",")
