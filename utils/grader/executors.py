"""Where units of work run: in this process, a local process pool, or Dask.

Each executor takes :class:`utils.grader.unit.Task` objects and yields
``(task, result)`` pairs as they finish, one per task, whatever happens to a
worker: a worker process that dies has its tasks run again elsewhere (a
step is pure, so running it twice changes nothing), and a task that cannot
be run at all comes back as a :class:`~utils.grader.unit.Result` with its
``error`` set.  What a worker returns is checked by the coordinator
(:func:`utils.grader.coordinator.check_result`), never trusted.
"""
import contextlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..course import CourseError
from . import kernels, unit

#: How often a task whose worker died is run again before it is given up.
RETRIES = 2

#: How long the coordinator tries to reach a Dask scheduler before giving up.
CONNECT_TIMEOUT = "20s"


def _failed(task, why):
    return unit.Result(task.student, task.assignment, task.notebook, task.content_hash,
                       task.master.version, error=why)


@contextlib.contextmanager
def stopping_kernels():
    """Around a run: the kernels this process started ahead are stopped at its
    end, however it ends (a kernel never outlives the run that started it)."""
    try:
        yield
    finally:
        kernels.close()


def in_process(tasks):
    """Run every task here, one after the other."""
    for task in tasks:
        try:
            yield task, unit.grade(task)
        except Exception as err:  # noqa: BLE001 - one task never stops the rest
            yield task, _failed(task, f"grading crashed: {type(err).__name__}: {err}")


def _worker_start():
    """A local worker process: its spare kernel is stopped at its end (a pool's
    processes end without running ``atexit`` handlers)."""
    from multiprocessing.util import Finalize
    kernels.close()             # a forked worker never uses its parent's kernels
    Finalize(kernels, kernels.close, exitpriority=10)


def local_pool(tasks, jobs, waiting=None, heartbeat=None):
    """Run the tasks in ``jobs`` worker processes of this machine; call
    ``waiting(running tasks)`` every ``heartbeat`` seconds in which none finished.

    A worker that dies (out of memory, killed) breaks the pool: the tasks
    it had not finished go to a fresh pool, up to :data:`RETRIES` times.
    """
    pending = list(tasks)
    tries = {task.key: 0 for task in pending}
    while pending:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_start) as pool:
            futures = {pool.submit(unit.grade, task): task for task in pending}
            pending = []
            running = set(futures)
            while running:
                finished, running = wait(running, timeout=heartbeat,
                                         return_when=FIRST_COMPLETED)
                if not finished and waiting:
                    waiting([futures[f] for f in running if f.running()]
                            or [futures[f] for f in running])
                for future in finished:
                    task = futures[future]
                    try:
                        yield task, future.result()
                    except BrokenProcessPool:
                        tries[task.key] += 1
                        if tries[task.key] > RETRIES:
                            yield task, _failed(task, "its grading process died "
                                                      f"{tries[task.key]} times")
                        else:
                            pending.append(task)
                    except Exception as err:  # noqa: BLE001 - reported as the task's
                        yield task, _failed(task, f"grading crashed: {type(err).__name__}: {err}")


def dask_cluster(tasks, scheduler, security=None):
    """Run the tasks on the Dask cluster whose scheduler is at ``scheduler``.

    Dask runs a task again when the worker running it is lost; a task whose
    workers keep dying comes back failed, never twice.  Workers need the
    kit (the same checkout) and bubblewrap; see the README.
    """
    try:
        from distributed import as_completed
    except ImportError:
        raise CourseError("grading on a Dask cluster needs the packages of "
                           "requirements-cluster.txt (pip install -r requirements-cluster.txt)"
                           ) from None
    tasks = list(tasks)
    with cluster_client(scheduler, security) as client:
        futures = {}
        for task in tasks:
            future = client.submit(unit.grade_as_data, task, pure=False, retries=RETRIES,
                                   key=f"grade-{task.key}-{task.content_hash}")
            futures[future.key] = (future, task)
        done = as_completed([f for f, _ in futures.values()], loop=client.loop)
        for future in done:
            task = futures[future.key][1]
            try:
                result = unit.result_from_data(future.result())
            except Exception as err:  # noqa: BLE001 - KilledWorker, odd data and the like
                result = _failed(task, f"the cluster could not grade it: "
                                       f"{type(err).__name__}: {str(err)[:300]}")
            future.release()
            yield task, result


def cluster_client(scheduler, security=None):
    """A Dask client of the scheduler at ``scheduler`` that loads what comes
    back as msgpack data only: never a pickle, which a compromised worker
    could make run code in the coordinator."""
    from distributed import Client
    try:
        return Client(scheduler, security=security, timeout=CONNECT_TIMEOUT,
                      set_as_default=False, deserializers=["msgpack"])
    except (OSError, TimeoutError) as err:
        raise CourseError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None


def run(tasks, jobs=1, scheduler=None, security=None, waiting=None, heartbeat=None):
    """Yield ``(task, result)`` for every task: on the Dask cluster at
    ``scheduler`` if given, else ``jobs`` at a time on this machine (where
    ``waiting`` hears every ``heartbeat`` seconds which tasks still run)."""
    if scheduler:
        return dask_cluster(tasks, scheduler, security)
    if jobs <= 1 or len(tasks) <= 1:
        return in_process(tasks)
    return local_pool(tasks, jobs, waiting, heartbeat)
