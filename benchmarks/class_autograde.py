"""How fast the kit grades a class, next to stock nbgrader and a floor.

    .venv/bin/python benchmarks/class_autograde.py [--assignment lab1] [--students 12]
        [--jobs N] [--notebooks 01_single_neuron ...] [--folder build/bench]
        [--json FILE] [--no-sandbox]

In one run it:

1. builds a synthetic class: ``--students`` students cycled from the prepared
   kinds of :func:`utils.submissions.synthetic_class` (the solutions, the
   blank release, every packed mistake and alternative); past the prepared
   ones the kinds repeat under new ids (``correct-2``, ``mistake-1-2``);
2. grades it with stock nbgrader: a second course with a minimal
   ``nbgrader_config.py`` (no kit classes, no sandbox), its release made by
   ``nbgrader generate_assignment`` and the class graded by one sequential
   ``nbgrader autograde``, test cells in the student's kernel;
3. grades the same submissions with ``python -m utils autograde --jobs N``
   in a scratch copy of the kit's course, checks every student's scores
   against what their kind must get (the solutions and alternatives every
   point, the blank release none, a mistake fewer points in the exercises it
   names) and compares them with stock nbgrader's;
4. measures a floor: the time the graded notebooks' own cells take in
   kernels that are already running, divided by the jobs;
5. prints a table (seconds per notebook, stock/kit, kit/floor).

Only the two autograde runs are timed, not the releases.  The exit status
is 0 when every kit score is what the student's kind must get, 1 when one is
not, 2 on bad input.  Run it on an otherwise idle machine.
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from utils import grading  # noqa: E402
from utils.grader import coordinator  # noqa: E402
from utils.cli import positive_number  # noqa: E402
from utils.course import Course, CourseError, make_scratch_course, prepare_environment  # noqa: E402
from utils.selftest import grade_cells, variant_problems  # noqa: E402
from utils.submissions import synthetic_class, write_submission  # noqa: E402

#: The nbgrader settings of a course that does not use the kit: nbgrader's
#: defaults, except the folders and the cell time limit the kit uses too.
STOCK_CONFIG = '''\
"""A course graded by nbgrader as it comes: default preprocessors, no sandbox."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "bench-stock"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.Execute.timeout = 120
'''

#: Run at the start of every kernel of the stock course and of the floor
#: (an IPython startup file).  The kit's test cells call two helpers that the
#: kit's grader provides; run inside the kernel, as stock nbgrader runs them,
#: they mean what they mean in the instructor's own kernels (lend the given
#: objects for one cell, call a function on the notebook's objects): the
#: extension of :mod:`utils.grader.instructor_kernel`.
KERNEL_HELPERS = ('"""The kit\'s test-cell helpers, for test cells run in the kernel."""\n'
                  'get_ipython().extension_manager.load_extension('  # noqa: ISC003
                  '"utils.grader.instructor_kernel")\n')

#: The line of nbgrader's log that starts a student's grading.
STOCK_STUDENT = re.compile(r"Creating/updating student with ID '([^']+)'")

#: Seconds a cell may run when the floor is measured (as in the courses).
CELL_TIMEOUT = 120


class BenchError(Exception):
    """A problem with the benchmark's input or environment; one clear line."""


def say(text=""):
    """One progress line, printed at once."""
    print(text, flush=True)


# -- the class --------------------------------------------------------------

def class_plan(kinds, count):
    """``[(student id, kind)]``: ``count`` students cycled through ``kinds``.

    Kinds are taken as correct, blank, then mistakes and alternatives in
    turn, so that a small class still has both; a kind met again gets a new
    id with ``-2``, ``-3``, ... appended.
    """
    mistakes = [k for k in kinds if k.startswith("mistake-")]
    alternatives = [k for k in kinds if k.startswith("alternative-")]
    order = [k for k in ("correct", "blank") if k in kinds]
    for i in range(max(len(mistakes), len(alternatives))):
        order += mistakes[i:i + 1] + alternatives[i:i + 1]
    if not order:
        raise BenchError("no prepared students for this assignment")
    plan = []
    for number in range(count):
        kind = order[number % len(order)]
        round_ = number // len(order) + 1
        plan.append((kind if round_ == 1 else f"{kind}-{round_}", kind))
    return plan


def expected_problems(scores, kind, variants, cells):
    """What is wrong with one student's scores for a notebook, given their kind.

    ``scores`` maps grade cells to ``(score, max_score)``; ``variants`` are
    the kind's variants in this notebook; ``cells`` maps the notebook's
    autograded cells to their points.
    """
    problems = []
    if kind in ("correct", "blank"):
        for cell in cells:
            score, best = scores.get(cell, (None, None))
            if score is None:
                problems.append(f"{cell} was not graded")
            elif kind == "correct" and score < best:
                problems.append(f"the solutions scored {score:g}/{best:g} in {cell}")
            elif kind == "blank" and score > 0:
                problems.append(f"the blank release scored {score:g}/{best:g} in {cell}")
        return problems
    for variant in variants:
        others = {cell for v in variants if v is not variant for cell in v.loses}
        problems += [f"{variant.name}: {p}"
                     for p in variant_problems(cells, scores, variant, others)]
    if not variants:   # this kind changes nothing here: the solutions' notebook
        problems += expected_problems(scores, "correct", [], cells)
    return problems


# -- gradebooks -------------------------------------------------------------

def gradebook_url(course):
    """Where a course keeps its gradebook."""
    return getattr(course, "db_url", None) or f"sqlite:///{course.gradebook}"


def read_scores(url, assignment, students, notebooks):
    """``{(student, notebook): {grade_id: (score, max_score)}}`` of a gradebook;
    a notebook missing from it is left out."""
    from nbgrader.api import Gradebook, MissingEntry
    found = {}
    with Gradebook(url) as gb:
        for student in students:
            for notebook in notebooks:
                try:
                    nb = gb.find_submission_notebook(notebook, assignment, student)
                except MissingEntry:
                    continue
                found[student, notebook] = {g.name: (g.score, g.max_score) for g in nb.grades}
    return found


# -- running commands ---------------------------------------------------------

def run_logged(command, cwd, env, log, on_line=lambda line: None):
    """Run ``command``; write its output to ``log``; return ``(status, seconds)``.

    ``on_line`` sees every line as it comes (for progress lines).
    """
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace")
        for line in process.stdout:
            handle.write(line)
            on_line(line.rstrip("\n"))
        status = process.wait()
    return status, time.perf_counter() - started


def kernel_environment(folder):
    """Environment for a kernel that runs the kit's test cells itself: the
    kit's ``utils`` (student modules and reference answers) importable, and
    :data:`KERNEL_HELPERS` run at start."""
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-kit-test-helpers.py").write_text(KERNEL_HELPERS)
    env = dict(os.environ)
    env.pop("NN_KIT_RUNTIME", None)
    env["IPYTHONDIR"] = str(folder / "ipython")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(KIT), os.environ.get("PYTHONPATH", "")) if p)
    env["MPLBACKEND"] = "Agg"
    return env


def nbgrader_command():
    """The ``nbgrader`` of the Python that runs this benchmark."""
    found = Path(sys.executable).parent / "nbgrader"
    if not found.exists():
        raise BenchError(f"nbgrader is not installed beside {sys.executable}: run make first")
    return str(found)


# -- the three measurements ---------------------------------------------------

def stock_course(folder, kit, assignment, notebooks, klass, env):
    """Make the stock course, release it, hand in ``klass``; return it."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "source" / assignment).mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text(STOCK_CONFIG)
    for name in notebooks:
        shutil.copyfile(kit.source / assignment / f"{name}.ipynb",
                        folder / "source" / assignment / f"{name}.ipynb")
    status, _ = run_logged([nbgrader_command(), "generate_assignment", assignment, "--force"],
                           folder, env, folder / "generate.log")
    if status:
        raise BenchError(f"stock nbgrader generate_assignment failed; see "
                         f"{folder / 'generate.log'}")
    for student, nbs in klass.items():
        # The notebooks alone: the kernel imports the kit's utils, which the
        # hidden tests need too (utils.grader.reference), from its path.
        target = folder / "submitted" / student / assignment
        target.mkdir(parents=True)
        for name, nb in nbs.items():
            nbformat.write(nb, str(target / f"{name}.ipynb"))
    return folder


def grade_stock(folder, assignment, students, env):
    """Stock ``nbgrader autograde``, every student in one run; ``(status, seconds)``."""
    done = []

    def progress(line):
        found = STOCK_STUDENT.search(line)
        if found and found.group(1) not in done:
            done.append(found.group(1))
            say(f"  [{len(done)}/{len(students)}] stock nbgrader: grading {found.group(1)}")
    return run_logged([nbgrader_command(), "autograde", assignment, "--force"],
                      folder, env, folder / "autograde.log", progress)


def grade_kit(course, assignment, jobs, no_sandbox):
    """``python -m utils autograde`` in the kit's scratch course; ``(status, seconds)``."""
    command = [sys.executable, "-m", "utils", "--course", str(course.root),
               "autograde", assignment, "--jobs", str(jobs)]
    if no_sandbox:
        command.append("--no-sandbox")
    env = dict(os.environ)
    env.pop("NN_KIT_RUNTIME", None)

    def progress(line):
        if line.startswith("  [") or line.startswith("  ...") or line.startswith("WARNING"):
            say("  kit:" + line[1:])
    return run_logged(command, KIT, env, course.root / "autograde.log", progress)


async def cell_seconds(path, env):
    """Seconds the code cells of the notebook at ``path`` take in a kernel
    that is already running (its start and shutdown are not counted)."""
    from jupyter_client.manager import AsyncKernelManager
    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory(prefix="bench-kernel-") as sockets:
        # Local socket files, as the kit's grading kernels use, not TCP ports.
        km = AsyncKernelManager(kernel_name="python3", transport="ipc",
                                ip=os.path.join(sockets, "kernel"))
        client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=True,
                                shutdown_kernel="immediate",
                                resources={"metadata": {"path": str(path.parent)}})
        total = 0.0
        async with client.async_setup_kernel(env=env, cleanup_kc=True):   # started, ready
            client.reset_execution_trackers()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                started = time.perf_counter()
                await client.async_execute_cell(cell, index)
                total += time.perf_counter() - started
    return total


def measure_floor(folder, assignment, students, notebooks, env):
    """``(seconds, count)``: the summed cell time of every graded notebook."""
    total, count = 0.0, 0
    for number, student in enumerate(students, 1):
        seconds = 0.0
        for name in notebooks:
            path = folder / "autograded" / student / assignment / f"{name}.ipynb"
            if path.exists():
                seconds += asyncio.run(cell_seconds(path, env))
                count += 1
        total += seconds
        say(f"  [{number}/{len(students)}] floor: {student}, {seconds:.1f} s of cells")
    return total, count


# -- the run ------------------------------------------------------------------

def parser():
    """The benchmark's command line."""
    p = argparse.ArgumentParser(
        prog="benchmarks/class_autograde.py",
        description="Grade a synthetic class with stock nbgrader and with the kit; "
                    "print seconds per notebook, their ratio and a floor.")
    p.add_argument("--assignment", default="lab1", help="assignment to grade (default: lab1)")
    p.add_argument("--students", type=positive_number, default=12,
                   help="students in the class (default: 12)")
    p.add_argument("--jobs", type=positive_number, default=coordinator.default_jobs(),
                   help="students the kit grades at once (default: %(default)s)")
    p.add_argument("--notebooks", nargs="+", metavar="NAME",
                   help="only these notebooks of the assignment, e.g. 01_single_neuron")
    p.add_argument("--folder", default=str(KIT / "build" / "bench"),
                   help="scratch folder; its kit/ and stock/ courses are made anew "
                        "(default: build/bench)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    p.add_argument("--no-sandbox", action="store_true",
                   help="let the kit grade without its sandbox (the figures then leave it out)")
    return p


def check_input(kit, args):
    """The notebooks to grade; a :class:`CourseError` for an unknown name."""
    kit.check_assignment(args.assignment)
    names = kit.notebooks(args.assignment)
    chosen = args.notebooks or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise CourseError(f"{args.assignment} has no notebook {', '.join(unknown)}: "
                          f"it has {', '.join(names)}")
    return [n for n in names if n in chosen]


def sandbox_missing():
    """Why the kit cannot sandbox its kernels here, or ``""``."""
    from utils.grader import sandbox
    ok, why = sandbox.available()
    return "" if ok else why


def run(args):
    """The whole benchmark; return the exit status."""
    prepare_environment()
    kit = Course(KIT)
    notebooks = check_input(kit, args)
    assignment = args.assignment
    folder = Path(args.folder).resolve()
    no_sandbox = args.no_sandbox
    if not no_sandbox and sandbox_missing():
        say(f"WARNING: the kit grades without its sandbox here ({sandbox_missing()}); "
            "its figures leave the sandbox out.")
        no_sandbox = True

    say(f"1. Building a class of {args.students} for {assignment} "
        f"({len(notebooks)} notebook(s)) in {folder}")
    course = make_scratch_course(kit, folder / "kit")
    course.keep_only(assignment, notebooks)
    grading.release(course, assignment, validate=False, progress=lambda *_: None)
    prepared, planned = synthetic_class(course, assignment, notebooks)
    plan = class_plan(list(prepared), args.students)
    klass = {student: prepared[kind] for student, kind in plan}
    for student, nbs in klass.items():
        write_submission(course, student, assignment, nbs)
    variants = {}
    for kind, variant in planned.values():
        variants.setdefault(kind, []).append(variant)
    students = [student for student, _ in plan]
    count = sum(len(nbs) for nbs in klass.values())
    say(f"  {len(students)} students, {count} notebooks: {', '.join(students)}")

    env = kernel_environment(folder)
    say("2. Stock nbgrader: generate_assignment, then one sequential autograde")
    stock = stock_course(folder / "stock", kit, assignment, notebooks, klass, env)
    stock_status, stock_seconds = grade_stock(stock, assignment, students, env)
    if stock_status:
        say(f"  note: stock nbgrader autograde ended with status {stock_status}; "
            f"see {stock / 'autograde.log'}")
    say(f"  stock autograde: {stock_seconds:.1f} s")

    say(f"3. The kit: python -m utils autograde {assignment} --jobs {args.jobs}")
    kit_status, kit_seconds = grade_kit(course, assignment, args.jobs, no_sandbox)
    say(f"  kit autograde: {kit_seconds:.1f} s (exit status {kit_status})")

    mismatches = []
    kit_scores = read_scores(gradebook_url(course), assignment, students, notebooks)
    stock_scores = read_scores(f"sqlite:///{stock / 'gradebook.db'}", assignment,
                               students, notebooks)
    kinds = dict(plan)
    for student in students:
        for name in notebooks:
            scores = kit_scores.get((student, name))
            if scores is None:
                mismatches.append(f"{student} / {name}: not in the kit's gradebook")
                continue
            mine = [v for v in variants.get(kinds[student], []) if v.notebook == name]
            mismatches += [f"{student} / {name}: {p}" for p in expected_problems(
                scores, kinds[student], mine, grade_cells(course, assignment, name))]
    for line in mismatches:
        say(f"  MISMATCH: {line}")
    say(f"  expected outcomes: {'all as expected' if not mismatches else f'{len(mismatches)} mismatch(es)'}")
    differences = compare(kit_scores, stock_scores)
    for line in differences:
        say(f"  stock differs: {line}")
    say(f"  stock and kit scores: {'agree' if not differences else f'{len(differences)} difference(s)'}")

    say("4. Floor: the graded notebooks' cells in kernels already started")
    floor_total, floor_count = measure_floor(stock, assignment, students, notebooks, env)

    graded = count
    figures = {
        "assignment": assignment, "students": len(students), "notebooks": graded,
        "jobs": args.jobs, "cores": os.cpu_count(), "sandbox": not no_sandbox,
        "stock_seconds": stock_seconds, "kit_seconds": kit_seconds,
        "stock_per_notebook": stock_seconds / graded,
        "kit_per_notebook": kit_seconds / graded,
        "ratio_stock_kit": stock_seconds / kit_seconds,
        "floor_cell_seconds": floor_total, "floor_notebooks": floor_count,
        "floor_per_notebook": floor_total / max(floor_count, 1) / args.jobs,
        "expected_mismatches": mismatches, "stock_differences": differences,
    }
    figures["kit_floor"] = figures["kit_per_notebook"] / max(figures["floor_per_notebook"], 1e-9)
    say()
    say(table(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
        say(f"Figures written to {args.json}")
    if mismatches or kit_status:
        say("Some kit scores are not what the students' kinds must get (MISMATCH above)."
            if mismatches else f"The kit's autograde ended with status {kit_status}; "
            f"see {course.root / 'autograde.log'}")
        return 1
    return 0


def compare(kit_scores, stock_scores):
    """One line per cell where the kit and stock nbgrader gave different scores
    (or where one of them has no score for a notebook)."""
    differences = []
    for key in sorted(set(kit_scores) | set(stock_scores)):
        mine, theirs = kit_scores.get(key), stock_scores.get(key)
        if mine is None or theirs is None:
            who = "the kit's" if mine is None else "stock nbgrader's"
            differences.append(f"{key[0]} / {key[1]}: not in {who} gradebook")
            continue
        for cell in sorted(set(mine) | set(theirs)):
            score, best = mine.get(cell, (None, None))
            other = theirs.get(cell, (None, None))[0]
            if other != score:
                differences.append(f"{key[0]} / {key[1]} / {cell}: kit {_num(score)}"
                                   f"/{_num(best)}, stock {_num(other)}")
    return differences


def _num(value):
    return "none" if value is None else f"{value:g}"


def table(f):
    """The figures as a short table."""
    rows = [
        ("notebooks graded", f"{f['notebooks']}",
         f"{f['students']} students of {f['assignment']}"),
        ("stock s/notebook", f"{f['stock_per_notebook']:.2f}",
         f"nbgrader autograde, one at a time: {f['stock_seconds']:.1f} s"),
        ("kit s/notebook", f"{f['kit_per_notebook']:.2f}",
         f"python -m utils autograde --jobs {f['jobs']}: {f['kit_seconds']:.1f} s"
         + ("" if f["sandbox"] else ", no sandbox")),
        ("ratio stock/kit", f"{f['ratio_stock_kit']:.2f}", "above 1: the kit is faster"),
        ("floor s/notebook", f"{f['floor_per_notebook']:.2f}",
         f"cells alone, {f['floor_cell_seconds']:.1f} s / {f['floor_notebooks']} "
         f"notebooks / {f['jobs']} jobs"),
        ("kit/floor", f"{f['kit_floor']:.2f}", "the kit's overhead over the cells alone"),
        ("cores", f"{f['cores']}", ""),
    ]
    return "\n".join(f"{name:18s} {value:>8s}   {note}".rstrip() for name, value, note in rows)


def main(argv=None):
    """Run the benchmark from the command line; return its exit status."""
    args = parser().parse_args(argv)
    try:
        return run(args)
    except (CourseError, BenchError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
