"""Look-alike answers (utils/grader/similarity.py): disguised copies are found
and ranked first; the expected answer, the release's stub and independent
answers are not reported; hostile input is skipped, never a crash."""
import json
import os
import random

import nbformat
import pytest

from utils.course import KIT_ROOT, Course, make_scratch_course
from utils.grader import similarity
from utils.grader.similarity import DEFAULT_THRESHOLD, Pair, compare_answers, lookalikes
from utils.submissions import fill_answers, load_variants, solution_answers

NOTEBOOK = "01_single_neuron"
SOURCE = KIT_ROOT / "source" / "lab1" / f"{NOTEBOOK}.ipynb"
RELEASE = KIT_ROOT / "release" / "lab1" / f"{NOTEBOOK}.ipynb"
SOLUTIONS = solution_answers(SOURCE)
RELEASED = {cell.metadata["nbgrader"]["grade_id"]: cell.source
            for cell in nbformat.read(str(RELEASE), as_version=4).cells
            if cell.metadata.get("nbgrader", {}).get("solution")}
VARIANTS = {v.name: v.answers for v in load_variants("lab1", NOTEBOOK)}
LOOPS = VARIANTS["neurons with loops"]["neurons"]

# LOOPS copied, then disguised: every name the student chose renamed, spacing
# and line breaks changed, a trailing comma, comments and a docstring added,
# literals changed (0.0 -> 0, a different shape tuple).
DISGUISED = '''
def neurons(X, W, B):
    """my own work"""
    # sizes first
    rows, cols = X.shape
    k = W.shape[ 0 ]
    B = np.reshape(B, (1,
                       k),)
    out = np.zeros((rows, k))
    for i in range(rows):
        for j in range(k):
            acc = 0
            for c in range(cols):
                acc += X[i, c] * W[j, c]   # multiply and add
            out[i, j] = acc + B[1, j]
    return out
'''

# A loop written independently: the same idea as LOOPS, other code.
ROW_LOOP = '''
def neurons(X, W, B):
    n_samples = X.shape[0]
    n_neurons = W.shape[0]
    Z = np.empty((n_samples, n_neurons))
    for s in range(n_samples):
        Z[s] = W @ X[s] + np.ravel(B)
    return Z
'''

ZIP_LOOP = '''
def neurons(X, W, B):
    result = []
    for x in X:
        row = []
        for w, b in zip(W, np.ravel(B)):
            row.append(np.sum(x * w) + b)
        result.append(row)
    return np.array(result)
'''


def provided(exercise):
    """The provided code of one lab1/01 exercise: the solution and the release's cell."""
    return [SOLUTIONS[exercise], RELEASED[exercise]]


def neurons_class(**extra):
    """A class's answers to ``neurons``: the expected answer, the untouched
    stub, the prepared alternatives, and ``extra``."""
    answers = {f"sol-{i}": SOLUTIONS["neurons"] for i in range(4)}
    answers.update({f"blank-{i}": RELEASED["neurons"] for i in range(3)})
    answers.update({f"alt-{i}": VARIANTS[name]["neurons"] for i, name in enumerate((
        "neurons with np.dot and np.transpose",
        "neurons in the column layout, transposed back"))})
    answers.update(extra)
    return answers


# -- the method ---------------------------------------------------------------
def test_a_disguised_copy_is_found_and_ranked_first():
    answers = neurons_class(loops=LOOPS, copier=DISGUISED, rows=ROW_LOOP, zips=ZIP_LOOP)
    pairs = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"))
    assert pairs, "the disguised copy was not reported"
    first = pairs[0]
    assert first.students == ("copier", "loops")
    assert first.similarity >= DEFAULT_THRESHOLD
    assert first.similarity == pytest.approx(1.0)
    assert first.shared >= similarity.MIN_SHINGLES
    assert (first.notebook, first.exercise) == (NOTEBOOK, "neurons")
    # the code as submitted, in the order of the students
    assert first.code == (DISGUISED, LOOPS)
    # independent loops are not evidence of anything
    assert all(set(p.students) == {"copier", "loops"} for p in pairs)


def test_the_normalisation_is_what_finds_the_copy():
    kept = similarity.provided_names(SOLUTIONS["neurons"])
    # as text, the two hardly look alike ...
    raw = [set(similarity.shingles(code.split())) for code in (LOOPS, DISGUISED)]
    assert len(raw[0] & raw[1]) / len(raw[0] | raw[1]) < 0.1
    # ... normalised, they are the same answer
    assert similarity.normalise(LOOPS, kept) == similarity.normalise(DISGUISED, kept)
    # while what the code does still shows: another function, another sign
    assert similarity.normalise("np.maximum(0, Z)", kept) != \
        similarity.normalise("np.minimum(0, Z)", kept)
    assert similarity.normalise("a - b", kept) != similarity.normalise("a + b", kept)
    assert similarity.normalise("f(x, dtype=float)", kept) != \
        similarity.normalise("f(x, order=float)", kept)


