"""The roster import and the spreadsheet and LMS exports (utils/grader/exports.py).

The exports are read from the ``class_view`` class (conftest.py), graded by
real nbgrader; expected points come from the gradebook's own cells, never
from the code under test.  Anything that changes a gradebook works on a copy
of that course, or on a fresh scratch course, since ``class_view`` is shared.
"""
import csv
import shutil

import pytest
from nbgrader.api import MissingEntry

from conftest import KIT
from utils.course import Course, CourseError, make_scratch_course
from utils.grader import exports
from utils.grader.exports import import_roster, write_exports
from utils.grader.gradebook import open_gradebook
from utils.grader.report import cell_scores

ASSIGNMENT = "lab1"
#: Students of ``class_view`` whose every submitted notebook was graded.
GRADED = ("ada", "blank", "mistake-1", "copier-a", "copier-b", "late-lea", "ext-eve")
#: A student id a spreadsheet would run as a formula if written as is.
FORMULA_ID = '=HYPERLINK("http://example.org/x","click")'


def read_csv(path):
    """The rows of an exported file, read as a spreadsheet program reads it."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def by_first_column(rows):
    """``{first cell: row as a dict}`` of a file with one header row."""
    header, *body = rows
    return {row[0]: dict(zip(header, row)) for row in body}


def gradebook_points(course, student):
    """``(score, late penalty, max)`` of a student's lab1, summed from the
    gradebook's cells and notebooks."""
    score = penalty = possible = 0.0
    with open_gradebook(course) as gb:
        for name in course.notebooks(ASSIGNMENT):
            possible += gb.find_notebook(name, ASSIGNMENT).max_score
            try:
                nb = gb.find_submission_notebook(name, ASSIGNMENT, student)
            except MissingEntry:
                continue
            penalty += nb.late_submission_penalty or 0.0
    for name in course.notebooks(ASSIGNMENT):
        try:
            cells = cell_scores(course, ASSIGNMENT, student, name)
        except MissingEntry:
            continue
        score += sum(points for points, _ in cells.values())
    return score, penalty, possible


def copy_course(course, folder):
    """A copy of a graded course, with its own gradebook, to change freely."""
    shutil.copytree(course.root, folder)
    return Course(folder)


def add_config(course, text):
    """Add settings at the end of a course's nbgrader_config.py."""
    with open(course.root / "nbgrader_config.py", "a") as handle:
        handle.write("\n" + text + "\n")


@pytest.fixture(scope="module")
def exported(class_view, tmp_path_factory):
    """The four files written for ``class_view``, as ``(files, {kind: rows})``."""
    files = write_exports(class_view, tmp_path_factory.mktemp("exports"))
    return files, {kind: read_csv(path) for kind, path in files.items()}


# -- the exports ---------------------------------------------------------------

def test_totals_equal_the_gradebook_with_late_penalty_subtracted(class_view, exported):
    _, rows = exported
    totals = by_first_column(rows["totals"])
    for student in GRADED:
        score, penalty, possible = gradebook_points(class_view, student)
        row = totals[student]
        assert row["lab1 state"] == "graded", row
        assert float(row["lab1 points"]) == pytest.approx(score - penalty), student
        assert float(row["lab1 max"]) == pytest.approx(possible)
        assert float(row["total"]) == pytest.approx(score - penalty)
        assert float(row["total_max"]) == pytest.approx(possible)
    # late-lea handed in the solutions 2 days 3 h 1 min after 21:59 UTC: 30 % taken
    score, penalty, _ = gradebook_points(class_view, "late-lea")
    lea = totals["late-lea"]
    assert score > 0 and penalty == pytest.approx(0.3 * score)
    assert float(lea["lab1 points"]) == pytest.approx(0.7 * score)
    assert float(lea["lab1 late_penalty"]) == pytest.approx(0.3 * score)
    assert lea["lab1 late"] == "2 days 3 h 1 min"
    # within the grace time, or within an extension: not late
    assert totals["mistake-1"]["lab1 late"] == totals["ext-eve"]["lab1 late"] == ""


