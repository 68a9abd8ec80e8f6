"""Self-test of notebooks: do their test cells award exactly the right points?

For a notebook author: ``python -m utils selftest lab1 --notebook 02_layer``
releases the chosen notebooks into a scratch course (checking that the source
passes its tests and the untouched release earns nothing), grades the
solutions, the blank release and every prepared variant with real nbgrader,
and prints a score matrix with a verdict for every variant.
"""
from pathlib import Path

from .course import KIT_ROOT, Course, CourseError, make_scratch_course
from .grader import coordinator, report
from .release import grade_cells, reference_problems, release
from .submissions import stub_class, synthetic_class, unstubbed, write_submission


def variant_problems(cell_points, scores, variant, owned_by_others=()):
    """What is wrong with how one variant was graded (empty when nothing is).

    ``cell_points`` maps the notebook's grade cells to their points,
    ``scores`` maps them to ``(score, max_score)``.  A mistake must lose
    points in each cell it names and keep every other point, except in cells
    that another mistake graded in the same submission names
    (``owned_by_others``); an alternative must keep every point.
    """
    problems = [f"names {cell}, which is not a grade cell of {variant.notebook}"
                for cell in variant.loses if cell not in cell_points]
    for cell in cell_points:
        score, max_score = scores.get(cell, (None, None))
        if score is None:
            problems.append(f"{cell} was not graded")
        elif cell in variant.loses:
            if score >= max_score:
                problems.append(f"should lose points in {cell} but scored {score:g}/{max_score:g}")
        elif cell not in owned_by_others and score < max_score:
            problems.append(f"should keep every point of {cell} but scored "
                            f"{score:g}/{max_score:g}")
    return problems


def check_planned(course, assignment, planned):
    """``{variant label: [problems]}`` for every planned variant, after grading."""
    verdicts = {}
    for label, (student, variant) in planned.items():
        others = {cell for s, v in planned.values()
                  if s == student and v.notebook == variant.notebook
                  and v.name != variant.name for cell in v.loses}
        scores = report.cell_scores(course, assignment, student, variant.notebook)
        verdicts[label] = variant_problems(grade_cells(course, assignment, variant.notebook),
                                           scores, variant, others)
    return verdicts


def stub_problems(course, assignment, planned):
    """What is wrong with how the stubs were graded: a cell that a stub of the
    function it tests did not bring to 0 (the cell gives points for shape or
    type alone)."""
    problems = []
    for student, notebook, target, kind, cells in planned:
        scores = report.cell_scores(course, assignment, student, notebook)
        for cell in cells:
            score, max_score = scores.get(cell, (None, None))
            if score is None:
                problems.append(f"{notebook}: STUBS names {cell} for {target}, which is "
                                "not a grade cell")
            elif score > 0:
                problems.append(f"{notebook}: a {kind} stub of {target} scored "
                                f"{score:g}/{max_score:g} in {cell} ({student})")
    return problems


def run(assignment, notebooks=None, folder=None, jobs=1, progress=print, stubs=False):
    """Self-test ``notebooks`` of ``assignment``; return True when all is right.

    With ``stubs`` the prepared class is the solutions, the blank release and
    a stub of every graded function (see ``STUBS`` in the variant files)
    instead of the prepared variants.
    """
    kit = Course(KIT_ROOT)
    kit.check_assignment(assignment)
    notebooks = notebooks or kit.notebooks(assignment)
    unknown = sorted(set(notebooks) - set(kit.notebooks(assignment)))
    if unknown:
        raise CourseError(f"{assignment} has no notebook {', '.join(unknown)}: it has "
                          f"{', '.join(kit.notebooks(assignment))}")
    folder = Path(folder) if folder else KIT_ROOT / "build" / "selftest" / assignment
    course = make_scratch_course(kit, folder)
    course.keep_only(assignment, notebooks)
    progress(f"Releasing {assignment}: {', '.join(notebooks)}")
    release(course, assignment, progress=progress)
    students, planned = synthetic_class(course, assignment)
    if stubs:
        stubbed, stub_plan = stub_class(course, assignment, notebooks)
        students = {"correct": students["correct"], "blank": students["blank"], **stubbed}
        planned = {}
    for student, nbs in students.items():
        write_submission(course, student, assignment, nbs)
    progress(f"Grading {len(students)} prepared students")
    outcomes = coordinator.autograde(course, assignment, jobs=jobs, progress=progress)
    ok = all(o.graded for o in outcomes)
    for notebook in notebooks:
        cells = grade_cells(course, assignment, notebook)
        progress(f"\n{assignment}/{notebook}")
        labels = {s: s for s, nbs in students.items() if notebook in nbs}
        if stubs:
            labels.update({s: f"{s} {target} {kind}" for s, n, target, kind, _ in stub_plan
                           if n == notebook})
        width = max(len(label) for label in labels.values())
        progress(" " * width + "  " + "  ".join(cells))
        for student, label in labels.items():
            scores = report.cell_scores(course, assignment, student, notebook)
            row = "  ".join(f"{scores[c][0]:g}/{scores[c][1]:g}".ljust(len(c)) for c in cells)
            progress(f"{label.ljust(width)}  {row}")
    for problem in reference_problems(course, assignment, notebooks):
        ok = False
        progress(f"PROBLEM: {problem}")
    progress("")
    if stubs:
        problems = [f"{assignment}/{notebook}: no STUBS entry for {name}" for notebook in notebooks
                    for name in unstubbed(course, assignment, notebook)]
        problems += stub_problems(course, assignment, stub_plan)
        for problem in problems:
            progress(f"PROBLEM: {problem}")
        progress(f"{len(stub_plan)} stubs graded." if not problems else
                 f"{len(problems)} problem(s) with stubs.")
        ok = ok and not problems
    for label, problems in check_planned(course, assignment, planned).items():
        student = planned[label][0]
        if problems:
            ok = False
            for p in problems:
                progress(f"PROBLEM: {label} ({student}): {p}")
        else:
            progress(f"ok: {label} ({student})")
    progress("\nAll variants graded as expected." if ok else "\nSome variants are not graded as expected.")
    return ok
