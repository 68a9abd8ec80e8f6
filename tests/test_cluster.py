"""Grading past one machine: a real Dask cluster, started here, grades units
of work; this process alone checks and stores what comes back.

A scheduler and two worker processes run on this machine (as they would on
others); the same class graded on them gets the same scores as graded
locally, and a worker killed while it grades loses nothing.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import KIT, free_port, small_course
from utils.grader import coordinator, kernels, unit
from utils.grader.report import cell_scores
from utils.submissions import synthetic_class, write_submission

distributed = pytest.importorskip("distributed", reason="requirements-cluster.txt not installed")

NOTEBOOKS = ("01_single_neuron", "02_layer")
STUDENTS = ("correct", "blank", "mistake-1")
QUIET = dict(progress=lambda *_: None)


def _class(folder):
    course = small_course(folder, "lab1", NOTEBOOKS)
    students, _ = synthetic_class(course, "lab1", mistake_students=1, alternative_students=0)
    for student in STUDENTS:
        write_submission(course, student, "lab1", students[student])
    return course


def _scores(course):
    return {(s, n): cell_scores(course, "lab1", s, n) for s in STUDENTS for n in NOTEBOOKS}


class Cluster:
    """A Dask scheduler and named worker processes, each killable."""

    def __init__(self, folder):
        self.folder, self.port = Path(folder), free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(KIT)}
        self.logs, self.workers = [], {}
        dask = str(Path(sys.executable).parent / "dask")
        self.scheduler = self._start("scheduler", [dask, "scheduler", "--host", "127.0.0.1",
                                                   "--port", str(self.port), "--no-dashboard"])
        self.dask = dask

    def _start(self, name, command):
        log = open(self.folder / f"{name}.log", "w")
        self.logs.append(log)
        return subprocess.Popen(command, cwd=self.folder, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def add_worker(self, name):
        # No nanny: the worker is the process, so killing it loses the worker.
        self.workers[name] = self._start(name, [
            self.dask, "worker", self.address, "--name", name, "--nthreads", "1",
            "--no-nanny", "--no-dashboard", "--local-directory", str(self.folder / name)])

    def client(self):
        return distributed.Client(self.address, timeout="30s", set_as_default=False)

    def wait_for_workers(self, count):
        with self.client() as client:
            client.wait_for_workers(count, timeout=60)

    def kill(self, name):
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait()

    def stop(self):
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()

    def log(self, name):
        return (self.folder / f"{name}.log").read_text()[-3000:]


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The class graded on this machine, the embedded way."""
    course = _class(tmp_path_factory.mktemp("local") / "course")
    outcomes = coordinator.autograde(course, "lab1", jobs=2, **QUIET)
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    return _scores(course)


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_dask_cluster_gives_the_same_scores_as_local_grading(local, cluster, tmp_path):
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    cluster.wait_for_workers(2)
    course = _class(tmp_path / "course")
    lines = []
    outcomes = coordinator.autograde(course, "lab1", scheduler=cluster.address,
                                     progress=lines.append)
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    assert _scores(course) == local
    assert any("Dask cluster" in line for line in lines)
    assert any("6/6 notebooks" in line for line in lines), lines


def test_a_worker_killed_while_grading_loses_nothing(local, cluster, tmp_path):
    import threading
    cluster.add_worker("doomed")
    cluster.wait_for_workers(1)
    course = _class(tmp_path / "course")
    done = {}
    grader = threading.Thread(target=lambda: done.setdefault("outcomes", coordinator.autograde(
        course, "lab1", scheduler=cluster.address, **QUIET)))
    grader.start()
    # Kill the only worker once it is busy grading, then bring a fresh one.
    with cluster.client() as client:
        deadline = time.monotonic() + 120
        while not any(client.processing().values()):
            assert time.monotonic() < deadline, cluster.log("doomed")
            time.sleep(0.1)
    time.sleep(1.0)
    cluster.kill("doomed")
    cluster.add_worker("fresh")
    grader.join(timeout=300)
    assert not grader.is_alive(), "grading did not finish after the worker was lost"
    outcomes = done["outcomes"]
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    assert _scores(course) == local


