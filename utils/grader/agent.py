"""The kernel side of grading: answer the grader's requests, decide nothing.

While a test cell is graded, its code runs in the grading process, not in
the student's kernel.  Each time that code needs the student's work (call a
function, read an attribute, iterate a loader), the grader sends one request
here through the kernel's ordinary execute channel; :func:`serve` carries it
out and leaves the answer, as plain data (:mod:`utils.grader.wire`), in
:data:`REPLY` for the grader to read.

Nothing here is trusted by the grader: student code runs first in this
interpreter and may replace this module.  It can then only change the values
the grader receives, and values are what the grader judges.

What the grader lends (a reference version of an earlier exercise, a
reference network) arrives as a :class:`Lent` stand-in that holds a number,
never code: using it asks the grader through the kernel's input channel,
which is open only while a request of the grader runs.
"""
import builtins
import contextlib
import io
import json
import sys
import warnings

import numpy as np

from . import wire

#: The last answer, as JSON text, read by the grader after each request.
REPLY = ""

_OBJECTS = {}          # handle number -> object kept for the grader
_LENT = {}             # name -> what the notebook had there before a loan
_ABSENT = object()
_COUNTER = [0]


#: How a stand-in's question starts, on the input channel.
PROMPT = "\x00nnkit:"

_STREAM = {}           # loan token -> the random state last agreed with the grader


