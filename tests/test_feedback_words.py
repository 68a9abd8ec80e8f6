"""What a feedback page says about a failed check: the grader's words only.

Student code can see what the hidden checks pass it and try to carry those
values out through anything the feedback repeats: an error's message or its
class name, the repr of an array holding nan, a shape made of the values, a
number it returns to a visible check.  These tests plant such "secrets" and
look for them in what the student reads.

The fast tests build the failures by hand; the last ones grade a real
submission of lab1's first notebook whose functions record the hidden inputs
and try every way out, and look for those inputs in its feedback page.
"""
import ast
import html as htmllib
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell

from conftest import KIT, small_course
from utils import checks, grading
from utils.grader import coordinator
from utils.grader.outcome import save_outcomes
from utils.checks import CheckFailed
from utils.grader import remote, verdict
from utils.grader.feedback import FeedbackFromVerdicts
from utils.grader.verdict import feedback, instructor_text, outputs, run_test
from utils.submissions import fill_answers, solution_answers, write_submission

SECRET = 0.7315926535
SECRET_TEXTS = ("7315926", "0.731593", "731592")


def _leaks(text):
    return [s for s in SECRET_TEXTS if s in text]


def _failure(check, *args, **kwargs):
    with pytest.raises(CheckFailed) as info:
        check(*args, **kwargs)
    return info.value


# -- the public texts of the checks ----------------------------------------------

@pytest.mark.fast
def test_a_shape_made_of_the_values_is_not_repeated():
    err = _failure(checks.check_shape, "relu(Z)", np.zeros((731, 592)), (2, 3))
    assert "(731, 592)" in str(err)                     # the notebook shows it
    assert err.public == "relu(Z) should have shape (2, 3), but it has another shape."
    assert err.bare == "relu(Z) has the wrong shape."
    wrapped = _failure(checks.check_array, "A", np.zeros((592, 731)), (731, 592),
                       hint="Rows are samples.")
    assert "transpose" in wrapped.public and wrapped.public.endswith("Rows are samples.")
    assert "592, 731" not in wrapped.public and "731" not in wrapped.bare


@pytest.mark.fast
def test_an_array_holding_nan_is_not_repeated():
    got = np.array([[np.nan, SECRET, -SECRET]])
    err = _failure(checks.check_close, "sigmoid(Z)", got, [[0.5, 0.5, 0.5]])
    assert _leaks(str(err))
    assert err.public.startswith("sigmoid(Z) contains inf or nan.")
    assert not _leaks(err.public) and "nan" in err.public


@pytest.mark.fast
def test_wrong_numbers_are_not_repeated_the_expected_ones_may_be():
    err = _failure(checks.check_close, "f(1)", SECRET, 0.5)
    assert err.public == "f(1) should be 0.5, but it is another number."
    assert err.bare == "f(1) is not the right number."
    err = _failure(checks.check_close, "Z", np.array([[1.0, SECRET]]), [[1.0, 2.0]])
    assert err.public == "Z has the right shape but wrong values."
    err = _failure(checks.check_equal, "labels", np.array([1, 731592]), np.array([1, 2]))
    assert not _leaks(err.public) and "1 wrong" not in err.public
    err = _failure(checks.check_equal, "sigmoid(0.0)", SECRET, 0.5)
    assert err.public == "sigmoid(0.0) should be 0.5, but it is something else."


@pytest.mark.fast
def test_what_a_value_is_is_said_in_fixed_words():
    for value, words in ((str(SECRET), "a string"), (None, "None (did the function forget"),
                         ([SECRET] * 7, "a list"), ({"W": SECRET}, "a dict")):
        err = _failure(checks.check_array, "Z", value)
        assert f"Z should be a NumPy array, but it is {words}" in err.public
        assert not _leaks(err.public) and "7" not in err.public and "W" not in err.public
    err = _failure(checks.check_scalar, "s", np.array(str(SECRET)))
    assert err.public.startswith("s should be a single number, but it is a 0-d array.\n")
    err = _failure(checks.check_scalar, "s", np.array([SECRET]))
    assert err.public == ("s should be a single number, but it is an array.\n"
                          "You have an array with one entry: take the number out "
                          "with .item() or float(...).")
    err = _failure(checks.check_array, "Z", np.array(["a"]))
    assert err.public == "Z should hold numbers, but its dtype is not a number type."