def test_a_local_worker_process_killed_while_grading_loses_nothing(local, tmp_path):
    """The embedded pool: a grading process that dies (killed, out of memory)
    takes no score with it; its notebooks are graded by a fresh pool."""
    import multiprocessing
    import threading
    course = _class(tmp_path / "course")
    done = {}
    grader = threading.Thread(target=lambda: done.setdefault("outcomes", coordinator.autograde(
        course, "lab1", jobs=2, **QUIET)))
    grader.start()
    deadline = time.monotonic() + 120
    while not multiprocessing.active_children():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(2.0)                        # both workers are grading their first notebook
    victim = multiprocessing.active_children()[0]
    os.kill(victim.pid, signal.SIGKILL)
    grader.join(timeout=300)
    assert not grader.is_alive(), "grading did not finish after a worker process died"
    outcomes = done["outcomes"]
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    assert _scores(course) == local


def test_the_coordinator_never_unpickles_what_a_worker_sends(cluster, tmp_path):
    from utils.grader import executors
    cluster.add_worker("w1")
    cluster.wait_for_workers(1)
    marker = str(tmp_path / "a worker's pickle ran here")

    def payload():
        class Payload:            # what a compromised worker could send back:
            def __reduce__(self):     # loading it creates the marker
                return (os.mkdir, (marker,))
        return Payload()

    with executors.cluster_client(cluster.address) as client:
        future = client.submit(payload, pure=False)
        try:
            future.result(timeout=60)
        except Exception:  # noqa: BLE001 - refusing to load it is the point
            pass
        assert not os.path.exists(marker), "the coordinator loaded a worker's pickle"
        assert client.submit(lambda: {"plain": [1.5, "data"]}, pure=False).result(
            timeout=60) == {"plain": [1.5, "data"]}


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    from utils.course import CourseError
    from utils.grader import executors
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "2s")
    course = small_course(tmp_path / "course", "lab1", NOTEBOOKS[:1])
    students, _ = synthetic_class(course, "lab1", mistake_students=0, alternative_students=0)
    write_submission(course, "correct", "lab1", students["correct"])
    with pytest.raises(CourseError, match="cannot reach the Dask scheduler"):
        coordinator.autograde(course, "lab1", scheduler=f"tcp://127.0.0.1:{free_port()}",
                              **QUIET)


# -- what workers return is checked, never trusted ---------------------------------

@pytest.fixture(scope="module")
def graded_task(tmp_path_factory):
    """One task and the honest result of grading it here."""
    from utils.grader.gradebook import open_gradebook
    course = _class(tmp_path_factory.mktemp("forged") / "course")
    with open_gradebook(course) as gb:
        masters = {n: unit.MasterNotebook.from_gradebook(gb, n, "lab1") for n in NOTEBOOKS}
    plan = coordinator.plan_submission(course, "lab1", "correct", masters, course.config())
    task = plan.tasks[0]
    result = unit.grade(task)
    kernels.close()                 # the kernel it started for a next notebook
    assert coordinator.check_result(task, result) == "", result.error
    return task, result


@pytest.mark.parametrize("forgery, expected", [
    (dict(student="blank"), "another notebook's result"),
    (dict(test_version="0" * 16), "another version"),
    (dict(scores={"test_relu": 1e9}), "impossible score"),
    (dict(scores={"made_up": 1.0}), "not this notebook's tests"),
    (dict(comments={"relu": "<script>"}), "comments"),
    (dict(graded="{not json"), "not a notebook"),
    (dict(graded=nbformat.writes(nbformat.v4.new_notebook())), "does not hold"),
    (dict(error="Traceback\x1b[31m..."), "Traceback"),
    (dict(seconds="soon"), "odd grading time"),
])
def test_a_forged_worker_result_is_refused(graded_task, forgery, expected):
    import dataclasses
    task, honest = graded_task
    scores = dict(honest.scores, **forgery.pop("scores", {}))
    forged = dataclasses.replace(honest, scores=scores, **forgery)
    why = coordinator.check_result(task, forged)
    assert expected in why
    assert "\x1b" not in why
