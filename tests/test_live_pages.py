"""What the grading service takes in and what its pages say, without a
kernel: inbound folders refused or waited for, the content hash of a
resubmission, and pages for each choice of what students see."""
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from utils.grader import arrivals
from utils.grader.live_pages import (Exercise, Standing, limited_text, status_page,
                                     verdict_page)
from utils.grader.live_settings import LiveGrading
from utils.grader.submission_queue import Allowance, Queue

pytestmark = pytest.mark.fast

ENTRY = SimpleNamespace(id=1, assignment="lab1", student="ana", received=1_800_000_000.0,
                        finished=1_800_000_090.0, notebooks=("01_single_neuron",))
FOUND = [Exercise("test_relu", False, False, "relu(Z) has the right shape but wrong values.\n"
                  "ReLU is exactly 0 for every negative input <b>.", 0.0, 2.0),
         Exercise("test_sigmoid_values", False, True, "", 2.0, 2.0),
         Exercise("explain_gradient", True, False, "", 0.0, 3.0)]


def test_a_page_with_points_names_each_exercise_and_escapes_the_message():
    page = verdict_page(ENTRY, "01_single_neuron", FOUND, "points", "You can have 2 more.",
                        "", "Europe/Berlin", ENTRY.finished)
    assert "1 of 2 checked exercises passed; 2 of 7 points" in page
    assert re.search(r"test_relu</td><td><span class=\"fail\">failed</span></td><td>0 / 2", page)
    assert "graded by a person later" in page
    assert "&lt;b&gt;" in page and "<b>." not in page
    assert "CEST" in page or "CET" in page          # the course's time zone
    assert "You can have 2 more." in page


def test_pass_fail_shows_no_points_and_nothing_shows_no_exercise():
    page = verdict_page(ENTRY, "01_single_neuron", FOUND, "pass/fail", "", "", "UTC", 0.0)
    assert "points" not in page and " / 2" not in page
    assert "failed" in page and "ReLU is exactly 0" in page
    page = verdict_page(ENTRY, "01_single_neuron", FOUND, "nothing", "", "", "UTC", 0.0)
    assert "test_relu" not in page and "ReLU" not in page and "points" not in page
    assert "shown after the deadline" in page


def test_a_status_page_says_when_and_escapes_what_it_quotes():
    page = status_page(ENTRY, "01_single_neuron",
                       Standing("failed", "could not be graded: <script>x</script>"), "UTC",
                       ENTRY.received)
    assert "<script>" not in page and "&lt;script&gt;" in page
    page = status_page(ENTRY, "01_single_neuron",
                       Standing("waiting", "It is next in line.", ENTRY.received + 120), "UTC",
                       ENTRY.received)
    assert "Expected by about 2027-01-15 08:02 UTC" in page and "Fetch Feedback" in page
    settings = LiveGrading()
    text = limited_text(Allowance(0, ENTRY.received + 3600), settings, "UTC", None)
    assert "3 submissions graded in the last 60 minutes" in text and "09:00" in text
    text = limited_text(Allowance(0, None, exhausted=True), settings, "UTC", None)
    assert "20 submissions graded" in text and "when the instructor grades" in text


# -- arrivals -------------------------------------------------------------------

@pytest.fixture
def inbound(tmp_path):
    course = SimpleNamespace(root=tmp_path, notebooks=lambda a: ["01_single_neuron"])
    queue = Queue(tmp_path / "service" / "queue.sqlite", LiveGrading())
    settings = LiveGrading(check_owner=False)
    finder = arrivals.Arrivals.__new__(arrivals.Arrivals)
    finder.course, finder.queue, finder.settings = course, queue, settings
    finder.spool, finder.now = tmp_path / "spool", lambda: time.time() + 10
    finder.released, finder.inbound = {"lab1"}, tmp_path / "inbound"
    finder.drop, finder._sizes, finder.pending = tmp_path / "drop", {}, 0
    finder.inbound.mkdir()
    return finder


def _folder(finder, name, secret="ab" * 64, notebook='{"cells": []}'):
    folder = finder.inbound / name
    folder.mkdir()
    (folder / "01_single_neuron.ipynb").write_text(notebook)
    (folder / "timestamp.txt").write_text("2026-12-07 10:00:00.000000 UTC")
    if secret is not None:
        (folder / "submission_secret.txt").write_text(secret)
    return folder