def test_different_approaches_are_not_reported():
    answers = neurons_class(loops=LOOPS, rows=ROW_LOOP, zips=ZIP_LOOP)
    assert compare_answers(NOTEBOOK, "neurons", answers, provided("neurons")) == []
    # even with a low bar, the loop and the vectorised answers stay far apart
    low = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"), threshold=0.0)
    assert all(p.similarity < 0.3 for p in low)


def _other_sigmoids():
    names = ("sigmoid through tanh", "sigmoid with clipping",
             "stable-looking sigmoid with np.where", "textbook sigmoid that overflows")
    answers = {f"other-{i}": VARIANTS[n]["sigmoid"] for i, n in enumerate(names)}
    answers["longer"] = '''
def sigmoid(Z):
    Z = np.array(Z, dtype=float)
    small = np.clip(Z, -60.0, 60.0)
    value = 1.0 / (1.0 + np.exp(-small))
    if value.ndim == 0:
        return float(value)
    return value
'''
    return answers


def test_the_instructors_solution_is_not_evidence():
    restyled = SOLUTIONS["sigmoid"].replace("out", "result").replace("    e =", "    ez =") \
        .replace("e / ", "ez / ") + "\n# done\n"
    answers = {"sol-1": SOLUTIONS["sigmoid"], "sol-2": SOLUTIONS["sigmoid"],
               "sol-3": restyled, **_other_sigmoids()}
    assert compare_answers(NOTEBOOK, "sigmoid", answers, provided("sigmoid")) == []
    # without the provided code the same answers would be reported
    unprovided = compare_answers(NOTEBOOK, "sigmoid", answers, provided=())
    assert {p.students for p in unprovided} >= {("sol-1", "sol-2"), ("sol-1", "sol-3")}


def test_the_release_stub_is_not_evidence():
    others = {f"other-{i}": VARIANTS[name]["Neuron"] for i, name in enumerate((
        "Neuron with a loop and an if in forward",
        "Neuron storing a lambda that looks the activation up when called",
        "Neuron that multiplies in the wrong order", "Neuron that forgets the bias"))}
    stub = RELEASED["Neuron"]
    answers = {"blank-1": stub, "blank-2": stub, "blank-3": stub + "\n", **others}
    assert compare_answers(NOTEBOOK, "Neuron", answers, provided("Neuron")) == []
    # the scaffolding alone would look like a copy if it were not excluded
    assert compare_answers(NOTEBOOK, "Neuron", answers, provided=())
    # a one-line stub answer alone is too short to be compared at all
    kept = similarity.provided_names(stub)
    assert len(similarity.shingles(similarity.normalise(
        "# YOUR CODE HERE\nraise NotImplementedError()", kept))) < similarity.MIN_SHINGLES


def test_order_and_sorting():
    # two copy pairs: one exact, one with a line changed; students named so
    # that the dictionary order is not the sorted order
    edited = LOOPS.replace("Z[l, n] = total + B[0, n]", "Z[l, n] = total + np.ravel(B)[n]")
    answers = neurons_class(zed=LOOPS, abel=DISGUISED, yan=ROW_LOOP,
                            bo=ROW_LOOP.replace("n_samples", "count") + "\n\n")
    answers["mia"] = edited
    pairs = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"))
    assert [p.students for p in pairs][:2] in (
        [("abel", "zed"), ("bo", "yan")], [("bo", "yan"), ("abel", "zed")])
    assert all(p.students == tuple(sorted(p.students)) for p in pairs)
    assert [p.similarity for p in pairs] == sorted((p.similarity for p in pairs), reverse=True)
    for p in pairs:
        assert p.code == (answers[p.students[0]], answers[p.students[1]])
        assert 0.0 < p.similarity <= 1.0 + 1e-12
    edited_pairs = [p for p in pairs if "mia" in p.students]
    assert edited_pairs and all(p.similarity < 1.0 for p in edited_pairs)
    assert pairs.index(edited_pairs[0]) >= 2
    # the same result whatever order the answers come in
    items = list(answers.items())
    random.Random(3).shuffle(items)
    shuffled = dict(items)
    assert list(shuffled) != list(answers)
    assert compare_answers(NOTEBOOK, "neurons", shuffled, provided("neurons")) == pairs


