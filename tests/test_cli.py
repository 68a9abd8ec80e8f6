"""The instructor's command line: clear errors, no tracebacks, nothing lost."""
import csv
import subprocess
import sys

import nbformat
import pytest

from conftest import KIT, small_course
from utils import grading
from utils.grader import report
from utils.grader.outcome import load_outcomes
from utils.course import Course, CourseError, make_scratch_course

COMMANDS = ("release", "autograde", "feedback", "report", "grades", "roster", "demo",
            "selftest", "lecture", "import-zips")


def run_cli(*args, course=None):
    prefix = ["--course", str(course)] if course else []
    return subprocess.run([sys.executable, "-m", "utils", *prefix, *args], cwd=KIT,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    """`python -m utils COMMAND --help` explains the command."""
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "usage: python -m utils" in result.stdout


def test_unknown_assignment_is_one_clear_line(tmp_path):
    """A typo in an assignment name gives one line naming the real ones."""
    result = run_cli("autograde", "lab9")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip().splitlines()[0]]
    assert "unknown assignment 'lab9'" in result.stderr and "lab1" in result.stderr


def test_autograde_without_submissions_says_where_it_looked(tmp_path):
    """Grading an assignment nobody submitted names the folder it expected."""
    course = make_scratch_course(Course(KIT), tmp_path / "course")
    grading.release(course, "lab1", validate=False, progress=lambda *_: None)
    result = run_cli("autograde", "lab1", course=course.root)
    assert result.returncode == 2
    assert "no submissions for lab1" in result.stderr and "submitted" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_notebook_is_reported_and_the_class_still_graded(graded):
    """Invalid JSON is reported by name; nobody else is affected; never a silent 0."""
    outcome = graded.outcomes[("broken-json", "lab1")]
    reasons = outcome.message + " ".join(outcome.problems.values())
    assert "not valid JSON" in reasons
    assert graded.outcomes[("correct", "lab1")].graded
    table = report.score_table(graded.course, "lab1", [outcome])
    assert "n/g" in table


def test_grades_csv_marks_what_was_not_graded(graded, tmp_path):
    """grades writes every student and notebook, with status, and exits 1 on failures."""
    output = tmp_path / "grades"
    result = run_cli("grades", "--output", str(output), course=graded.course.root)
    assert result.returncode == 1, result.stderr
    assert "NOT GRADED: broken-json" in result.stdout
    rows = list(csv.DictReader((output / "notebooks.csv").open(encoding="utf-8-sig")))
    by_student = {(r["student"], r["assignment"], r["notebook"]): r for r in rows}
    first = graded.course.notebooks("lab1")[0]
    broken = by_student[("broken-json", "lab1", first)]
    assert broken["status"].startswith("not graded") and broken["score"] == ""
    correct = by_student[("correct", "lab1", first)]
    assert correct["status"] == "graded" and correct["score"] == correct["max_score"]


def test_written_answers_wait_for_a_person(graded):
    """A written answer is not scored as 0 in silence: its points are marked as
    waiting for manual grading, in the CSV status and in the table's remark."""
    outcomes = {o.student: o for o in load_outcomes(graded.course, "lab2")}
    correct = report.notebook_rows(graded.course, outcomes["correct"])
    by_hand = {"01_neuron": 3, "02_tiny_network": 6}     # experiments; the derivation
    assert {row.name: row.by_hand for row in correct} == by_hand
    assert {row.name: row.status for row in correct} == {
        name: f"graded, {points} point(s) to grade by hand" for name, points in by_hand.items()}
    blank = report.notebook_rows(graded.course, outcomes["blank"])
    assert all(row.status == "graded" for row in blank)   # an unchanged answer earns 0
    table = report.score_table(graded.course, "lab2", [outcomes["correct"]])
    assert "9 point(s) to grade by hand (formgrader)" in table


def test_release_check_of_the_graded_class(graded):
    """Grading the solutions and the blank release checks every test cell, and
    the check speaks up when they are swapped."""
    from utils.selftest import reference_problems
    for assignment in graded.course.assignments():
        assert reference_problems(graded.course, assignment) == []
    swapped = reference_problems(graded.course, "hw1", correct="blank", blank="correct")
    cells = graded.grade_cells("hw1", "01_two_layer_mlp")
    assert len(swapped) == 2 * len(cells)
    assert any("the solutions lose points in" in p for p in swapped)
    assert any("the untouched release earns points in" in p for p in swapped)