@pytest.mark.fast
def test_errors_of_student_code_are_named_only_when_they_are_pythons_own():
    Leak = type("Leak_7315926", (Exception,), {})

    def raises(kind, message):
        def func(*args):
            raise kind(message)
        return func

    err = _failure(checks.call, "f(X)", raises(Leak, str(SECRET)), np.ones(3))
    assert _leaks(str(err))
    assert err.public == "f(X) raised an error: run this test in your notebook to see the message."
    err = _failure(checks.call, "f(X)", raises(ValueError, str(SECRET)), np.ones(3))
    assert err.public == ("f(X) raised ValueError: run this test in your notebook to see "
                          "the message.")
    forged = type("ValueError", (Exception,), {})     # named like one, but not Python's
    err = _failure(checks.call, "f(X)", raises(forged, "x"), np.ones(3))
    assert "raised an error" in err.public
    err = _failure(checks.run_quietly, "g(Z)", raises(FloatingPointError, str(SECRET)))
    assert _leaks(str(err)) and not _leaks(err.public) and "NumPy warning" in err.public
    err = _failure(checks.call, "g(Z)", raises(NotImplementedError, str(SECRET)))
    assert err.public == str(err) and "not written yet" in err.public


# -- feedback on a visible check ------------------------------------------------------

VISIBLE = '''"""checks f"""
Z = f(X)
check_shape("f(X)", Z, (2, 3))
check_shape("f(X)", Z, W.shape)
check_close("f(1)",
            f(1),
            0.5)
check_close("f(2)", f(2), np.array([0.5, 1.0]))
check_close("f(3)", f(3), expected)
assert ok, f"f(X) gave {checks.describe(Z)} for X = {X!r}"
assert ok, "f(X) should be positive"
assert ok, describe(Z)
raise AssertionError(f"f should stop at {SECRET}, " + str(Z) + " came")
raise AssertionError
np.testing.assert_allclose(Z, 1)
float(Z)
undefined_name + 1
### BEGIN HIDDEN TESTS
check_close("f(x) with x = 7", f(7), secret)
### END HIDDEN TESTS
'''


def _line(text):
    """The number of the line of VISIBLE that is ``text``, or else the first that holds it."""
    lines = VISIBLE.splitlines()
    exact = [n for n, line in enumerate(lines, 1) if line == text]
    return exact[0] if exact else next(n for n, line in enumerate(lines, 1) if text in line)


@pytest.mark.fast
def test_expected_values_are_repeated_only_when_the_test_writes_them_out():
    err = _failure(checks.check_shape, "f(X)", np.zeros((731, 592)), (2, 3))
    said = feedback(err, False, VISIBLE, _line("(2, 3)"))
    assert said == "f(X) should have shape (2, 3), but it has another shape."
    # W.shape may be the student's: its dimensions are not repeated
    assert feedback(err, False, VISIBLE, _line("W.shape")) == "f(X) has the wrong shape."
    err = _failure(checks.check_close, "f(1)", SECRET, 0.5)
    for line in range(_line('check_close("f(1)"'), _line("            0.5)") + 1):
        assert feedback(err, False, VISIBLE, line) == \
            "f(1) should be 0.5, but it is another number."
    assert feedback(err, False, VISIBLE, _line('"f(3)"')) == "f(1) is not the right number."
    assert feedback(err, False) == "f(1) is not the right number."      # no source to read
    err = _failure(checks.check_close, "f(2)", np.array([SECRET, 3.0]), [0.5, 1.0])
    assert feedback(err, False, VISIBLE, _line('"f(2)"')) == \
        "f(2) has the right shape but wrong values."