# -- hostile or odd input -------------------------------------------------------
ODD_CODE = [
    "%timeit neurons(X, W, B)\n!ls -la\nneurons?\nfiles = !ls\n",
    "%%time\nx = 1\n",
    "def neurons(X, W, B:\n    return (X @ W.T\n",
    "def f():\n  x = 1\n    y = 2\n z = 3\n",
    's = """never closed\n',
    "x = 'also never closed\n",
    "\x00\x01\x02 $ ` \\",
    "é = 1\nλ = é + 1\n",
    "f'{x!r:>{width}}'",
    "",
    "(" * 500 + ")" * 500,
]


@pytest.mark.parametrize("code", ODD_CODE)
def test_odd_code_does_not_crash(code):
    tokens = similarity.normalise(code, frozenset({"neurons"}))
    assert all(isinstance(t, str) for t in tokens)
    assert isinstance(similarity.provided_names(code), frozenset)
    compare_answers(NOTEBOOK, "x", {"a": code, "b": code, "c": "", "d": ""}, [code])


def test_ipython_syntax_and_syntax_errors_still_compare():
    kept = similarity.provided_names(SOLUTIONS["neurons"])
    assert similarity.normalise("%timeit neurons(X, W, B)", kept) == \
        ["%", "timeit", "neurons", "(", "X", ",", "W", ",", "B", ")", ";"]
    assert similarity.normalise("a = b % c", kept)[-3:-1] == ["%", "<name>"]
    # a copy that does not compile is still a copy
    broken = LOOPS.replace("for m in range(M):", "for m in range(M)")
    renamed = DISGUISED.replace("for c in range(cols):", "for c in range(cols)")
    answers = neurons_class(loops=broken, copier=renamed, rows=ROW_LOOP, zips=ZIP_LOOP)
    pairs = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"))
    assert pairs and pairs[0].students == ("copier", "loops")


def test_answers_that_are_not_text_are_ignored():
    answers = neurons_class(loops=LOOPS, copier=DISGUISED)
    answers.update({"none": None, "number": 42, "lines": ["def neurons(X, W, B):\n"],
                    ("a", "tuple"): LOOPS})
    pairs = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons") + [None, 7])
    assert [p.students for p in pairs] == [("copier", "loops")]


def test_very_long_code_is_cut():
    huge = LOOPS + "\n" + "x = 1\n" * 200_000
    pairs = compare_answers(NOTEBOOK, "neurons", neurons_class(loops=LOOPS, huge=huge),
                            provided("neurons"))
    assert len(pairs[0].code[0]) == similarity.MAX_CODE_CHARS


def test_a_large_class_compares_few_pairs():
    # 300 answers built from a large pool of lines, so most pairs share little,
    # plus lines every answer holds (a common approach: weight 0, not indexed)
    rng = random.Random(0)
    functions = ["exp", "tanh", "sqrt", "abs", "cos", "sum", "log1p", "sin"]
    pool = [f"v = np.{rng.choice(functions)}(v){rng.choice('+-*/')}np.{f}(W.m{i})"
            for i in range(3000) for f in [rng.choice(functions)]]
    common = "    v = X @ W.T\n    v = v + B\n    total = np.zeros(len(v))\n"
    answers = {}
    for student in range(300):
        answers[f"s{student:03d}"] = "def neurons(X, W, B):\n" + common + "".join(
            f"    {line}\n" for line in rng.sample(pool, 10)) + "    return v\n"
    answers["s300"] = answers["s123"].replace("v", "q").replace("total", "t")
    kept = similarity.provided_names(SOLUTIONS["neurons"])
    own = {s: similarity.shingles(similarity.normalise(c, kept)) for s, c in answers.items()}
    weight = similarity._weights(own, len(own))
    held = {s: {x for x in sh if weight[x] > 0} for s, sh in own.items()}
    total = {s: sum(weight[x] for x in sh) for s, sh in held.items()}
    candidates = similarity._candidates(held, weight, total, DEFAULT_THRESHOLD)
    assert ("s123", "s300") in candidates
    assert len(candidates) < len(answers) ** 2 / 2 / 10
    pairs = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"))
    assert [p.students for p in pairs] == [("s123", "s300")]