def test_only_complete_folders_of_released_assignments_are_taken_in(inbound):
    _folder(inbound, "ana+lab1+2026-12-07 10:00:00.000000 UTC+a1")
    _folder(inbound, "ana+hw9+2026-12-07 10:00:00.000000 UTC+a2")
    _folder(inbound, "no-plus-signs")
    _folder(inbound, "ana+lab1+2026-12-07 10:00:01.000000 UTC+a3", secret=None)
    os.symlink("/etc", inbound.inbound / "ben+lab1+2026-12-07 10:00:00.000000 UTC+a4")
    _folder(inbound, "=cmd|' -C calc'!A0+lab1+2026-12-07 10:00:00.000000 UTC+a5")
    found, refused = inbound.look()
    assert [a.student for a in found] == ["ana"] and found[0].notebooks == ("01_single_neuron",)
    assert found[0].secret == "ab" * 64 and found[0].copy.is_dir()
    why = " | ".join(r.why for r in refused)
    assert "hw9 is not a released assignment" in why
    assert "not named like a submission" in why
    assert "is not a folder" in why and "is not allowed" in why
    assert inbound.pending == 1                      # the one without its receipt, for now


def test_the_owner_of_a_folder_decides_whose_it_is(inbound):
    if os.geteuid() != 0:
        pytest.skip("needs a folder owned by another user than its name says")
    inbound.settings = LiveGrading(check_owner=True)
    _folder(inbound, "nnkit-ana+lab1+2026-12-07 10:00:00.000000 UTC+a1")   # made by root
    found, refused = inbound.look()
    assert found == [] and "owned by root" in refused[0].why


def test_an_identical_resubmission_has_the_same_content_hash(inbound):
    first = _folder(inbound, "ana+lab1+2026-12-07 10:00:00.000000 UTC+a1", secret="ab" * 64)
    second = _folder(inbound, "ana+lab1+2026-12-07 11:00:00.000000 UTC+a2", secret="cd" * 64)
    third = _folder(inbound, "ana+lab1+2026-12-07 12:00:00.000000 UTC+a3",
                    notebook='{"cells": [1]}')
    hashes = [arrivals.submission_hash(Path(f)) for f in (first, second, third)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_a_folder_swapped_for_a_link_while_it_is_read_is_never_followed(tmp_path, monkeypatch):
    """Intake holds the folder open: once it has started, replacing the folder
    by a link to the instructor's files changes nothing of what is copied."""
    from utils.grader import intake
    folder, secret = tmp_path / "ana+lab1+t", tmp_path / "instructor"
    folder.mkdir()
    secret.mkdir()
    (folder / "01_single_neuron.ipynb").write_text("the student's own")
    (secret / "01_single_neuron.ipynb").write_text("the solutions")
    real_scandir, swapped = os.scandir, []

    def swap_first(where):
        if not swapped:
            folder.rename(tmp_path / "moved-away")
            folder.symlink_to(secret)
            swapped.append(True)
        return real_scandir(where)

    monkeypatch.setattr(os, "scandir", swap_first)
    problems = intake.take_in(str(folder), str(tmp_path / "copy"))
    monkeypatch.undo()
    assert swapped and problems == {}
    assert (tmp_path / "copy" / "01_single_neuron.ipynb").read_text() == "the student's own"


def test_a_file_of_another_user_in_a_students_folder_is_not_read(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give files to other users")
    from test_exchange import ANA, BEN, _user
    from utils.grader import intake
    ana, ben = _user(ANA), _user(BEN)
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "01_single_neuron.ipynb").write_text("{}")
    (folder / "notes.txt").write_text("not hers")
    os.chown(folder, ana, -1)
    os.chown(folder / "01_single_neuron.ipynb", ana, -1)
    problems = intake.take_in(str(folder), str(tmp_path / "copy"), owner=ana)
    assert list(problems) == ["notes.txt"] and "another user" in problems["notes.txt"]
    assert sorted(os.listdir(tmp_path / "copy")) == ["01_single_neuron.ipynb"]
    with pytest.raises(intake.IntakeError, match="another user"):
        intake.take_in(str(folder), str(tmp_path / "copy-2"), owner=ben)