@pytest.mark.fast
def test_a_tests_own_assert_says_its_words_without_its_values():
    err = AssertionError(f"f(X) gave the number {SECRET!r} for X = {SECRET}")
    assert feedback(err, False, VISIBLE, _line("assert ok, f")) == "f(X) gave … for X = …"
    assert feedback(err, False, VISIBLE, _line("positive")) == "f(X) should be positive"
    assert feedback(err, False, VISIBLE, _line("assert ok, describe(Z)")) == "A check failed."
    assert feedback(err, False, VISIBLE, _line("f should stop")) == "f should stop at …, … came"
    assert feedback(err, False, VISIBLE, _line("raise AssertionError")) == "A check failed."
    said = feedback(err, False, VISIBLE, _line("testing"))
    assert said == "A check failed: run this test in your notebook to see why."
    assert feedback(err, False) == "A check failed: run this test in your notebook to see why."


@pytest.mark.fast
def test_errors_in_a_visible_check_name_no_student_text():
    for err in (remote.student_error("AssertionError", f"recorded {SECRET}"),
                remote.student_error("ValueError", f"recorded {SECRET}"),
                remote.student_error("NameError", f"name 'x{SECRET}' is not defined")):
        said = feedback(err, False, VISIBLE, _line("assert ok, f"))
        kind = type(err).__name__
        assert said == (f"Your code raised {kind}: run this test in your notebook to see "
                        "the message.")
    err = remote.student_error("Leak_7315926_592", str(SECRET))
    assert isinstance(err, remote.StudentError) and _leaks(str(err))
    said = feedback(err, False, VISIBLE, _line("float(Z)"))
    assert said == "Your code raised an error: run this test in your notebook to see the message."
    # an error of the test's own code, on a value the student's code gave
    err = ValueError(f"could not convert string to float: '{SECRET}'")
    assert feedback(err, False, VISIBLE, _line("float(Z)")) == \
        "The test stopped with ValueError: run this test in your notebook to see why."
    forged = CheckFailed("f(X) raised Leak_7315926", kind="raised", subject="f(X)",
                         got="Leak_7315926")
    assert not _leaks(feedback(forged, True)) and "raised an error" in feedback(forged, True)


@pytest.mark.fast
def test_a_name_is_given_only_when_the_visible_test_uses_it():
    try:
        exec("undefined_name + 1", {})   # noqa: S102 - a NameError of the grader's side
    except NameError as err:
        grader_side = err
    said = feedback(grader_side, False, VISIBLE, _line("undefined_name"))
    assert said.startswith("The test uses `undefined_name`, which your notebook does not define")
    forged = NameError(f"name 'x_{SECRET}' is not defined")
    forged.name = "x_7315926"
    assert feedback(forged, False, VISIBLE, _line("undefined_name")) == \
        "A name the test uses is not defined in your notebook."
    assert feedback(grader_side, True) == (
        "A hidden check failed: a name the test uses is not defined. It used inputs you have "
        "not seen: try your code on other shapes and values, as the exercise describes.")


# -- feedback on a hidden check ---------------------------------------------------------