def test_a_student_on_the_roster_who_handed_in_nothing_is_missing_with_0(exported):
    _, rows = exported
    rosa = by_first_column(rows["totals"])["rosa"]
    assert (rosa["lab1 points"], rosa["lab1 state"], rosa["total"]) == ("0", "missing", "0")
    assert (rosa["last_name"], rosa["first_name"], rosa["email"], rosa["lms_id"]) == \
        ("Roster", "Rosa", "rosa@example.org", "9001")
    notebooks = [r for r in rows["notebooks"] if r[0] == "rosa"]
    assert len(notebooks) == 2
    assert all(r[3] == "0" and r[6].startswith("missing") for r in notebooks), notebooks


def test_a_student_not_graded_has_empty_points_never_0(exported):
    _, rows = exported
    broken = by_first_column(rows["totals"])["broken"]
    assert broken["lab1 points"] == "" and broken["total"] == ""
    assert broken["lab1 state"].startswith("not graded: ")
    assert "not valid JSON" in broken["lab1 state"]
    canvas = {r[2]: r for r in rows["canvas"][2:]}
    assert canvas["broken"][5] == ""
    first = next(r for r in rows["notebooks"] if r[:3] == ["broken", "lab1", "01_single_neuron"])
    assert first[3] == "" and first[6].startswith("not graded")


def test_notebooks_file_has_a_row_per_student_and_notebook(class_view, exported):
    _, rows = exported
    header, *body = rows["notebooks"]
    assert header == ["student", "assignment", "notebook", "score", "max_score",
                      "late_penalty", "status"]
    lea = {r[2]: r for r in body if r[0] == "late-lea"}
    for name in class_view.notebooks(ASSIGNMENT):
        cells = cell_scores(class_view, ASSIGNMENT, "late-lea", name)
        assert float(lea[name][3]) == pytest.approx(sum(p for p, _ in cells.values()))
        assert float(lea[name][5]) > 0
    students = {r[0] for r in body}
    assert students == set(GRADED) | {"broken", "rosa"}
    assert len(body) == len(students) * len(class_view.notebooks(ASSIGNMENT))


def test_canvas_file_follows_canvas_import_layout(class_view, exported):
    _, rows = exported
    header, possible, *students = rows["canvas"]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "lab1"]
    _, _, maximum = gradebook_points(class_view, "ada")
    assert possible[:5] == ["Points Possible", "", "", "", ""]
    assert float(possible[5]) == pytest.approx(maximum)
    by_id = {r[2]: r for r in students}
    assert by_id["ada"][:5] == ["Lovelace, Ada", "9002", "ada", "", ""]
    assert by_id["rosa"][:5] == ["Roster, Rosa", "9001", "rosa", "rosa@example.org", ""]
    assert by_id["rosa"][5] == "0"
    assert by_id["blank"][:2] == ["blank", ""]          # no roster name: the id
    score, penalty, _ = gradebook_points(class_view, "late-lea")
    assert float(by_id["late-lea"][5]) == pytest.approx(score - penalty)


def test_generic_lms_file_lists_students_by_lms_id_and_warns_about_the_rest(exported):
    files, rows = exported
    assert rows["lms"][0] == ["LMS ID", "lab1", "Total"]
    assert {r[0]: r[1:] for r in rows["lms"][1:]} == {"9002": ["16", "16"], "9001": ["0", "0"]}
    warning, = files.warnings
    assert "late-lea" in warning and "lms_id" in warning


def test_files_open_in_a_spreadsheet(exported):
    files, _ = exported
    for path in files.values():
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path    # BOM for Excel
        assert not list(path.parent.glob(".*.tmp"))
    text = files["totals"].read_text(encoding="utf-8-sig")
    sniffer = csv.Sniffer()
    dialect = sniffer.sniff(text)
    assert dialect.delimiter == ","
    assert sniffer.has_header(text)
    rows = list(csv.reader(text.splitlines(), dialect))
    assert len({len(r) for r in rows}) == 1            # a rectangle: every row complete


