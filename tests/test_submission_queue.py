"""The grading service's queue and its rule, on a clock of the test's own
(no kernel, no server): fairness in a burst, the rate limit and the latest
winning, the deadline, a killed service, identical resubmissions."""
import pytest

from utils.grader.live_settings import LiveGrading
from utils.grader.submission_queue import (FAILED, GRADED, GRADING, MAX_ATTEMPTS, QUEUED,
                                           SUPERSEDED, Queue, percentile)

pytestmark = pytest.mark.fast

HOUR = 3600.0


def make_queue(tmp_path, **settings):
    return Queue(tmp_path / "service" / "queue.sqlite", LiveGrading(**settings))


def add(queue, student, at, content=None, assignment="lab1", tests="v1"):
    return queue.add(assignment, student, at, f"exchange:{student}+{assignment}+{at}",
                     content or f"{student}-{at}", "ab" * 64, ["01_single_neuron"], tests, at)


def serve(queue, now, slots=2, deadline_of=lambda a, s: None, step=10.0):
    """Grade what the rule gives, ``slots`` at a time, until nothing is eligible;
    returns the entries in the order their grading finished."""
    order = []
    while True:
        batch = queue.next_batch(now, slots, deadline_of)
        if not batch:
            return order, now
        for entry in batch:
            assert queue.start(entry.id, now)
        now += step
        for entry in batch:
            queue.finish(entry.id, GRADED, now, {"status": "graded"}, "v1")
            order.append(entry)


@pytest.mark.parametrize("slots", [2, 6])      # one per job; the service's batch of 2 jobs
def test_a_burst_of_thirty_from_ten_students_serves_every_first_before_any_third(tmp_path,
                                                                                 slots):
    queue = make_queue(tmp_path)
    students = [f"s{i:02d}" for i in range(10)]
    at = 1000.0
    # the first student submits three times before anyone else, then the rest
    for student in students:
        for _ in range(3):
            add(queue, student, at)
            at += 1
    order, _ = serve(queue, at, slots=slots)
    assert len(order) == 30
    finished = {}
    for position, entry in enumerate(order):
        finished.setdefault(entry.student, []).append(position)
    last_first = max(positions[0] for positions in finished.values())
    first_third = min(positions[2] for positions in finished.values())
    assert last_first < first_third, [e.student for e in order]
    last_second = max(positions[1] for positions in finished.values())
    assert last_second < first_third
    # and each student's own submissions in the order they came
    for student in students:
        mine = [e.received for e in order if e.student == student]
        assert mine == sorted(mine)


def test_fifo_would_fail_the_fairness_check(tmp_path):
    """The check above can fail: grading in arrival order serves s00's
    third before s09's first."""
    queue = make_queue(tmp_path)
    at = 1000.0
    entries = []
    for i in range(10):
        for _ in range(3):
            entries.append(add(queue, f"s{i:02d}", at))
            at += 1
    positions = {}
    for position, entry in enumerate(sorted(entries, key=lambda e: e.received)):
        positions.setdefault(entry.student, []).append(position)
    assert not max(p[0] for p in positions.values()) < min(p[2] for p in positions.values())


def test_beyond_the_limit_the_latest_waits_and_is_graded_when_the_window_opens(tmp_path):
    queue = make_queue(tmp_path, per_window=3, window_minutes=60, total=20)
    now = 0.0
    for minute in range(5):                     # five submissions in five minutes
        add(queue, "ana", now + 60 * minute)
    now = 300.0
    order, now = serve(queue, now, step=10)
    assert [e.received for e in order] == [0, 60, 120]      # three, in order
    allowance = queue.allowance("ana", "lab1", now)
    assert allowance.left == 0 and allowance.next_at == pytest.approx(300 + HOUR)
    # nothing more inside the window; the one before the latest is replaced
    assert serve(queue, now + 600)[0] == []
    states = {e.received: e.state for e in queue.entries(student="ana")}
    assert states[180] == SUPERSEDED and states[240] == QUEUED
    assert queue.entry(next(e.id for e in queue.entries(student="ana") if e.received == 180)
                       ).same_as is not None
    # when the oldest graded one slides out of the window, the latest is graded
    order, _ = serve(queue, allowance.next_at + 1)
    assert [e.received for e in order] == [240]