@pytest.mark.fast
def test_a_hidden_check_says_what_went_wrong_in_the_graders_words():
    cases = [
        (_failure(checks.check_shape, "relu(Z) for Z of shape (7, 3)", np.zeros((731, 592)),
                  (592, 731)), "(relu(Z)): the result has the wrong shape; that is the expected "
                               "shape the other way round"),
        (_failure(checks.check_close, "neurons(X, W, B) with L=5", np.array([[np.nan, SECRET]]),
                  [[SECRET, 1.0]]), "contains inf or nan"),
        (_failure(checks.check_close, "f(x)", np.array([-SECRET, 2.0]), [SECRET, -2.0]),
         "sign is flipped"),
        (_failure(checks.call, "relu(Z)", lambda Z: 1 / 0, np.ones(731)),
         "(relu(Z)): your code raised ZeroDivisionError"),
        (remote.student_error("NameError", f"name 'x{SECRET}' is not defined"),
         "your code raised NameError"),
        (remote.student_error("Leak_7315926", f"{SECRET}"), "your code raised an error"),
        (AssertionError(f"{SECRET}"), "A hidden check failed. It used"),
        (TypeError(f"{SECRET}"), "the test could not work with what your code gave it"),
    ]
    for err, words in cases:
        said = feedback(err, True)
        assert words in said, said
        assert not _leaks(said) and "731" not in said and "592" not in said, said
        assert said.endswith("as the exercise describes.")


@pytest.mark.fast
def test_the_numbers_of_a_hidden_checks_inputs_are_left_out_of_its_subject():
    err = _failure(checks.check_close, "relu(-3.0)", 1.0, 0.0)
    assert "A hidden check failed (relu(…))" in feedback(err, True)
    err = _failure(checks.check_close, "Neuron(4, rng=7).forward(x)", 1.0, 0.0)
    assert "(Neuron(…, rng=…).forward(x))" in feedback(err, True)
    err = _failure(checks.check_close, 'grads["dW1"] with L=5', 1.0, 0.0)
    assert '(grads["dW1"])' in feedback(err, True)


# -- whole test cells, against a stand-in for the student's kernel -----------------------

class _Kernel:
    """Just enough of a kernel session for run_test: the student's names are
    Python functions here, and what they raise is made as the real session
    makes it (from a kind and a message)."""

    quiet, own_output, random_touched = False, None, False

    def __init__(self, **names):
        self.names = names

    def name(self, name):
        if name not in self.names:
            raise NameError(f"name {name!r} is not defined")
        return self.names[name]

    def adopt_random_state(self):
        pass

    def lend(self, **names):
        pass

    def in_kernel(self, func, *args, **kwargs):
        return func(*args, **kwargs)


def _smuggler():
    """Student functions that keep every input and hand them back in a later test."""
    seen = []

    def neurons(X):
        seen.extend(float(v) for v in np.ravel(X))
        return X

    def kernel_error(kind):
        def func(X):
            raise remote.student_error(kind(), " ".join(repr(v) for v in seen[2:]))
        return func

    return seen, {
        "neurons": neurons,
        "as_shape": lambda X: np.zeros([int(str(abs(v))[2:5]) for v in seen[2:4]], np.int8),
        "as_nan": lambda X: np.array([np.nan, seen[2]]),
        "as_number": lambda X: seen[2],
        "as_assertion": kernel_error(lambda: "AssertionError"),
        "as_name_error": kernel_error(lambda: "NameError"),
        "as_class": kernel_error(lambda: "Leak_" + str(abs(seen[2]))[2:8]),
    }


#: The hidden region hands neurons() the inputs the student's code keeps.
FIRST = '''"""neurons() keeps X"""
check_close("neurons(X)", call("neurons(X)", neurons, np.ones(2)), np.ones(2))
### BEGIN HIDDEN TESTS
for X in (np.array([0.7315926535, -0.5926535897]), np.array([0.8979323846])):
    check_close("neurons(X)", call("neurons(X)", neurons, X), X)
### END HIDDEN TESTS
'''

#: A later visible check: through call(), and directly.
THROUGH_CALL = '''"""{name} is checked"""
Z = call("{name}(X)", {name}, np.ones(2))
check_array("{name}(X)", Z, (2,))
check_close("{name}(X)", Z, [1.0, 1.0])
'''
DIRECTLY = '''"""{name} is checked"""
check_close("{name}(X)", {name}(np.ones(2)), [1.0, 1.0])
'''
#: A later hidden check, through a function the visible part of the cell defines.
THROUGH_A_FUNCTION = '''"""{name} is checked"""
def check(X):
    check_close("{name}(X)", {name}(X), [1.0, 1.0])
### BEGIN HIDDEN TESTS
check(np.ones(2) * 3)
### END HIDDEN TESTS
'''