def test_formula_like_ids_stay_text_and_settings_are_followed(class_view, tmp_path):
    """Spreadsheet files escape a formula-like cell; LMS files write the ids
    the platform matches as they are (a leading + is a real Canvas login), and
    leave out, naming the student, one whose id would run as a formula."""
    course = copy_course(class_view, tmp_path / "course")
    add_config(course, 'c.Exports.id_column = "email"\n'
                       'c.Exports.canvas_assignment_ids = {"lab1": 12345}')
    with open_gradebook(course) as gb:
        gb.update_or_create_student(FORMULA_ID, first_name="+cmd", last_name="-2+3",
                                    email="mallory@example.org", lms_user_id="@SUM(1)")
        gb.update_or_create_student("pat", first_name="Pat", last_name="Plus",
                                    email="+pat@example.org", lms_user_id="-77")
        gb.update_or_create_student("sue", first_name="Sue", last_name="Sum",
                                    email="@SUM(A1)", lms_user_id="9100")
    files = write_exports(course, tmp_path / "out")
    rows = {kind: read_csv(path) for kind, path in files.items()}
    totals = by_first_column(rows["totals"])
    assert FORMULA_ID not in totals
    mallory = totals["'" + FORMULA_ID]
    assert (mallory["first_name"], mallory["last_name"], mallory["lms_id"]) == \
        ("'+cmd", "'-2+3", "'@SUM(1)")
    assert mallory["lab1 state"] == "missing"
    assert (totals["pat"]["email"], totals["pat"]["lms_id"]) == ("'+pat@example.org", "'-77")
    for kind in ("notebooks", "totals"):
        cells = [c for r in rows[kind] for c in r]
        assert not any(c[:1] in ("=", "+", "@", "-") for c in cells), kind
    canvas = rows["canvas"]
    assert canvas[0][5] == "lab1 (12345)"
    # ids as they are: Canvas matches the SIS Login ID +pat@example.org exactly
    assert ["Plus, Pat", "-77", "pat", "+pat@example.org", ""] == next(
        r[:5] for r in canvas[2:] if r[2] == "pat")
    # refused where the file carries the id, with the student named
    assert {r[2] for r in canvas[2:]}.isdisjoint({FORMULA_ID, "'" + FORMULA_ID, "sue"})
    canvas_warnings = [w for w in files.warnings if w.startswith("canvas.csv")]
    assert len(canvas_warnings) == 2, files.warnings
    assert any("HYPERLINK" in w and "'@SUM(1)'" in w and "ID" in w for w in canvas_warnings)
    assert any("'sue'" in w and "SIS Login ID '@SUM(A1)'" in w for w in canvas_warnings)
    for kind in ("canvas", "lms"):
        assert not any(c.startswith("=") or "SUM(" in c for r in rows[kind] for c in r), kind
    # the generic file by email: the header says so; mallory's email is plain,
    # pat's is written as it is, sue's is refused
    assert rows["lms"][0] == ["Email", "lab1", "Total"]
    assert {r[0] for r in rows["lms"][1:]} == {"rosa@example.org", "mallory@example.org",
                                                "+pat@example.org"}
    assert any(w.startswith("lms.csv leaves out 'sue'") for w in files.warnings), files.warnings


def test_formula_risk_tells_a_plain_id_from_a_formula():
    for plain in ("", "ada", "+41791234567", "-77", "@ada", "+pat@example.org", "a=b"):
        assert exports.formula_risk(plain) == "", plain
    for formula in ("=1+1", "@SUM(1)", "+cmd|' /C calc'!A0", "-2+3+A1!B2", "x\ty"):
        assert exports.formula_risk(formula), formula


