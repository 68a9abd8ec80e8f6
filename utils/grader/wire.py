"""Plain data across the kernel boundary: encoded as JSON, decoded strictly.

What student code hands back to the grader is untrusted.  It crosses as JSON
text holding only plain data:

- ``None``, booleans, integers, floats, strings and JSON lists;
- ``{"T": [...]}`` a tuple, ``{"D": [[key, value], ...]}`` a dict with string
  or integer keys;
- ``{"A": [dtype, shape, base64]}`` a NumPy array of numbers or booleans,
  ``{"S": [dtype, base64]}`` a NumPy scalar;
- ``{"R": [number, type name]}`` a handle to an object that stays in the
  kernel (the grader can only ask the kernel about it);
- ``{"H": [number, {"A": ...}]}`` an array of the kernel: its values, and a
  handle through which the grader writes back what a test changes in place.

:func:`decode` checks every part (types, dtypes, byte counts, sizes, depth)
and never unpickles; anything else is a :class:`WireError`.  Arrays come out
as fresh, plain ``numpy.ndarray`` objects owned by the decoder, so an array
subclass with a forged ``__eq__`` cannot cross.

The grader sends its own requests in the same format, with tags the kernel
side alone understands (shipped code, random generators, shared objects);
see :mod:`utils.grader.agent`.
"""
import base64
import codecs
import json
import math
import re

import numpy as np

#: Largest answer, in characters of JSON, that the grader reads.
MAX_TEXT = 48 * 2 ** 20
#: Largest array, in entries; deepest nesting; most items in all containers.
MAX_ENTRIES = 4 * 2 ** 20
MAX_DEPTH = 32
MAX_ITEMS = 200_000
#: Largest string and largest integer (in decimal digits) inside an answer.
MAX_STRING = 2 ** 20
MAX_DIGITS = 400
#: Before JSON text is parsed: most tokens that can start a value (``,``, ``:``,
#: ``[`` and ``{`` outside strings; an item of :func:`from_plain` takes at most
#: four, as a tuple's ``{"T":[``), and deepest bracket nesting (a level of
#: :func:`from_plain` takes at most three, as a dict's ``{"D":[[``, and the
#: reply around the answer and an array's handle a few more).  Parsing text
#: that passes makes at most one object per token, so it cannot be made to
#: hold millions of tiny objects.
MAX_JSON_ITEMS = 4 * MAX_ITEMS
MAX_JSON_DEPTH = 3 * (MAX_DEPTH + 1) + 8

#: dtypes that may cross: booleans and numbers, little-endian.
DTYPES = frozenset(["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8",
                    "<f2", "<f4", "<f8", "<c8", "<c16"])


class WireError(ValueError):
    """An answer that is not plain data of the allowed form and size."""


class WritesBack(np.ndarray):
    """An array whose values came across the boundary, and whose changes in
    place (``a[...] = 1.0``, ``a -= step``, through a view too) go back to
    where it came from: :meth:`_write_back` of the array that crossed (the
    root) says how.  Results of arithmetic and copies are plain arrays.

    Both sides use it: the grader for arrays the kernel answered with
    (:class:`utils.grader.remote.KernelArray`), the kernel for arrays the
    grader's stand-ins answered with (:class:`utils.grader.agent.LentArray`).
    """

    _origin = None      # where the root came from; None for every other array
    _root = None        # the array that crossed, for views of it

    @classmethod
    def crossed(cls, values, origin):
        array = values.view(cls)
        array._origin, array._root = origin, array
        return array

    def __array_finalize__(self, obj):
        root = getattr(obj, "_root", None)
        self._origin = None
        self._root = root if root is not None and np.may_share_memory(self, root) else None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) if isinstance(x, WritesBack) else x for x in inputs]
        outs = kwargs.get("out") or ()
        if outs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, WritesBack) else o
                                  for o in outs)
        result = getattr(ufunc, method)(*plain, **kwargs)
        for out in outs:
            if isinstance(out, WritesBack):
                out._changed()
        if outs and len(outs) == 1 and isinstance(outs[0], WritesBack):
            return outs[0]
        return result

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def fill(self, value):
        super().fill(value)
        self._changed()

    def _changed(self):
        root = self._root
        if root is not None and root._origin is not None:
            root._write_back()

    def _write_back(self):
        raise NotImplementedError


def _dtype_text(dtype):
    dtype = np.dtype(dtype)
    if dtype.byteorder == ">":
        dtype = dtype.newbyteorder("<")
    text = dtype.str
    if text not in DTYPES:
        raise WireError(f"arrays of dtype {dtype} cannot be graded")
    return text


def encode_array(array):
    """``{"A": [...]}`` for a numeric or boolean array."""
    array = np.asarray(array)
    text = _dtype_text(array.dtype)
    data = np.ascontiguousarray(array, dtype=np.dtype(text)).tobytes()
    return {"A": [text, list(array.shape), base64.b64encode(data).decode("ascii")]}