class Lent:
    """A function, class or object of the grader's, lent for one test.

    Every use is a question to the grader, answered with plain data; outside
    the test that lent it, it answers nothing.
    """

    __slots__ = ("_nnkit_lent", "_nnkit_methods")

    def __init__(self, token, number, kind="object", name="object"):
        object.__setattr__(self, "_nnkit_lent", (token, number, kind, name))
        object.__setattr__(self, "_nnkit_methods", {})

    @property
    def __name__(self):
        return object.__getattribute__(self, "_nnkit_lent")[3]

    def __call__(self, *args, **kwargs):
        return _ask(self, "call", args=args, kwargs=kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        methods = object.__getattribute__(self, "_nnkit_methods")
        if name in methods:                 # a method, asked for once
            return methods[name]
        value = _ask(self, "getattr", name=name)
        if isinstance(value, Lent) and object.__getattribute__(value, "_nnkit_lent")[2] == "method":
            methods[name] = value
        return value

    def __setattr__(self, name, value):
        object.__getattribute__(self, "_nnkit_methods").pop(name, None)
        _ask(self, "setattr", name=name, value=value)

    def __len__(self):
        return _ask(self, "len")

    def __getitem__(self, key):
        return _ask(self, "getitem", key=key)

    def __iter__(self):
        return iter(_ask(self, "iter"))

    def __repr__(self):
        _, _, kind, name = object.__getattribute__(self, "_nnkit_lent")
        return f"<the grader's {name} ({kind}), lent for this test>"


class LentArray(wire.WritesBack):
    """An array a stand-in answered with: changed in place, it tells the grader."""

    @classmethod
    def live(cls, values, token, number):
        return cls.crossed(values, (token, number))

    @property
    def _lent(self):
        """``(token, number)`` of the grader's array, for the array that crossed."""
        return self._origin

    def _write_back(self):
        """Noted here, sent with the next question (or when the grader's request ends)."""
        _PENDING[self._origin] = self


_PENDING = {}          # (token, number) -> a lent array changed in place, not yet sent


def flush():
    """Send the in-place changes not yet sent (the end of a request of the grader)."""
    if _PENDING:
        token = next(iter(_PENDING))[0]
        _question(token, 0, "flush", {})


def _outgoing(value, generators):
    """Tags for what a question may hold besides plain data.  A random
    generator travels as its state and takes back the state the grader's use
    left it in (``generators`` collects them, in order)."""
    if isinstance(value, np.random.Generator):
        generators.append(value)
        return {"G": wire.to_plain(value.bit_generator.state, _refuse)}
    if isinstance(value, Lent):
        token, number = object.__getattribute__(value, "_nnkit_lent")[:2]
        return {"L": [token, number]}
    if isinstance(value, LentArray):
        if value._root is value and value._lent is not None:
            return {"L": list(value._lent)}
        return wire.encode_array(np.asarray(value))
    raise TypeError(f"a {type(value).__name__} cannot be given to what the grader lends: "
                    "only arrays, numbers, strings, lists, tuples and dicts")


def _refuse(value):
    raise TypeError(f"a {type(value).__name__} cannot be sent")


def _incoming(tag, body, decode):
    if tag == "L" and isinstance(body, list) and len(body) == 4:
        return Lent(*body)
    if tag == "LA" and isinstance(body, list) and len(body) == 3:
        values = decode(body[2])
        if type(values) is np.ndarray:
            return LentArray.live(values, body[0], body[1])
    raise wire.WireError(f"unknown answer part {tag}")


def _ask(stand_in, op, **fields):
    token, number = object.__getattribute__(stand_in, "_nnkit_lent")[:2]
    return _question(token, number, op, fields)


def _question(token, number, op, fields):
    """Ask the grader about its object ``number``; raise what it raised."""
    from IPython import get_ipython
    question = {"token": token, "op": op, "handle": number, **fields}
    writes = [[key[1], np.array(array)] for key, array in _PENDING.items() if key[0] == token]
    _PENDING.clear()
    if writes:
        question["writes"] = writes
    state = np.random.get_state()
    agreed = _STREAM.get(token)
    if agreed is None or not _same_state(agreed, state):
        question["random"] = state
    generators = []
    text = wire.dumps(question, lambda value: _outgoing(value, generators))
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        raise RuntimeError("what the grader lends works only while the grader runs a test")
    try:
        answer = shell.kernel.raw_input(PROMPT + text)
    except Exception:  # noqa: BLE001 - no input channel: not inside the grader's test
        raise RuntimeError("what the grader lends works only inside the test that lent it") \
            from None
    reply = json.loads(answer)
    if "random" in reply:
        np.random.set_state(wire.from_plain(reply["random"]))
    for generator, state in zip(generators, reply.get("generators") or ()):
        generator.bit_generator.state = wire.from_plain(state)
    _STREAM.clear()
    _STREAM[token] = np.random.get_state()
    if reply.get("printed"):
        sys.stdout.write(str(reply["printed"]))
    if "error" in reply:
        kind, message = reply["error"]
        error = getattr(builtins, kind, RuntimeError)
        raise error(message) if isinstance(error, type) and issubclass(error, Exception) \
            else RuntimeError(message)
    return wire.from_plain(reply.get("value"), _incoming)


def _same_state(one, other):
    return one[0] == other[0] and one[2:] == other[2:] and np.array_equal(one[1], other[1])


def _namespace():
    from IPython import get_ipython
    shell = get_ipython()
    return shell.user_ns if shell is not None else vars(__import__("__main__"))


def _keep(obj):
    _COUNTER[0] += 1
    _OBJECTS[_COUNTER[0]] = obj
    return {"R": [_COUNTER[0], type(obj).__name__]}


def _kept(obj):
    """A stand-in goes back as the grader's own object; anything else stays here."""
    if isinstance(obj, Lent) or (isinstance(obj, LentArray) and obj._root is obj
                                 and obj._lent is not None):
        return _outgoing(obj, [])
    if isinstance(obj, LentArray):          # a result computed from one: plain values
        return _held(np.array(obj))
    return _keep(obj)


def _held(array):
    """An answered array, as values plus a handle (a test may change it in place)."""
    return {"H": [_keep(array)["R"][0], wire.encode_array(array)]}


def _shipped(body, decode, memo):
    """Rebuild a function or class the grader sent as source code."""
    names = {"__builtins__": builtins, "np": np}
    for name, value in body["globals"]:
        names[name] = decode(value)
    exec(compile(body["source"], f"<grader: {body['name']}>", "exec"), names)  # noqa: S102
    return names[body["name"]]


def _decoder(built):
    """Decode the grader's tags; instances of shipped classes go into ``built``
    as ``(number, object)``, so that the grader can see what a call changed."""
    memo = {}

    def tagged(tag, body, decode):
        if tag == "R":
            return _OBJECTS[body[0]]
        if tag == "M":                       # first sight of a shared object
            memo[body[0]] = value = decode(body[1])
            if isinstance(body[1], dict) and "O" in body[1]:
                built.append((body[0], value))
            return value
        if tag == "m":                       # the same object again
            return memo[body]
        if tag == "C":
            return _shipped(body, decode, memo)
        if tag == "O":                       # an instance of a shipped class
            cls = decode(body[0])
            obj = cls.__new__(cls)
            obj.__dict__.update(decode(body[1]))
            return obj
        if tag == "G":
            state = decode(body)
            generator = np.random.Generator(getattr(np.random, state["bit_generator"])())
            generator.bit_generator.state = state
            return generator
        if tag == "L":                       # the grader's own object: a stand-in
            return Lent(*body)
        if tag == "mod":
            return __import__(body)
        if tag == "np" and isinstance(body, str) and body.isidentifier():
            return getattr(np, body)
        raise wire.WireError(f"unknown request part {tag}")
    return tagged


#: Most characters of what one call prints that the grader receives.
MAX_PRINTED = 64 * 1024


def _own_state():
    """Whether NumPy's error state and the warning filters are the ones set
    here: an overflow must raise, and so must a warning.  False when student
    code changed them (``np.seterr``, a patched ``np.errstate``, its own
    warning filters or ``showwarning``, a hook)."""
    try:
        np.exp(np.array([1000.0]))
        return False
    except FloatingPointError:
        pass
    try:
        warnings.warn("a check of the grader", RuntimeWarning)
        return False
    except RuntimeWarning:
        pass
    return all(np.geterr()[kind] == "raise" for kind in ("over", "divide", "invalid"))


def _call(target, args, kwargs, quiet, printed, report):
    with contextlib.redirect_stdout(printed):
        if not quiet:
            return target(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.resetwarnings()
            warnings.simplefilter("error")
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                own = _own_state()
                value = target(*args, **kwargs)
                report["quiet"] = own and _own_state()
        return value


def _after(values):
    """What mutable arguments hold after a call, for the grader to compare
    (containers too: an array inside a tuple of parameters can be changed)."""
    return {key: value for key, value in values.items()
            if type(value) in (np.ndarray, dict, list, tuple)}


def _dispatch(request, decode, printed, report):
    op = request["op"]
    if op == "name":
        namespace = _namespace()
        if request["name"] not in namespace:
            raise NameError(f"name {request['name']!r} is not defined")
        return namespace[request["name"]], None
    if op == "call":
        if "random_state" in request:        # the test seeded or drew: one stream, as in a notebook
            np.random.set_state(decode(request["random_state"]))
        target = decode(request["target"])
        args = decode(request["args"])
        kwargs = decode(request["kwargs"])
        value = _call(target, args, kwargs, request.get("quiet"), printed, report)
        after = _after({**{str(i): a for i, a in enumerate(args)},
                        **{f"kw:{k}": v for k, v in kwargs.items()}})
        return value, after
    target = decode(request["target"]) if "target" in request else None
    if op == "getattr":
        return getattr(target, request["name"]), None
    if op == "setattr":
        setattr(target, request["name"], decode(request["value"]))
        return None, None
    if op == "random_state":             # the notebook's stream, for a test that uses it
        return np.random.get_state(), None
    if op == "copyto":                   # a test changed an array it was given, in place
        array, values = target, decode(request["value"])
        if type(array) is np.ndarray and type(values) is np.ndarray \
                and array.shape == values.shape:
            np.copyto(array, values, casting="unsafe")
        return None, None
    if op == "len":
        return len(target), None
    if op == "iter":
        return iter(target), None
    if op == "next":
        return next(target), None
    if op == "getitem":
        return target[decode(request["key"])], None
    if op == "lend":
        namespace = _namespace()
        for name, value in decode(request["names"]).items():
            _LENT.setdefault(name, namespace.get(name, _ABSENT))
            namespace[name] = value
        return None, None
    if op == "provide":                  # earlier notebooks' answers, for utils.earlier
        from utils import earlier
        earlier.PROVIDED.clear()
        earlier.PROVIDED.update(decode(request["answers"]))
        return None, None
    if op == "restore":
        if "random_state" in request:
            np.random.set_state(decode(request["random_state"]))
        namespace = _namespace()
        for name, value in _LENT.items():
            if value is _ABSENT:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        _LENT.clear()
        _OBJECTS.clear()
        return None, None
    raise ValueError(f"unknown request {op!r}")


def serve(text):
    """Carry out one request of the grader; leave the answer in :data:`REPLY`."""
    global REPLY
    REPLY = ""
    request = json.loads(text)
    reply = {"nonce": request["nonce"]}
    try:
        built, printed = [], io.StringIO()
        tagged = _decoder(built)                 # one per request: shared objects stay shared
        try:
            value, after = _dispatch(request, lambda v: wire.from_plain(v, tagged), printed, reply)
        finally:
            try:
                flush()             # in-place changes reach the grader before it reads on
            except Exception:  # noqa: BLE001 - a refused change is the student's own
                _PENDING.clear()
            if printed.getvalue():
                reply["printed"] = printed.getvalue()[:MAX_PRINTED]
        reply["value"] = wire.to_plain(value, _kept, array=_held)
        if after:
            reply["after"] = wire.to_plain(after, _kept)
        if built and request["op"] == "call":
            reply["objects"] = wire.to_plain([[n, dict(vars(obj))] for n, obj in built],
                                             _kept)
    except BaseException as err:  # noqa: BLE001 - every failure is reported, as data
        reply.pop("value", None)
        reply["error"] = [type(err).__name__, str(err)[:4000]]
    try:
        REPLY = json.dumps(reply, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as err:
        REPLY = json.dumps({"nonce": request["nonce"], "error": ["ValueError", str(err)]})


def receive_files(inbox):
    """Copy the files the grader put in ``inbox`` into the working folder,
    read-only.  Runs before any student code, once per kernel start."""
    import os
    import shutil
    for parent, _, names in os.walk(inbox, followlinks=False):
        for name in names:
            source = os.path.join(parent, name)
            if os.path.islink(source) or not os.path.isfile(source):
                continue
            target = os.path.join(os.getcwd(), os.path.relpath(source, inbox))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
            os.chmod(target, 0o444)
