"""The class-scale grading benchmark: it runs end to end on a tiny class, and
its pieces (the class it builds, the expected-outcome check, the helpers the
stock course's kernels get) do what they say."""
import importlib.util
import subprocess
import sys

import pytest

from conftest import KIT
from utils.submissions import Variant

SCRIPT = KIT / "benchmarks" / "class_autograde.py"


def _load():
    spec = importlib.util.spec_from_file_location("class_autograde", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load()


def run_bench(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=KIT,
                          capture_output=True, text=True, timeout=600)


def test_tiny_class_end_to_end(tmp_path):
    """Stock nbgrader, the kit and the floor on two students and one notebook:
    every kit score is what the student's kind must get, and the table has
    its ratio and floor lines."""
    result = run_bench("--assignment", "lab1", "--notebooks", "01_single_neuron",
                       "--students", "2", "--jobs", "2", "--folder", str(tmp_path / "bench"),
                       "--json", str(tmp_path / "figures.json"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "  expected outcomes: all as expected" in lines
    for label in ("notebooks graded", "stock s/notebook", "kit s/notebook",
                  "ratio stock/kit", "floor s/notebook", "kit/floor", "cores"):
        assert any(line.startswith(label + " ") for line in lines), label
    assert any(line.startswith("notebooks graded") and line.split()[2] == "2"
               for line in lines)
    figures = (tmp_path / "figures.json").read_text()
    assert '"floor_per_notebook"' in figures and '"ratio_stock_kit"' in figures
    # The stock course ran the test cells in its kernels: both students there.
    assert (tmp_path / "bench" / "stock" / "autograded" / "blank" / "lab1").is_dir()


@pytest.mark.parametrize("args, message", [
    (("--assignment", "lab9"), "unknown assignment 'lab9'"),
    (("--notebooks", "09_nothing"), "lab1 has no notebook 09_nothing"),
])
def test_bad_input_is_one_clear_line(args, message, tmp_path):
    """A wrong name stops the benchmark before any work, with one line."""
    result = run_bench(*args, "--folder", str(tmp_path / "bench"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in result.stderr
    assert not (tmp_path / "bench").exists()


def test_class_plan_covers_every_kind_then_repeats():
    """A small class has mistakes and alternatives; a large one repeats the
    prepared kinds under new ids."""
    kinds = ["correct", "blank", "mistake-1", "mistake-2", "mistake-3", "alternative-1"]
    assert bench.class_plan(kinds, 5) == [
        ("correct", "correct"), ("blank", "blank"), ("mistake-1", "mistake-1"),
        ("alternative-1", "alternative-1"), ("mistake-2", "mistake-2")]
    plan = bench.class_plan(kinds, 14)
    assert len({student for student, _ in plan}) == 14
    assert plan[6:8] == [("correct-2", "correct"), ("blank-2", "blank")]
    assert plan[12:] == [("correct-3", "correct"), ("blank-3", "blank")]


CELLS = {"test_a": 2, "test_b": 3}


@pytest.mark.parametrize("kind, scores, wrong", [
    ("correct", {"test_a": (2, 2), "test_b": (3, 3)}, False),
    ("correct", {"test_a": (2, 2), "test_b": (1, 3)}, True),
    ("correct", {"test_a": (2, 2)}, True),
    ("blank", {"test_a": (0, 2), "test_b": (0, 3)}, False),
    ("blank", {"test_a": (0, 2), "test_b": (3, 3)}, True),
])
def test_expected_problems_of_reference_kinds(kind, scores, wrong):
    """The solutions must earn every point, the blank release none."""
    assert bool(bench.expected_problems(scores, kind, [], CELLS)) == wrong


def test_expected_problems_of_variants():
    """A mistake loses points where it says and keeps the rest; an
    alternative keeps everything; a kind without a variant in a notebook
    hands in the solutions there."""
    mistake = Variant("b wrong", {"b": "..."}, loses=("test_b",), notebook="n")
    alternative = Variant("a otherwise", {"a": "..."}, notebook="n")
    right = {"test_a": (2, 2), "test_b": (3, 3)}
    lost_b = {"test_a": (2, 2), "test_b": (0, 3)}
    lost_a = {"test_a": (0, 2), "test_b": (3, 3)}
    assert bench.expected_problems(lost_b, "mistake-1", [mistake], CELLS) == []
    assert bench.expected_problems(right, "mistake-1", [mistake], CELLS)
    assert bench.expected_problems(lost_a, "mistake-1", [mistake], CELLS)
    assert bench.expected_problems(right, "alternative-1", [alternative], CELLS) == []
    assert bench.expected_problems(lost_a, "alternative-1", [alternative], CELLS)
    assert bench.expected_problems(right, "mistake-2", [], CELLS) == []
    assert bench.expected_problems(lost_b, "mistake-2", [], CELLS)


def test_compare_names_every_difference():
    """Scores that differ, and notebooks one side lacks, are each one line."""
    kit = {("s", "n1"): {"t": (1, 2)}, ("s", "n2"): {"t": (2, 2)}}
    stock = {("s", "n1"): {"t": (0, 2)}, ("s", "n3"): {"t": (2, 2)}}
    assert bench.compare(kit, stock) == [
        "s / n1 / t: kit 1/2, stock 0",
        "s / n2: not in stock nbgrader's gradebook",
        "s / n3: not in the kit's gradebook"]
    assert bench.compare(kit, dict(kit)) == []