HIDDEN_INPUTS = ("0.731592", "0.592653", "0.897932", "731", "592")


@pytest.mark.fast
@pytest.mark.parametrize("name", ["as_shape", "as_nan", "as_number", "as_assertion",
                                  "as_name_error", "as_class"])
def test_values_a_hidden_test_passed_do_not_come_back_in_words(name):
    seen, names = _smuggler()
    assert run_test(FIRST, _Kernel(**names), "first").passed
    assert len(seen) == 5
    for source, hidden in ((THROUGH_CALL, False), (DIRECTLY, False),
                           (THROUGH_A_FUNCTION, True)):
        result = run_test(source.format(name=name), _Kernel(**names), "later")
        assert not result.passed and result.hidden is hidden
        assert [s for s in HIDDEN_INPUTS if s in result.message], result.message
        assert result.feedback
        assert not [s for s in HIDDEN_INPUTS if s in result.feedback], result.feedback


@pytest.mark.fast
def test_a_function_of_the_cell_called_from_the_hidden_region_fails_a_hidden_check():
    result = run_test(THROUGH_A_FUNCTION.format(name="f"),
                      _Kernel(f=lambda X: X * 0 + 0.7315926535), "later")
    assert not result.passed and result.hidden
    assert result.feedback.startswith("A hidden check failed (f(X)): the result has the right "
                                      "shape but wrong values")


@pytest.mark.fast
def test_the_graded_copy_keeps_a_cleaned_summary_and_the_page_only_the_feedback():
    result = verdict.Verdict(False, "", "ValueError: \x1b[2J" + "9" * 2000, "A check failed.")
    output, = outputs(result)
    assert "\x1b" not in output.evalue and len(output.evalue) < 520
    assert instructor_text("line one\nline two\x07") == "line one\nline two?"
    cell = new_code_cell(VISIBLE)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t",
                                 "points": 1, "locked": True, "schema_version": 3}
    cell.metadata["nnkit"] = {"passed": False, "feedback": "A check failed."}
    cell.outputs = [output]
    cell, _ = FeedbackFromVerdicts().preprocess_cell(cell, {}, 0)
    assert [o.evalue for o in cell.outputs] == ["A check failed."]
    assert "secret" not in cell.source


# -- a real submission, graded through the kit ---------------------------------------------

NOTEBOOK = "01_single_neuron"

#: Put before every answer: what the functions are given is kept, and a
#: function can tell whether the grader called it.
RECORDER = '''import sys as _sys
import numpy as _np
if "_SEEN" not in globals():
    _SEEN = []


def _record(*values):
    for value in values:
        try:
            _SEEN.extend(float(v) for v in _np.ravel(_np.asarray(value, dtype=float)))
        except (TypeError, ValueError):
            pass


def _payload(count=60):
    odd = [v for v in _SEEN if abs(v) > 1e-3 and v != round(v, 2)]
    return [float(v) for v in odd[-count:]]


def _six(v):
    return str(abs(v)).replace(".", "").lstrip("0")[:6]


def _graded():
    frame = _sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "utils.grader.agent":
            return True
        frame = frame.f_back
    return False

'''

#: After the solution, by default: the function records what it is given.
RECORDING = {
    "Neuron": '''
class Neuron(Neuron):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _record(self.weights, self.bias)

    def forward(self, x):
        _record(x)
        return super().forward(x)
''',
    **{name: f'''
_{name} = {name}
def {name}(*args):
    _record(*args)
    return _{name}(*args)
''' for name in ("neurons", "relu", "sigmoid")},
}