def test_bad_settings_and_unknown_assignments_are_one_clear_error(class_view, tmp_path):
    with pytest.raises(CourseError, match="unknown assignment 'lab9'"):
        write_exports(class_view, tmp_path / "out", ["lab9"])
    course = copy_course(class_view, tmp_path / "course")
    add_config(course, 'c.Exports.id_column = "name"')
    with pytest.raises(CourseError, match="c.Exports"):
        write_exports(course, tmp_path / "out")
    course = copy_course(class_view, tmp_path / "course2")
    add_config(course, 'c.Exports.canvas_assignment_ids = {"lab1": "the first lab"}')
    with pytest.raises(CourseError, match="is a number"):
        write_exports(course, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_failed_export_leaves_the_old_files_and_no_half_written_one(class_view, tmp_path,
                                                                      monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    for name in exports.FILES.values():
        (out / name).write_text("old\n")
    opened = []
    real_fdopen = exports.os.fdopen

    def failing_fdopen(*args, **kwargs):
        """The third file written fails, as on a full disk."""
        opened.append(args)
        if len(opened) == 3:
            raise OSError(28, "No space left on device")
        return real_fdopen(*args, **kwargs)

    monkeypatch.setattr(exports.os, "fdopen", failing_fdopen)
    with pytest.raises(CourseError, match="No space left on device"):
        write_exports(class_view, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(exports.FILES.values())
    assert all((out / name).read_text() == "old\n" for name in exports.FILES.values())


# -- the roster ----------------------------------------------------------------

@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """An empty gradebook file (making one takes nbgrader several seconds)."""
    course = make_scratch_course(Course(KIT), tmp_path_factory.mktemp("empty") / "course")
    with open_gradebook(course) as gb:
        assert not gb.students
    return course.gradebook


@pytest.fixture
def fresh_course(tmp_path, empty_gradebook):
    """A scratch course with an empty gradebook of its own."""
    course = make_scratch_course(Course(KIT), tmp_path / "course")
    shutil.copyfile(empty_gradebook, course.gradebook)
    return course


def students_of(course):
    """``{id: (first, last, email, lms id)}`` of the gradebook's student table."""
    with open_gradebook(course) as gb:
        return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students}


def write_roster(folder, text, name="roster.csv", encoding="utf-8"):
    """A roster file holding ``text``."""
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def test_roster_import_adds_updates_and_accepts_common_headers(fresh_course, tmp_path):
    first = write_roster(tmp_path, "id,first_name,last_name,email,lms_id\n"
                                   "ada,Ada,Lovelace,ada@example.org,9002\n"
                                   "bob,Bob,,,\n")
    result = import_roster(fresh_course, first)
    assert (result.added, result.updated, result.errors) == (2, 0, [])
    # a spreadsheet's export: BOM, semicolons, its own headers, an extra column
    second = write_roster(tmp_path, "\ufeffStudent ID;First Name;Surname;E-mail;LMS ID;Group\n"
                                    "ada;Ada;Lovelace;ada@example.org;9002;A\n"
                                    "bob;Bob;Builder;;7001;B\n"
                                    ";;;;;\n"
                                    "zoe.k;Zoë;Käfer;zoe@example.org;;B\n", "second.csv")
    result = import_roster(fresh_course, second)
    assert (result.added, result.updated, result.unchanged, result.errors) == (1, 1, 1, [])
    assert result.ignored_columns == ["Group"]
    assert students_of(fresh_course) == {
        "ada": ("Ada", "Lovelace", "ada@example.org", "9002"),
        "bob": ("Bob", "Builder", None, "7001"),
        "zoe.k": ("Zoë", "Käfer", "zoe@example.org", None)}


def test_roster_rows_with_problems_are_named_by_line_and_nothing_is_imported(fresh_course,
                                                                              tmp_path):
    path = write_roster(tmp_path, "id,email\n"
                                  "ada,ada@example.org\n"
                                  "bad id!,x@example.org\n"
                                  "../etc,\n"
                                  "ada,other@example.org\n"
                                  ",nobody@example.org\n"
                                  "carl,not-an-email\n"
                                  "=cmd,\n")
    result = import_roster(fresh_course, path)
    assert (result.added, result.updated) == (0, 0)
    lines = [e.split(":", 1)[0] for e in result.errors]
    assert lines == ["line 3", "line 4", "line 5", "line 6", "line 7", "line 8"], result.errors
    assert "'bad id!'" in result.errors[0] and "not allowed" in result.errors[0]
    assert "already on line 2" in result.errors[2]
    assert "id is empty" in result.errors[3]
    assert "not an email address" in result.errors[4]
    assert students_of(fresh_course) == {}


def test_a_roster_full_of_problems_lists_the_first_ones_and_counts_the_rest(fresh_course,
                                                                            tmp_path):
    path = write_roster(tmp_path, "id\n" + "".join(
        f"bad id {i}!\n" for i in range(exports.MAX_ERRORS_SHOWN + 10)))
    result = import_roster(fresh_course, path)
    assert len(result.errors) == exports.MAX_ERRORS_SHOWN + 1
    assert result.errors[0].startswith("line 2: ")
    assert result.errors[-1] == "... and 10 more problem(s)"


@pytest.mark.parametrize("content, message", [
    ("first_name,last_name\nAda,Lovelace\n", "has no 'id' column"),
    ("", "is empty"),
    ("id,Student ID\nada,ada\n", "both give the id"),
    (b"PK\x03\x04\x14\x00\x06\x00 workbook", "not a CSV file"),
    (b"id,last_name\nada,Lovelace\nbob,M\xfcller\n", "line 3: not UTF-8"),
    ('id,last_name\nada,"Love\0lace"\n', "not a CSV file"),
], ids=["no id column", "empty", "id twice", "a workbook", "latin-1", "NUL byte"])
def test_a_file_that_is_no_roster_is_one_clear_error(fresh_course, tmp_path, content, message):
    path = tmp_path / "roster.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(CourseError, match=message):
        import_roster(fresh_course, path)
    assert students_of(fresh_course) == {}


def test_a_huge_roster_is_refused_unread(fresh_course, tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROSTER_BYTES", 1000)
    path = write_roster(tmp_path, "id\n" + "".join(f"s{i}\n" for i in range(400)))
    with pytest.raises(CourseError, match="a roster is at most"):
        import_roster(fresh_course, path)
    monkeypatch.setattr(exports, "MAX_ROSTER_BYTES", 10 ** 6)
    monkeypatch.setattr(exports, "MAX_ROSTER_ROWS", 100)
    with pytest.raises(CourseError, match="more than 100 students"):
        import_roster(fresh_course, path)
    with pytest.raises(CourseError, match="no roster file"):
        import_roster(fresh_course, tmp_path / "nowhere.csv")


def test_imported_roster_students_are_enrolled_in_the_exports(class_view, tmp_path):
    course = copy_course(class_view, tmp_path / "course")
    path = write_roster(tmp_path, "id,first_name,last_name,email,lms_id\n"
                                  "newcomer,Nina,Neu,nina@example.org,9003\n"
                                  "late-lea,Lea,Later,lea@example.org,9004\n")
    result = import_roster(course, path)
    assert (result.added, result.updated, result.errors) == (1, 1, [])
    files = write_exports(course, tmp_path / "out")
    totals = by_first_column(read_csv(files["totals"]))
    assert totals["newcomer"]["lab1 state"] == "missing"
    assert totals["newcomer"]["lab1 points"] == "0"
    assert totals["late-lea"]["last_name"] == "Later"
    lms = {r[0]: r for r in read_csv(files["lms"])[1:]}
    score, penalty, _ = gradebook_points(course, "late-lea")
    assert float(lms["9004"][1]) == pytest.approx(score - penalty)
    assert lms["9003"][1:] == ["0", "0"]


def test_points_still_to_grade_by_hand_are_not_uploaded_by_default(class_view, tmp_path,
                                                                   monkeypatch):
    from utils.grader import report
    real = report.class_records

    def waiting(course, assignment, outcomes=None):
        """ada's records, with 2 points of her first notebook left to a person."""
        records = real(course, assignment, outcomes)
        next(r for r in records if r.student == "ada").notebooks[0].by_hand = 2.0
        return records

    monkeypatch.setattr(report, "class_records", waiting)
    files = write_exports(class_view, tmp_path / "wait")
    ada = by_first_column(read_csv(files["totals"]))["ada"]
    assert ada["lab1 state"] == "graded, 2 point(s) still to grade by hand"
    assert ada["lab1 points"] != ""
    assert next(r for r in read_csv(files["canvas"]) if r[2] == "ada")[5] == ""
    assert {r[0]: r[1] for r in read_csv(files["lms"])[1:]}["9002"] == ""
    settings = exports.exports_settings(class_view)
    settings.wait_for_hand_grading = False
    monkeypatch.setattr(exports, "exports_settings", lambda course: settings)
    files = write_exports(class_view, tmp_path / "upload")
    assert next(r for r in read_csv(files["canvas"]) if r[2] == "ada")[5] == ada["lab1 points"]
