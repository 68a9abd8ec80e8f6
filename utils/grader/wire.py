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
import json
import math

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

#: dtypes that may cross: booleans and numbers, little-endian.
DTYPES = frozenset(["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8",
                    "<f2", "<f4", "<f8", "<c8", "<c16"])


class WireError(ValueError):
    """An answer that is not plain data of the allowed form and size."""


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
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        raise WireError(f"the answer is not valid JSON: {err}") from None
    return from_plain(data, tagged)


def _no_constant(name):
    raise WireError(f"unexpected {name} in the answer")
