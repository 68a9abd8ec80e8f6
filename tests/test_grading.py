"""Grading through real nbgrader: every point is earned, none is given away.

Each prepared mistake must cost points in exactly the exercises it names and
keep every other point; each prepared alternative must keep every point.
"""
import re

import pytest

from conftest import all_variants
from utils.selftest import check_planned


def _assignments(graded):
    return graded.course.assignments()


def test_every_assignment_has_prepared_variants(graded):
    """Every notebook has at least one prepared mistake and one alternative."""
    from utils.submissions import load_variants
    for assignment in _assignments(graded):
        for notebook in graded.course.notebooks(assignment):
            variants = load_variants(assignment, notebook)
            assert any(v.is_mistake for v in variants), f"{assignment}/{notebook}: no mistakes"
            assert any(not v.is_mistake for v in variants), f"{assignment}/{notebook}: no alternatives"


def test_correct_submission_scores_full_marks(graded):
    """The instructor's solutions earn every point of every grade cell."""
    for assignment in _assignments(graded):
        assert graded.outcomes[("correct", assignment)].graded
        for notebook in graded.course.notebooks(assignment):
            scores = graded.scores("correct", assignment, notebook)
            expected = graded.grade_cells(assignment, notebook)
            assert set(expected) <= set(scores)
            lost = {g: s for g, s in scores.items() if g in expected and s[0] != s[1]}
            assert not lost, f"{assignment}/{notebook}: the solutions lose {lost}"


def test_solutions_run_without_errors_or_warnings(graded):
    """Graded with the solutions, no cell of any notebook writes to stderr or fails."""
    import nbformat
    for assignment in _assignments(graded):
        for path in sorted((graded.course.autograded / "correct" / assignment).glob("*.ipynb")):
            nb = nbformat.read(str(path), 4)
            noisy = [(number, output.get("name") or output.get("ename"))
                     for number, cell in enumerate(nb.cells) if cell.cell_type == "code"
                     for output in cell.outputs
                     if output.get("name") == "stderr" or output.output_type == "error"]
            assert not noisy, f"{assignment}/{path.stem}: cells {noisy}"


EXPECTED = re.compile(r"\*\*Expected output\*\*([^\n]*)\n```\n(.*?)```", re.S)

#: Numbers seed 003 prints for hw1's toy problem: they must stay in its
#: expected-output blocks, which the solutions must reproduce.
SEED_003 = ("cost = 0.5239053069310721", "Epoch 0: Loss = 0.5413416581298806",
            "Epoch 9: Loss = 0.5397437383925353")


def test_expected_output_blocks_match_the_solutions(graded):
    """Every 'Expected output' block shows exactly what the cell above it prints
    with the solutions (except where it says the output depends on the machine),
    and hw1's blocks hold seed 003's numbers."""
    import nbformat
    compared, blocks = 0, {}
    for assignment in _assignments(graded):
        for path in sorted((graded.course.autograded / "correct" / assignment).glob("*.ipynb")):
            cells = nbformat.read(str(path), 4).cells
            for number, cell in enumerate(cells):
                found = EXPECTED.search(cell.source) if cell.cell_type == "markdown" else None
                if not found:
                    continue
                blocks.setdefault(assignment, []).append(found.group(2))
                if "depends" in found.group(1):
                    continue
                above = cells[number - 1]
                assert above.cell_type == "code", f"{path.stem}: block {number} follows no code"
                printed = "".join(o.get("text", "") for o in above.outputs
                                  if o.output_type == "stream" and o.name == "stdout")
                assert printed.strip() == found.group(2).strip(), \
                    f"{assignment}/{path.stem}, cell {number}: expected\n{found.group(2)}\ngot\n{printed}"
                compared += 1
    assert compared >= 50
    hw1 = "".join(blocks["hw1"])
    assert all(line in hw1 for line in SEED_003)


def test_untouched_release_scores_zero(graded):
    """The release as handed out earns nothing on any autograded cell."""
    for assignment in _assignments(graded):
        for notebook in graded.course.notebooks(assignment):
            scores = graded.scores("blank", assignment, notebook)
            for cell in graded.grade_cells(assignment, notebook):
                assert scores[cell][0] == 0, f"{assignment}/{notebook}: {cell} gives free points"


@pytest.fixture(scope="module")
def verdicts(graded):
    """``{assignment: {variant label: [problems]}}``, read out of the gradebook once."""
    found = {}

    def of(assignment):
        if assignment not in found:
            planned = {k: v for (a, k), v in graded.variants.items() if a == assignment}
            found[assignment] = check_planned(graded.course, assignment, planned)
        return found[assignment]
    return of


@pytest.mark.parametrize("assignment, variant", all_variants())
def test_prepared_variant(verdicts, assignment, variant):
    """A mistake loses points in the cells it names and only there;
    an alternative keeps every point."""
    problems = verdicts(assignment)[f"{variant.notebook}: {variant.name}"]
    assert not problems, f"{variant.name!r}: " + "; ".join(problems)


def test_deleted_test_cell_is_restored_and_graded(graded):
    """A student who deletes a test cell is graded on the instructor's copy."""
    scores = graded.scores("deleted-test", "lab1", "01_single_neuron")
    assert scores["test_relu"] == (2.0, 2.0)
    from utils.grader.report import gradebook
    with gradebook(graded.course) as gb:
        nb = gb.find_submission_notebook("01_single_neuron", "lab1", "deleted-test")
        assert not nb.needs_manual_grade


def test_student_copy_of_helpers_is_not_used(graded):
    """Grading imports the instructor's helpers, not the student's edited copy."""
    scores = graded.scores("tampered-helpers", "lab1", "01_single_neuron")
    assert all(score == 0 for score, _ in scores.values()), scores


def test_every_grade_cell_fails_on_some_prepared_mistake(graded):
    """No test cell is left unproven: some realistic mistake makes each one fail."""
    from utils.submissions import load_variants
    for assignment in _assignments(graded):
        for notebook in graded.course.notebooks(assignment):
            named = {cell for v in load_variants(assignment, notebook) if v.is_mistake
                     for cell in v.loses}
            unproven = set(graded.grade_cells(assignment, notebook)) - named
            assert not unproven, f"{assignment}/{notebook}: no mistake fails {sorted(unproven)}"
