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
"""
import builtins
import contextlib
import io
import json
import warnings

import numpy as np

from . import wire

#: The last answer, as JSON text, read by the grader after each request.
REPLY = ""

_OBJECTS = {}          # handle number -> object kept for the grader
_LENT = {}             # name -> what the notebook had there before a loan
_ABSENT = object()
_COUNTER = [0]


def _namespace():
    from IPython import get_ipython
    shell = get_ipython()
    return shell.user_ns if shell is not None else vars(__import__("__main__"))


def _keep(obj):
    _COUNTER[0] += 1
    _OBJECTS[_COUNTER[0]] = obj
    return {"R": [_COUNTER[0], type(obj).__name__]}


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
        if tag == "mod":
            return __import__(body)
        if tag == "np" and isinstance(body, str) and body.isidentifier():
            return getattr(np, body)
        raise wire.WireError(f"unknown request part {tag}")
    return tagged


#: Most characters of what one call prints that the grader receives.
MAX_PRINTED = 64 * 1024


def _call(target, args, kwargs, quiet, printed):
    with contextlib.redirect_stdout(printed):
        if not quiet:
            return target(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="raise", divide="raise", invalid="raise"):
                return target(*args, **kwargs)


def _after(values):
    """What mutable arguments hold after a call, for the grader to compare
    (containers too: an array inside a tuple of parameters can be changed)."""
    return {key: value for key, value in values.items()
            if type(value) in (np.ndarray, dict, list, tuple)}


def _dispatch(request, decode, printed):
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
        value = _call(target, args, kwargs, request.get("quiet"), printed)
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
            value, after = _dispatch(request, lambda v: wire.from_plain(v, tagged), printed)
        finally:
            if printed.getvalue():
                reply["printed"] = printed.getvalue()[:MAX_PRINTED]
        reply["value"] = wire.to_plain(value, _keep, array=_held)
        if after:
            reply["after"] = wire.to_plain(after, _keep)
        if built and request["op"] == "call":
            reply["objects"] = wire.to_plain([[n, dict(vars(obj))] for n, obj in built],
                                             _keep)
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