def to_plain(value, other, depth=0, array=None):
    """``value`` as JSON-ready tagged data; ``other(obj)`` tags anything else,
    ``array(a)`` (when given) tags numeric arrays."""
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) in (int, bool):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"F": repr(value)}
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biufc":
            return other(value)
        return array(value) if array else encode_array(value)
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" \
            and np.dtype(type(value)).kind in "biufc":
        data = np.asarray(value).astype(_dtype_text(value.dtype)).tobytes()
        return {"S": [_dtype_text(value.dtype), base64.b64encode(data).decode("ascii")]}
    if type(value) is list:
        return [to_plain(v, other, depth + 1, array) for v in value]
    if type(value) is tuple:
        return {"T": [to_plain(v, other, depth + 1, array) for v in value]}
    if type(value) is dict and all(type(k) in (str, int) for k in value):
        return {"D": [[k, to_plain(v, other, depth + 1, array)] for k, v in value.items()]}
    return other(value)


def dumps(value, other):
    """JSON text of ``value`` (see :func:`to_plain`)."""
    return json.dumps(to_plain(value, other), allow_nan=False, separators=(",", ":"))


class _Budget:
    def __init__(self):
        self.items = 0
        self.entries = 0

    def count(self, items=1, entries=0):
        self.items += items
        self.entries += entries
        if self.items > MAX_ITEMS or self.entries > MAX_ENTRIES:
            raise WireError("the answer is larger than the grader accepts")


def _decode_array(body, budget):
    if not (isinstance(body, list) and len(body) == 3):
        raise WireError("malformed array")
    dtype, shape, data = body
    if dtype not in DTYPES or not isinstance(shape, list) or not isinstance(data, str):
        raise WireError("malformed array")
    if len(shape) > 32 or not all(type(n) is int and 0 <= n <= MAX_ENTRIES for n in shape):
        raise WireError("malformed array shape")
    entries = math.prod(shape)
    budget.count(1, entries)
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    if len(raw) != entries * np.dtype(dtype).itemsize:
        raise WireError("array bytes do not match its shape")
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).astype(
        np.dtype(dtype).newbyteorder("="), copy=True)


def from_plain(data, tagged=None, depth=0, budget=None):
    """Strictly rebuild a value; ``tagged(tag, body)`` handles other tags."""
    budget = budget or _Budget()
    if depth > MAX_DEPTH:
        raise WireError("the answer is nested too deeply")
    budget.count()
    if data is None or isinstance(data, bool):
        return data
    if type(data) is int:
        if len(str(abs(data))) > MAX_DIGITS:
            raise WireError("an integer in the answer is too large")
        return data
    if type(data) is float:
        return data
    if type(data) is str:
        if len(data) > MAX_STRING:
            raise WireError("a string in the answer is too long")
        return data
    if type(data) is list:
        return [from_plain(v, tagged, depth + 1, budget) for v in data]
    if type(data) is not dict or len(data) != 1:
        raise WireError("malformed answer")
    (tag, body), = data.items()
    if tag == "T" and type(body) is list:
        return tuple(from_plain(v, tagged, depth + 1, budget) for v in body)
    if tag == "D" and type(body) is list:
        out = {}
        for pair in body:
            if not (type(pair) is list and len(pair) == 2 and type(pair[0]) in (str, int)):
                raise WireError("malformed dict")
            out[pair[0]] = from_plain(pair[1], tagged, depth + 1, budget)
        return out
    if tag == "A":
        return _decode_array(body, budget)
    if tag == "S" and type(body) is list and len(body) == 2 and body[0] in DTYPES:
        raw = base64.b64decode(str(body[1]).encode("ascii"), validate=True)
        if len(raw) != np.dtype(body[0]).itemsize:
            raise WireError("malformed scalar")
        return np.frombuffer(raw, dtype=np.dtype(body[0]))[0].astype(
            np.dtype(body[0]).newbyteorder("="))
    if tag == "F" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tagged is not None:
        return tagged(tag, body, lambda v: from_plain(v, tagged, depth + 1, budget))
    raise WireError(f"unexpected part {tag!r} in the answer")