def test_the_total_limit_holds_until_the_deadline_then_the_latest_is_graded(tmp_path):
    queue = make_queue(tmp_path, per_window=5, window_minutes=1, total=2)
    due = 10 * HOUR
    for hour in range(3):
        add(queue, "ben", hour * HOUR)
    order, _ = serve(queue, 3 * HOUR, deadline_of=lambda a, s: due)
    assert len(order) == 2
    assert queue.allowance("ben", "lab1", 4 * HOUR).exhausted
    assert serve(queue, 9 * HOUR, deadline_of=lambda a, s: due)[0] == []
    order, _ = serve(queue, due + 1, deadline_of=lambda a, s: due)
    assert [e.received for e in order] == [2 * HOUR]
    # a late submission after the deadline obeys the limit
    add(queue, "ben", due + 100)
    assert serve(queue, due + 200, deadline_of=lambda a, s: due)[0] == []


def test_a_killed_service_finds_each_submission_where_it_was(tmp_path):
    queue = make_queue(tmp_path)
    first, second = add(queue, "ana", 1.0), add(queue, "ben", 2.0)
    batch = queue.next_batch(10.0, 2)
    for entry in batch:
        queue.start(entry.id, 10.0)
    queue.finish(first.id, GRADED, 20.0, {"status": "graded"}, "v1")
    queue.close()                                # the service is killed here
    queue = make_queue(tmp_path)
    requeued, given_up = queue.recover(30.0)
    assert requeued == [second.id] and given_up == []
    assert queue.entry(first.id).state == GRADED
    assert queue.entry(second.id).state == QUEUED
    # a submission that keeps stopping the service is given up, not retried for ever
    # (it has been started once already)
    for attempt in range(MAX_ATTEMPTS - 1):
        assert given_up == []
        [entry] = queue.next_batch(40.0 + attempt, 2)
        assert queue.start(entry.id, 40.0 + attempt)
        queue.close()
        queue = make_queue(tmp_path)
        requeued, given_up = queue.recover(50.0 + attempt)
    assert given_up == [second.id] and queue.entry(second.id).state == FAILED
    assert "stopped the grading service" in queue.entry(second.id).note


def test_an_identical_resubmission_is_not_graded_again_and_costs_nothing(tmp_path):
    queue = make_queue(tmp_path, per_window=1)
    first = add(queue, "ana", 1.0, content="same")
    serve(queue, 2.0)
    again = add(queue, "ana", 3.0, content="same")
    assert again.state == GRADED and again.same_as == first.id and not again.counted
    # new tests (another version) are graded again
    newer = add(queue, "ana", 4.0, content="same", tests="v2")
    assert newer.state == QUEUED
    # equal to an earlier (not the latest) graded one: graded, but not counted
    queue2 = make_queue(tmp_path / "other", per_window=2)
    add(queue2, "ben", 1.0, content="A")
    add(queue2, "ben", 2.0, content="B")
    serve(queue2, 3.0)
    back = add(queue2, "ben", 4.0, content="A")
    assert back.state == QUEUED and not back.counted
    assert queue2.allowance("ben", "lab1", 5.0).left == 0
    assert [e.id for e in serve(queue2, 5.0)[0]] == [back.id]


def test_one_student_is_graded_one_submission_at_a_time(tmp_path):
    queue = make_queue(tmp_path)
    add(queue, "ana", 1.0)
    add(queue, "ana", 2.0)
    batch = queue.next_batch(3.0, 4)
    assert len(batch) == 1
    queue.start(batch[0].id, 3.0)
    assert queue.next_batch(3.0, 4) == []
    assert queue.entry(batch[0].id).state == GRADING


def test_summary_counts_and_percentiles(tmp_path):
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile(list(range(1, 101)), 95) == 95
    queue = make_queue(tmp_path)
    add(queue, "ana", 0.0)
    add(queue, "ben", 0.0)
    serve(queue, 30.0, step=30)
    summary = queue.summary("lab1")
    assert summary["counts"][GRADED] == 2 and summary["latency_p50"] == pytest.approx(60.0)
