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

#: How far a printed number may be from its expected-output block. Another
#: processor or NumPy build (and a student's equivalent formula) changes the last
#: one or two of the 16-17 digits Python prints (0.1418259703942383 becomes
#: 0.14182597039423833): a relative difference near 1e-16. A wrong answer changes
#: the 4th to 6th digit at the least, far above 1e-6; atol lets a value that
#: should be 0 print as 1e-17.
RTOL, ATOL = 1e-6, 1e-9

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)\b")


def _split_numbers(text):
    """``(words, numbers)``: the text between numbers, spaces squeezed, and the numbers."""
    words = [" ".join(part.split()) for part in NUMBER.split(text)]
    return words, [float(n) for n in NUMBER.findall(text)]


def output_differences(expected, printed):
    """Why ``printed`` is not what an expected-output block shows, or ``None``.

    The text between numbers must be the same; each number must be within
    RTOL/ATOL of the block's (never floats compared as text).
    """
    import math
    expected_words, expected_numbers = _split_numbers(expected.strip())
    printed_words, printed_numbers = _split_numbers(printed.strip())
    if expected_words != printed_words or len(expected_numbers) != len(printed_numbers):
        return "the text differs"
    far = [(e, p) for e, p in zip(expected_numbers, printed_numbers)
           if not (math.isclose(p, e, rel_tol=RTOL, abs_tol=ATOL)
                   or (math.isnan(e) and math.isnan(p)))]
    return f"numbers differ (expected, printed): {far}" if far else None


def test_output_comparison_tolerates_last_digits_only():
    """A last-digit change passes; a changed 4th digit, a missing number or other
    words fail."""
    block = "Epoch 9: Loss = 0.1418259703942383\nW = [[ 0.0506  0.5   ]]\nTrue"
    assert output_differences(block, block.replace("0.1418259703942383",
                                                   "0.14182597039423833")) is None
    assert output_differences(block, block.replace("0.0506  0.5 ", "0.0506 0.5")) is None
    assert "numbers differ" in output_differences(
        block, block.replace("0.1418259703942383", "0.1419259703942383"))
    assert output_differences(block, block.replace("0.5   ]", "]")) == "the text differs"
    assert output_differences(block, block.replace("True", "False")) == "the text differs"
    assert output_differences(block, block.replace("Epoch 9", "Epoch 8"))


def test_expected_output_blocks_match_the_solutions(graded):
    """Every 'Expected output' block shows what the cell above it prints with the
    solutions (except where it says the output depends on the machine): the same
    text, numbers within RTOL/ATOL; and hw1's blocks hold seed 003's numbers."""
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
                problem = output_differences(found.group(2), printed)
                assert problem is None, (f"{assignment}/{path.stem}, cell {number}: {problem}; "
                                         f"expected\n{found.group(2)}\ngot\n{printed}")
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