#: Each student: {answer: code after the solution}.  Every function records
#: what it is given and answers correctly, except under grading in a test that
#: comes after hidden ones: there it tries to carry out what it saw.
LEAKERS = {
    # messages: an error of the kind run_quietly catches, a NameError in a hidden check
    "leaky-messages": {
        "sigmoid": '''
_sigmoid = sigmoid
def sigmoid(Z):
    _record(Z)
    if _graded() and _np.shape(Z) == (5,) and _np.asarray(Z)[0] == -1000.0:
        raise FloatingPointError("overflow " + " ".join(map(repr, _payload())))
    return _sigmoid(Z)
''',
        "Neuron": '''
class Neuron(Neuron):
    def __init__(self, n_inputs, weights=None, bias=None, activation="sigmoid", rng=None):
        super().__init__(n_inputs, weights, bias, activation, rng)
        _record(self.weights, self.bias)
        self._seed = rng

    def forward(self, x):
        _record(x)
        if _graded() and self._seed == 7 and _np.all(_np.asarray(x) == 1.0):
            raise NameError("name " + " ".join(map(repr, _payload())) + " is not defined")
        return super().forward(x)
'''},
    # names: a class named after the values, raised where run_quietly calls;
    # an AssertionError of a method a visible check calls
    "leaky-names": {
        "sigmoid": '''
_sigmoid = sigmoid
def sigmoid(Z):
    _record(Z)
    if _graded() and _np.shape(Z) == (5,) and _np.asarray(Z)[0] == -1000.0:
        name = "L_" + "_".join(_six(v) for v in _payload(8))
        raise type(name[:60], (Exception,), {})("x")
    return _sigmoid(Z)
''',
        "Neuron": '''
class Neuron(Neuron):
    def __init__(self, n_inputs, weights=None, bias=None, activation="sigmoid", rng=None):
        self._leak = _graded() and activation == "relu"
        super().__init__(n_inputs, weights, bias, activation, rng)
        _record(self.weights, self.bias)

    def forward(self, x):
        _record(x)
        if self._leak:
            raise AssertionError("forward saw " + " ".join(map(repr, _payload())))
        return super().forward(x)
'''},
    # values: an array holding nan, a shape made of the values, wrong numbers
    "leaky-values": {
        "relu": '''
_relu = relu
def relu(Z):
    _record(Z)
    if _graded() and _np.shape(Z) == (2, 3) and _np.asarray(Z)[0, 0] == -2.0:
        return _np.array([_np.nan] + _payload(5)).reshape(2, 3)
    return _relu(Z)
''',
        "sigmoid": '''
_sigmoid = sigmoid
def sigmoid(Z):
    _record(Z)
    if _graded() and _np.shape(Z) == (5,) and _np.asarray(Z)[0] == -1000.0:
        first = _six(_payload(1)[0])
        return _np.zeros((int(first[:3]), int(first[3:])), dtype=_np.int8)
    if _graded() and _np.shape(Z) == () and float(Z) == 0.0:
        return _payload(1)[0]
    return _sigmoid(Z)
''',
        "Neuron": '''
class Neuron(Neuron):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _record(self.weights, self.bias)

    def forward(self, x):
        _record(x)
        if _graded() and _np.shape(x) == (3,) and self.bias == 0.1:
            return _payload(1)[0]
        return super().forward(x)
'''},
}


def _hidden_inputs():
    """Every number the hidden tests of lab1's first notebook hand the
    student's functions: their hidden regions, run with the solutions and
    with a call() that records its arguments."""
    path = KIT / "source" / "lab1" / f"{NOTEBOOK}.ipynb"
    found = []

    def record(value):
        if isinstance(value, (list, tuple)):
            for item in value:
                record(item)
        elif isinstance(value, (int, float, np.ndarray, np.generic)) \
                and not isinstance(value, bool):
            found.extend(float(v) for v in np.ravel(value))

    def call(name, func, *args, **kwargs):
        record(args)
        record(list(kwargs.values()))
        return func(*args, **kwargs)

    space = {"np": np, "call": call, "run_quietly": call, "lend": lambda **_: None,
             **{name: (lambda *a, **k: None) for name in checks.__all__
                if name.startswith("check_")}}
    for answer in solution_answers(path).values():
        if _is_code(answer):
            exec(answer, space)   # noqa: S102 - the notebook's own solutions
    for cell in nbformat.read(str(path), 4).cells:
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS",
                                 cell.source, re.S):
            exec(region, space)   # noqa: S102 - the instructor's hidden test
    return found