def loads(text, tagged=None):
    """Decode JSON text strictly (see :func:`from_plain`)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise WireError("the answer is missing or too large")
    return from_plain(parse_json(text), tagged)


# -- reading what the kernel sends: every byte of it chosen by student code ----

#: A JSON string (the closing quote in group 2: missing when the text ends
#: first), an opening bracket, a closing one, a separator.  Possessive, so a
#: string is read once whatever follows.
_TOKENS = {str: re.compile(r'(")(?:[^"\\]++|\\.)*+(")?|([\[{])|([\]}])|([,:])', re.S)}
_TOKENS[bytes] = re.compile(_TOKENS[str].pattern.encode("ascii"), re.S)
_STRINGS = {str: re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.S)}
_STRINGS[bytes] = re.compile(_STRINGS[str].pattern.encode("ascii"), re.S)
_MARKS = {str: ("[", "{", ",", ":", '"'), bytes: (b"[", b"{", b",", b":", b'"')}
_FEW_STRINGS = 1000


def check_json(text, max_items=MAX_JSON_ITEMS, max_depth=MAX_JSON_DEPTH):
    """Refuse JSON text (``str`` or ``bytes``) with more than ``max_items``
    value-starting tokens or brackets nested deeper than ``max_depth``.

    A few linear passes, building nothing that grows with the text: brackets
    and separators inside strings do not count.  Whether the text is JSON at
    all is left to the parser.
    """
    if not isinstance(text, (str, bytes)):
        raise WireError("the answer is not text")
    marks = _MARKS[type(text)]
    opening = text.count(marks[0]) + text.count(marks[1])
    items = opening + text.count(marks[2]) + text.count(marks[3])
    if items <= max_items and opening <= max_depth:
        return                      # counted strings included, nothing can be over
    if text.count(marks[4]) <= 2 * _FEW_STRINGS:
        # few strings: what they hold is soon taken off the count
        for string in _STRINGS[type(text)].finditer(text):
            items -= sum(text.count(mark, *string.span()) for mark in marks[:4])
        if items > max_items:
            raise WireError("the answer holds more items than the grader accepts")
    items = depth = strings = 0
    for token in _TOKENS[type(text)].finditer(text):
        kind = token.lastindex
        if kind == 5:
            items += 1
            if items > max_items:
                raise WireError("the answer holds more items than the grader accepts")
        elif kind == 3:
            items += 1
            depth += 1
            if items > max_items:
                raise WireError("the answer holds more items than the grader accepts")
            if depth > max_depth:
                raise WireError("the answer is nested too deeply")
        elif kind == 4:
            depth -= 1
            if depth < 0:
                raise WireError("the answer is not valid JSON")
        else:
            strings += 1
            # valid JSON has one string more at most than separators and brackets
            if kind == 1 or strings > items + 1:
                raise WireError("the answer is not valid JSON")


def parse_json(text, max_items=MAX_JSON_ITEMS, max_depth=MAX_JSON_DEPTH):
    """``json.loads(text)``, refused before parsing when :func:`check_json` refuses."""
    check_json(text, max_items, max_depth)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except WireError:
        raise
    except (ValueError, RecursionError) as err:
        raise WireError(f"the answer is not valid JSON: {err}") from None


#: The inside of a str literal as ``repr`` writes it, for each quote: characters
#: other than the quote, a backslash or a control character, and the escapes
#: ``repr`` uses (``\"`` too).  Possessive, so matching is linear.
_ESCAPES = r"\\(?:[\\'\"nrt]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})"
_STR_BODY = {quote: re.compile(r"(?:[^%s\\\x00-\x1f\x7f]++|%s)*+" % (quote, _ESCAPES))
             for quote in ("'", '"')}
#: A piece of a checked literal's inside, cut between escapes.
_STR_PIECE = re.compile(r"(?:[^\\]|%s){1,65536}" % _ESCAPES, re.S)


def read_str(text, limit=MAX_TEXT):
    """The str whose ``repr`` is ``text``: what IPython gives as ``text/plain``
    for a str.

    ``text`` must be exactly one literal, ``'...'`` or ``"..."``, using only
    what ``repr`` writes; no prefix, no second literal, nothing else.  The
    length is checked first; then one linear match and one decoding pass,
    with copies no larger than a few times ``text``.  Nothing is evaluated.
    """
    if not isinstance(text, str):
        raise WireError("the answer is not text")
    if len(text) > limit:
        raise WireError("the answer is larger than the grader accepts")
    if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0] \
            or _STR_BODY[text[0]].fullmatch(text, 1, len(text) - 1) is None:
        raise WireError("the answer is not a string literal")
    try:
        if text.isascii():
            return codecs.unicode_escape_decode(memoryview(text.encode("ascii"))[1:-1])[0]
        # The decoder reads bytes as Latin-1: other characters go in as escapes
        # of their own (up to ten bytes each), a piece at a time.
        return "".join(codecs.unicode_escape_decode(
            piece.group().encode("ascii", "backslashreplace"))[0]
            for piece in _STR_PIECE.finditer(text, 1, len(text) - 1))
    except UnicodeDecodeError:
        raise WireError("the answer is not a string literal") from None


def read_reply(text_plain, limit=MAX_TEXT):
    """The JSON value inside a str literal (:func:`read_str`, then :func:`parse_json`)."""
    return parse_json(read_str(text_plain, limit))


def _no_constant(name):
    raise WireError(f"unexpected {name} in the answer")