def test_demo_class_has_every_kind_of_student(tmp_path):
    """The demo class: solutions, blank, mistakes, and in the first assignment
    a broken, a tampering and a crashing student with one notebook each."""
    from utils import demo
    course = make_scratch_course(Course(KIT), tmp_path / "course")
    for assignment in ("lab1", "lab2"):
        grading.release(course, assignment, validate=False, progress=lambda *_: None)
    first = demo.class_for(course, "lab1")
    assert sorted(first) == ["ada", "blank", "broken", "copier-a", "copier-b", "crasher",
                             "mistake-1", "mistake-2", "tamperer"]
    notebook = course.notebooks("lab1")[0]
    for special in ("broken", "crasher", "tamperer", "copier-a", "copier-b"):
        assert list(first[special]) == [notebook]
    with pytest.raises(Exception):
        nbformat.reads(first["broken"][notebook], 4)
    def code(student):
        return "\n".join(c.source for c in first[student][notebook].cells)
    assert demo.TAMPERING in code("tamperer") and demo.CRASH in code("crasher")
    assert len(first["ada"]) == len(course.notebooks("lab1"))
    assert sorted(demo.class_for(course, "lab2", special_students=False)) == [
        "ada", "blank", "mistake-1", "mistake-2"]


def _edit_cell(path, grade_id, edit):
    nb = nbformat.read(str(path), 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = edit(cell.source)
    nbformat.write(nb, str(path))


def test_release_refuses_a_source_that_fails_its_tests(tmp_path):
    """A wrong solution in source/ stops the release with the failing test named."""
    course = small_course(tmp_path / "course")
    path = course.source / "lab1" / "01_single_neuron.ipynb"
    _edit_cell(path, "neurons", lambda s: s.replace("return X @ W.T + B", "return X @ W.T"))
    with pytest.raises(CourseError, match="does not pass its own tests"):
        grading.release(course, "lab1", progress=lambda *_: None)


def test_release_refuses_a_test_that_gives_free_points(tmp_path):
    """A test cell that passes on the untouched release stops the release."""
    course = small_course(tmp_path / "course")
    path = course.source / "lab1" / "01_single_neuron.ipynb"
    _edit_cell(path, "test_relu", lambda s: s.split("\n", 1)[0] + "\nprint('fine')")
    with pytest.raises(CourseError, match="gives points for nothing"):
        grading.release(course, "lab1", progress=lambda *_: None)


def test_a_scratch_course_of_a_scratch_course_grades_the_kits_way(tmp_path):
    """The self-test's course lives in build/, and its release check makes a second
    scratch course elsewhere: that one must still load the kit's settings."""
    import shutil
    inner = make_scratch_course(Course(KIT), KIT / "build" / "test-nested-scratch")
    try:
        nested = make_scratch_course(inner, tmp_path / "nested")
        steps = nested.config().Autograde.autograde_preprocessors
        assert any(getattr(step, "__name__", "") == "GradedExecute" for step in steps), steps
    finally:
        shutil.rmtree(inner.root)


def test_report_command_writes_the_page_and_prints_the_summary(class_view):
    """`report lab1` writes reports/lab1.html and prints the summary naming the
    copying pair, the late student and the missing one."""
    result = run_cli("report", "lab1", course=class_view.root)
    assert result.returncode == 0, result.stderr
    page = class_view.root / "reports" / "lab1.html"
    assert page.is_file() and str(page) in result.stdout
    assert "copier-a & copier-b" in result.stdout and "late-lea" in result.stdout
    assert "missing: rosa" in result.stdout
    unknown = run_cli("report", "hw9", course=class_view.root)
    assert unknown.returncode == 2 and "unknown assignment 'hw9'" in unknown.stderr


def test_roster_command_names_bad_lines_and_imports_nothing(class_view, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,email\nzoe,Zoe,zoe@example.org\n../x,Bad,bad@example.org\n")
    result = run_cli("roster", str(roster), course=class_view.root)
    assert result.returncode == 1 and "line 3" in result.stdout
    assert "Nothing imported" in result.stdout
    with report.gradebook(class_view) as gb:
        assert "zoe" not in {s.id for s in gb.students}


def test_score_table_shows_the_late_penalty_and_the_total_after_it(class_view):
    """The terminal table totals the way totals.csv and canvas.csv do: the late
    student's penalty in its own column, the total after it."""
    records = {r.student: r for r in report.class_records(class_view, "lab1")}
    lea = records["late-lea"]
    assert lea.penalty > 0
    outcomes = [o for o in load_outcomes(class_view, "lab1")
                if o.student in ("late-lea", "ada")]
    table = report.score_table(class_view, "lab1", outcomes)
    lines = {line.split()[0]: line for line in table.splitlines()[3:]}
    assert sorted(lines) == ["ada", "late-lea"]
    header = table.splitlines()[1].split()
    assert header[-3:] == ["late", "total", "remark"]
    cells = lines["late-lea"].split()
    late, total = cells[header.index("late")], cells[header.index("total")]
    assert float(late) == pytest.approx(-lea.penalty)
    final, possible = (float(x) for x in total.split("/"))
    assert final == pytest.approx(lea.final) and possible == pytest.approx(lea.max_score)
    assert final < lea.score
    assert "late:" in lines["late-lea"] and "late:" not in lines["ada"]
    ada = lines["ada"].split()
    assert float(ada[header.index("total") - 1].split("/")[0]) == pytest.approx(
        records["ada"].final)