def _is_code(text):
    try:
        ast.parse(text)
        return True
    except SyntaxError:
        return False


def _six_digits(value):
    """``value`` written up to its sixth significant digit: '0.731592' for 0.7315926535."""
    text, count = repr(abs(value)), 0
    for end, char in enumerate(text, 1):
        if char.isdigit() and (count or char != "0"):
            count += 1
            if count == 6:
                return text[:end]
    return text


def _forms(value):
    """Ways a leak could write the first six significant digits of ``value``."""
    digits = re.sub(r"\D", "", _six_digits(value)).lstrip("0")
    return {f"{abs(value):.6g}", _six_digits(value), digits, f"{digits[:3]}, {digits[3:]}"}


def _found(text, values):
    """``[(value, form)]`` of the values written in ``text``, not inside a longer number."""
    return [(value, form) for value in values for form in _forms(value)
            if re.search(rf"(?<![\d.]){re.escape(form)}", text)]


def _page_text(path):
    """What a feedback page shows: its text, without styles and scripts."""
    text = Path(path).read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.fixture(scope="module")
def leakers(tmp_path_factory):
    """The leaking students, graded and given their feedback once;
    with the hidden inputs (those of eight significant digits or more)."""
    course = small_course(tmp_path_factory.mktemp("leakers") / "course")
    solutions = solution_answers(course.source / "lab1" / f"{NOTEBOOK}.ipynb")
    release = course.release / "lab1" / f"{NOTEBOOK}.ipynb"
    for student, changes in LEAKERS.items():
        answers = {name: RECORDER + solutions[name] + changes.get(name, RECORDING[name])
                   for name in RECORDING}
        write_submission(course, student, "lab1",
                         {NOTEBOOK: fill_answers(release, {**solutions, **answers})})
    outcomes = coordinator.autograde(course, "lab1", jobs=1, progress=lambda *_: None)
    save_outcomes(course, outcomes)
    grading.feedback(course, "lab1", outcomes, jobs=1, progress=lambda *_: None)
    secrets = [v for v in _hidden_inputs()
               if 1e-3 < abs(v) < 1e6 and len(re.sub(r"\D", "", repr(v)).strip("0")) >= 8]
    return course, {o.student: o for o in outcomes}, secrets


def test_the_hidden_inputs_are_known(leakers):
    _, _, secrets = leakers
    assert len(secrets) > 150


@pytest.mark.parametrize("student", sorted(LEAKERS))
def test_hidden_inputs_do_not_reach_the_feedback_page(leakers, student):
    """The student's functions recorded every hidden input and tried to carry
    them out; the graded copy (the instructor's) shows that they got some out
    of the kernel, the feedback page holds none of them."""
    course, outcomes, secrets = leakers
    assert outcomes[student].graded, outcomes[student].message
    graded = nbformat.read(str(course.autograded / student / "lab1" / f"{NOTEBOOK}.ipynb"), 4)
    said = " ".join(output.get("evalue", "") for cell in graded.cells
                    if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
                    for output in cell.get("outputs", []))
    assert _found(said, secrets), "the submission should have carried inputs out of the kernel"
    text = _page_text(course.feedback / student / "lab1" / f"{NOTEBOOK}.html")
    assert "TestFailed" in text
    leaked = _found(text, secrets)
    assert not leaked, leaked[:5]
