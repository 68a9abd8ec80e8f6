"""Loading a student's answers from an earlier notebook (utils.earlier).

Unit tests of the student-facing loader on notebooks written here, and
through real nbgrader: a later notebook is graded on its own, whatever the
earlier one holds.
"""
import json

import nbformat
import numpy as np
import pytest

from utils import earlier
from utils.earlier import EarlierAnswerError, load_answers


def _notebook(folder, name, *cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) if not c.startswith("#md") else
                nbformat.v4.new_markdown_cell(c[3:]) for c in cells]
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(earlier, "PROVIDED", {})
    _notebook(tmp_path, "01_first",
              "#md # First notebook",
              "import numpy as np\nprint('loading must not print this')",
              "def double(x):\n    return 2 * x\n\nprint(double(3))",
              "def unwritten(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
              "class Counter:\n    def __init__(self):\n        self.n = np.random.rand()\n",
              "np.random.seed(99)\nwhile False:\n    pass\nvalues = np.random.rand(1000)",
              "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])")
    _notebook(tmp_path, "02_second",
              "from utils.earlier import load_answers\ndouble = load_answers('01_first', 'double')",
              "def quadruple(x):\n    return double(double(x))\n",
              "class Box:\n    pass\n",
              "def size(self):\n    return 4\n",
              "Box.size = size")
    return tmp_path


def test_loads_definitions_only_and_keeps_the_random_stream(folder, capsys):
    """Functions come back; nothing else of the notebook runs (no print, no
    seeding, no data) and the current random stream is untouched."""
    np.random.seed(5)
    expected = np.random.rand(3)
    np.random.seed(5)
    double, Counter = load_answers("01_first", "double", "Counter")
    assert np.array_equal(np.random.rand(3), expected)
    assert double(4) == 8 and Counter().n is not None
    assert capsys.readouterr().out == ""


def test_one_name_gives_the_object_and_chains_load(folder):
    """One name gives the object itself; a notebook that loads from an earlier
    one is loaded with its own loading lines and method attachments."""
    quadruple = load_answers("02_second.ipynb", "quadruple")
    assert quadruple(1) == 4
    assert load_answers("02_second", "Box")().size() == 4


@pytest.mark.parametrize("args, words", [
    (("01_first", "tripple"), "defines no tripple"),
    (("03_missing", "x"), "03_missing.ipynb is not in this folder"),
])
def test_clear_messages(folder, args, words):
    """Misspelt and missing answers each get one clear message."""
    with pytest.raises(EarlierAnswerError, match=words):
        load_answers(*args)


def test_an_unwritten_answer_is_loaded_and_says_so(folder, capsys):
    """An answer still to write is loaded all the same, with a one-line note: the
    cells that use it say what is missing, and the rest of the notebook runs."""
    from utils.checks import CheckFailed, call
    unwritten, double = load_answers("01_first", "unwritten", "double")
    assert capsys.readouterr().out == "unwritten in 01_first is not written yet: write it there.\n"
    assert double(2) == 4
    with pytest.raises(NotImplementedError):
        unwritten(1)
    with pytest.raises(CheckFailed, match="^unwritten in 01_first is not written yet: write "
                                          "it there.$") as info:
        call("later(x)", lambda x: unwritten(x) + 1, 1)
    assert "`" not in info.value.public and "earlier notebook" in info.value.public


def test_broken_notebooks_get_clear_messages(folder):
    """A notebook that is not JSON, or whose definition raises, says so in words."""
    (folder / "04_cut.ipynb").write_text('{"cells": [')
    with pytest.raises(EarlierAnswerError, match="cannot be read as a notebook"):
        load_answers("04_cut", "x")
    _notebook(folder, "05_raises", "import numpy as np",
              "class Broken:\n    table = {'a': undefined_name}\n")
    with pytest.raises(EarlierAnswerError, match="raised NameError"):
        load_answers("05_raises", "Broken")
    _notebook(folder, "06_self", "from utils.earlier import load_answers\n"
                                 "x = load_answers('06_self', 'x')")
    with pytest.raises(EarlierAnswerError, match="loads its own answers"):
        load_answers("06_self", "x")


def test_ipython_shows_the_message_alone():
    """In a notebook the error is one line, not a traceback."""
    assert EarlierAnswerError("say this")._render_traceback_() == ["EarlierAnswerError: say this"]


def test_what_the_grader_provides_comes_first(folder, monkeypatch):
    """While grading, the grader's versions are returned and no file is read."""
    monkeypatch.setattr(earlier, "PROVIDED", {"01_first": {"double": abs}})
    assert load_answers("01_first", "double") is abs
    with pytest.raises(EarlierAnswerError, match="while grading"):
        load_answers("01_first", "Counter")


def test_the_notebook_json_is_read_not_run(folder):
    """Cell sources saved as one string or as a list of lines both load."""
    path = folder / "07_lines.ipynb"
    nb = json.loads((folder / "01_first.ipynb").read_text())
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
    path.write_text(json.dumps(nb))
    assert load_answers("07_lines", "double")(5) == 10


def test_the_graders_versions_have_the_students_api():
    """What the grader gives a later notebook is called as the student's answer is."""
    from utils.grader.reference.earlier import answers_for
    lab1 = answers_for("lab1")
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = lab1["06_backprop"]["numerical_gradient"](lambda v: float(np.sum(v ** 2)), x)
    assert np.allclose(grad, 2 * x, atol=1e-6)
    np.random.seed(0)
    net = lab1["03_network"]["SimpleNeuralNetwork"]()
    assert net.forward(np.ones((3, 4))).shape == (3, 1)
    net.backward = lab1["06_backprop"]["backward"].__get__(net)
    net.backward(np.ones((3, 1)), 0.1)
    assert sorted(net.grads) == ["dB1", "dB2", "dB3", "dW1", "dW2", "dW3"]
    assert set(answers_for("lab2")["01_neuron"]) >= {"sigmoid", "sigmoid_prime", "mse", "gd_step"}


def test_a_later_notebook_is_graded_on_its_own(tmp_path):
    """Through real nbgrader: 02_layer loads from 01_single_neuron, yet earns every
    point whether 01 is missing, unwritten or broken, and its loading cell runs
    without an error (the grader gives it the grader's own versions)."""
    from conftest import small_course
    from utils.grader import coordinator
    from utils.grader.report import cell_scores
    from utils.submissions import fill_answers, solution_answers, write_submission
    course = small_course(tmp_path / "course", notebooks=("01_single_neuron", "02_layer"))
    release = course.release / "lab1"
    later = fill_answers(release / "02_layer.ipynb",
                         solution_answers(course.source / "lab1" / "02_layer.ipynb"))
    unwritten = fill_answers(release / "01_single_neuron.ipynb", {})
    write_submission(course, "without-01", "lab1", {"02_layer": later})
    write_submission(course, "unwritten-01", "lab1", {"02_layer": later, "01_single_neuron": unwritten})
    write_submission(course, "broken-01", "lab1", {"02_layer": later, "01_single_neuron": "{"})
    outcomes = coordinator.autograde(course, "lab1", jobs=2, progress=lambda *_: None)
    assert all(o.graded for o in outcomes), [o.message for o in outcomes]
    for student in ("without-01", "unwritten-01", "broken-01"):
        scores = cell_scores(course, "lab1", student, "02_layer")
        assert all(score == top for score, top in scores.values()), (student, scores)
        graded = nbformat.read(str(course.autograded / student / "lab1" / "02_layer.ipynb"), 4)
        loading = [c for c in graded.cells if "load_answers(" in c.source]
        assert loading and not any(o.output_type == "error" for c in loading for o in c.outputs)