# -- a course folder -------------------------------------------------------------
@pytest.fixture
def course(tmp_path):
    """A course with lab1/01 released and graded copies written by hand."""
    course = make_scratch_course(Course(KIT_ROOT), tmp_path / "course")
    course.keep_only("lab1", [NOTEBOOK])
    (course.release / "lab1").mkdir(parents=True)
    (course.release / "lab1" / RELEASE.name).write_bytes(RELEASE.read_bytes())
    return course


def _hand_in(course, student, content):
    (course.submitted / student / "lab1").mkdir(parents=True)
    folder = course.autograded / student / "lab1"
    folder.mkdir(parents=True)
    path = folder / f"{NOTEBOOK}.ipynb"
    if isinstance(content, dict):
        nbformat.write(fill_answers(RELEASE, {**SOLUTIONS, **content}), str(path))
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    return path


def test_lookalikes_reads_a_course(course, tmp_path):
    for student, answer in {"loops": LOOPS, "copier": DISGUISED, "rows": ROW_LOOP,
                            "zips": ZIP_LOOP}.items():
        _hand_in(course, student, {"neurons": answer})
    for i in range(4):
        _hand_in(course, f"sol-{i}", {})
    _hand_in(course, "blank", {name: code for name, code in RELEASED.items()})
    # hostile or broken graded copies: each skipped for that student
    _hand_in(course, "missing", None)
    _hand_in(course, "corrupt", "{ not json")
    _hand_in(course, "deep", "[" * 100_000)
    odd = json.loads(_hand_in(course, "odd", {"neurons": LOOPS}).read_text())
    for cell in odd["cells"]:
        cell["source"] = [1, 2, 3] if cell["cell_type"] == "code" else None
        cell["metadata"] = {"nbgrader": {"grade_id": ["neurons"]}}
    odd["cells"].append("not a cell")
    _hand_in_path = course.autograded / "odd" / "lab1" / f"{NOTEBOOK}.ipynb"
    _hand_in_path.write_text(json.dumps(odd))
    elsewhere = tmp_path / "elsewhere.ipynb"
    nbformat.write(fill_answers(RELEASE, {**SOLUTIONS, "neurons": LOOPS}), str(elsewhere))
    link = _hand_in(course, "linked", None)
    link.symlink_to(elsewhere)
    os.mkfifo(_hand_in(course, "pipe", None))
    _hand_in(course, "list-cells", json.dumps({"cells": {"a": 1}}))

    pairs = lookalikes(course, "lab1")
    assert [(p.notebook, p.exercise, p.students) for p in pairs] == [
        (NOTEBOOK, "neurons", ("copier", "loops"))]
    assert isinstance(pairs[0], Pair)
    assert pairs[0].code == (DISGUISED.strip("\n"), LOOPS.strip("\n"))   # as graded
    # only the students asked for; a name that is not a plain id is not read
    assert lookalikes(course, "lab1", students=["loops", "rows", "../copier"]) == []
    assert lookalikes(course, "lab1", students=["loops", "copier", "rows", "zips",
                                                "sol-0", "sol-1", "blank"])


def test_an_oversized_graded_copy_is_skipped(course, monkeypatch):
    for student, answer in {"loops": LOOPS, "copier": DISGUISED, "rows": ROW_LOOP,
                            "zips": ZIP_LOOP}.items():
        _hand_in(course, student, {"neurons": answer})
    _hand_in(course, "sol-0", {})
    assert lookalikes(course, "lab1")
    sizes = {p.parent.parent.name: p.stat().st_size
             for p in course.autograded.glob(f"*/lab1/{NOTEBOOK}.ipynb")}
    big = sizes.pop("copier")
    assert max(sizes.values()) < big      # only the copier's copy is over the cap
    from utils.grader import unit
    monkeypatch.setattr(unit, "MAX_GRADED_BYTES", big - 1)
    assert lookalikes(course, "lab1") == []


@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.35, 0.5])
def test_the_index_misses_no_pair(threshold):
    # answers that overlap a lot (60 answers drawn from 40 lines): every pair
    # that reaches the threshold when all pairs are compared is still found
    rng = random.Random(1)
    pool = [f"v = np.{rng.choice(['exp', 'cos', 'abs'])}(v) + W.m{i}" for i in range(40)]
    answers = {f"s{n:02d}": "def neurons(X, W, B):\n" + "".join(
        f"    {line}\n" for line in rng.sample(pool, rng.randint(4, 12))) for n in range(60)}
    everything = compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"), 0.0)
    expected = [p for p in everything if p.similarity >= threshold]
    assert expected, "no pair to find: the test would prove nothing"
    assert compare_answers(NOTEBOOK, "neurons", answers, provided("neurons"),
                           threshold) == expected
