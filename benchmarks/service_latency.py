"""How long a student waits for the grading service's verdict, next to the
time ``autograde`` takes for the same class.

    .venv/bin/python benchmarks/service_latency.py [--students 10] [--jobs 2]
        [--notebook 01_single_neuron] [--alone 3] [--folder build/bench-service]
        [--no-sandbox]

In one run it:

1. makes a scratch course of one lab1 notebook and an exchange, released;
2. **alone**: ``--alone`` times, one submission reaches an empty queue and
   the service (``Service.run(once=True)``) grades it: the time from its
   arrival (the time the course records for it) to its page;
3. **burst**: ``--students`` submissions (the prepared kinds of the class:
   solutions, mistakes, alternatives, the blank release) arrive at once:
   the same time for each, median and 95th percentile;
4. grades the same class with ``autograde --jobs N`` in a second scratch
   course: its total time, and that time as the wait of the class's last
   student.

The submissions are written into the exchange's ``inbound/`` folder as
``nbgrader submit`` writes them (the owner check is off: one user here).
Prints one table; the target is a p95 under 2 minutes for one notebook
with an empty queue.  Run it on an otherwise idle machine.
"""
import argparse
import secrets
import shutil
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

import nbformat  # noqa: E402

from utils.course import Course, make_scratch_course, prepare_environment  # noqa: E402
from utils.grader import coordinator  # noqa: E402
from utils.grader.submission_queue import percentile  # noqa: E402
from utils.submissions import synthetic_class, write_submission  # noqa: E402
from utils import grading  # noqa: E402

ASSIGNMENT = "lab1"


def course_at(folder, notebook, exchange=None):
    course = make_scratch_course(Course(KIT), folder)
    course.keep_only(ASSIGNMENT, [notebook])
    with open(course.root / "nbgrader_config.py", "a") as handle:
        if exchange:
            handle.write(f"c.Exchange.root = {str(exchange)!r}\n"
                         "c.LiveGrading.check_owner = False\n"
                         "c.LiveGrading.per_window = 1000\nc.LiveGrading.total = 1000\n"
                         "c.LiveGrading.poll_seconds = 0.2\n")
    course.root.chmod(0o700)
    grading.release(course, ASSIGNMENT, validate=False, progress=lambda *_: None)
    return course


def submit(inbound, student, notebooks):
    """A submission folder as ``nbgrader submit`` writes it."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime())
    folder = inbound / f"{student}+{ASSIGNMENT}+{stamp}+{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        text = nb if isinstance(nb, str) else nbformat.writes(nb)
        (folder / f"{name}.ipynb").write_text(text)
    (folder / "timestamp.txt").write_text(stamp)
    (folder / "submission_secret.txt").write_text(secrets.token_hex(64))


def serve_until_empty(course, jobs):
    from utils.grader.service import Service
    service = Service(course, jobs=jobs, log=lambda *_: None)
    service.run(once=True)
    rows = [e for e in service.queue.entries() if e.finished is not None]
    service.queue.close()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--notebook", default="01_single_neuron")
    parser.add_argument("--alone", type=int, default=3)
    parser.add_argument("--folder", default=str(KIT / "build" / "bench-service"))
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args(argv)
    if args.no_sandbox:
        import os
        os.environ["NN_KIT_SANDBOX"] = "off"
    prepare_environment()
    base = Path(args.folder).resolve()
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    exchange = base / "exchange"
    inbound = exchange / "nn-from-scratch" / "inbound"
    inbound.mkdir(parents=True)
    print(f"Setting up a course of {ASSIGNMENT}/{args.notebook} ...", flush=True)
    course = course_at(base / "service-course", args.notebook, exchange)
    students, _ = synthetic_class(course, ASSIGNMENT)
    kinds = sorted(students)
    picked = {f"{kinds[i % len(kinds)]}-{i}": students[kinds[i % len(kinds)]]
              for i in range(args.students)}

    alone = []
    for run in range(args.alone):
        submit(inbound, f"alone-{run}", students["correct"])
        rows = serve_until_empty(course, args.jobs)
        alone.append(max(r.finished - r.received for r in rows if r.student == f"alone-{run}"))
        print(f"  alone #{run + 1}: {alone[-1]:.1f} s", flush=True)

    print(f"A burst of {len(picked)} submissions ...", flush=True)
    for student, notebooks in picked.items():
        submit(inbound, student, notebooks)
    started = time.monotonic()
    rows = serve_until_empty(course, args.jobs)
    burst_wall = time.monotonic() - started
    burst = sorted(r.finished - r.received for r in rows if r.student in picked)

    print(f"autograde --jobs {args.jobs} for the same class ...", flush=True)
    other = course_at(base / "autograde-course", args.notebook)
    for student, notebooks in picked.items():
        write_submission(other, student, ASSIGNMENT, notebooks)
    started = time.monotonic()
    coordinator.autograde(other, ASSIGNMENT, jobs=args.jobs, progress=lambda *_: None)
    batch = time.monotonic() - started

    def show(values):
        return f"p50 {percentile(sorted(values), 50):6.1f} s   p95 {percentile(sorted(values), 95):6.1f} s"

    print()
    print(f"{ASSIGNMENT}/{args.notebook}, {args.jobs} jobs")
    print(f"  one submission, empty queue ({len(alone)} runs): {show(alone)}")
    print(f"  burst of {len(burst)} at once:                 {show(burst)}"
          f"   (all graded in {burst_wall:.1f} s)")
    print(f"  autograde of the same {len(picked)} after the deadline: {batch:.1f} s "
          f"(every student waits for the run: p95 {batch:.1f} s, after collect)")
    print(f"  target p95 for one notebook, empty queue: 120 s -> "
          f"{'met' if percentile(sorted(alone), 95) < 120 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
