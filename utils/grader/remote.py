"""The grader's side of a student's kernel: objects that live there, as proxies.

A test cell runs in the grading process.  When it touches the student's
work, a :class:`Remote` stands in for it: calling it, reading an attribute,
``len``, iterating or indexing it becomes one request to the kernel (see
:mod:`utils.grader.agent`).  Answers come back as plain data, decoded
strictly (:mod:`utils.grader.wire`); objects that are not plain data stay in
the kernel and come back as new proxies.

What the grader sends is plain data too, and a few things the kernel needs
to run a test: a handle to one of its own objects, a random generator, and
the source code of a function or class of the test (a stand-in data set,
a lambda to differentiate, a reference version of an *earlier* exercise
lent with :meth:`KernelSession.lend`).  An array or dict sent as an argument
is compared after the call and the grader's copy updated, so a test can see
whether the student's code changed its input.
"""
import ast
import builtins
import inspect
import json
import secrets
import sys
import textwrap
import types

import numpy as np

from . import wire

#: Errors of student code that a test may catch by type; anything else
#: arrives as :class:`StudentError`.
SAFE_ERRORS = {name: getattr(builtins, name) for name in (
    "ArithmeticError", "AssertionError", "AttributeError", "FloatingPointError",
    "IndexError", "KeyError", "LookupError", "NameError", "NotImplementedError",
    "OverflowError", "RecursionError", "RuntimeError", "StopIteration", "TypeError",
    "UnboundLocalError", "ValueError", "ZeroDivisionError", "RuntimeWarning",
    "MemoryError", "UnicodeError")}

#: Modules a shipped function may refer to by name.
MODULES = {"np": "numpy", "numpy": "numpy", "math": "math"}


class StudentError(Exception):
    """Student code raised an exception of a type the grader does not recreate."""


class KernelLost(BaseException):
    """The kernel stopped, or did not answer in time; ``why`` says which.

    Like the two below, a ``BaseException``: a test's ``except Exception``
    must not take the grader's own trouble for a mistake of the student.
    """

    def __init__(self, why):
        super().__init__(why)
        self.why = why


class NoAnswer(BaseException):
    """The kernel answered, but not with an answer to this request."""


class BadAnswer(BaseException):
    """The answer is not plain data of the allowed form and size."""


def student_error(kind, message):
    """An exception that says what student code raised."""
    cls = SAFE_ERRORS.get(kind)
    if kind in ("KeyboardInterrupt", "SystemExit"):
        return StudentError(f"{kind}: {message}" if message else kind)
    if cls is None:
        return StudentError(f"{kind}: {message}")
    error = cls(message)
    error.from_student = True
    return error


class Remote:
    """An object that stays in the student's kernel."""

    __slots__ = ("_session", "_handle", "_kind")

    def __init__(self, session, handle, kind):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_kind", kind)

    def __call__(self, *args, **kwargs):
        return self._session.call(self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._session.request("getattr", target=self, name=name)

    def __setattr__(self, name, value):
        self._session.request("setattr", target=self, name=name, value=value)

    def __len__(self):
        value = self._session.request("len", target=self)
        if type(value) is not int or value < 0:
            raise TypeError("len() of the student's object did not give a whole number")
        return value

    def __iter__(self):
        return self._session.request("iter", target=self)

    def __next__(self):
        return self._session.request("next", target=self)

    def __getitem__(self, key):
        return self._session.request("getitem", target=self, key=key)

    def __repr__(self):
        return f"<{self._kind} object>"


def mark_source(obj, source):
    """Remember the source text of a function or class defined in a test cell."""
    try:
        obj.__nnkit_source__ = source
    except (AttributeError, TypeError):
        pass
    return obj


def _source_of(obj):
    text = getattr(obj, "__nnkit_source__", None)
    if text is None:
        try:
            text = inspect.getsource(obj)
        except (OSError, TypeError) as err:
            raise TypeError(f"cannot send {obj!r} to the kernel: no source") from err
    text = textwrap.dedent(text)
    if isinstance(obj, types.LambdaType) and obj.__name__ == "<lambda>":
        return "_shipped_lambda = " + text.strip(), "_shipped_lambda"
    return text, obj.__name__


def _code_names(code):
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _referenced(obj):
    """``{name: value}`` of the globals and closure cells ``obj`` reads."""
    if isinstance(obj, type):
        functions = []
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)
            if isinstance(value, property):
                value = value.fget
            if isinstance(value, types.FunctionType):
                functions.append(value)
        scope = getattr(obj, "__nnkit_globals__", None) or vars(sys.modules[obj.__module__])
    else:
        functions = [obj]
        scope = obj.__globals__
    found = {}
    for function in functions:
        cells = dict(zip(function.__code__.co_freevars, function.__closure__ or ()))
        for name in _code_names(function.__code__):
            if name in cells:
                try:
                    found[name] = cells[name].cell_contents
                except ValueError:
                    pass
            elif name in scope and name != getattr(obj, "__name__", None):
                found[name] = scope[name]
    return found


class _Encoder:
    """Grader values as request data, each shared object sent once."""

    def __init__(self, session):
        self.session = session
        self.memo = {}
        self.alive = []          # keeps ids in the memo valid for the request

    def __call__(self, value, depth=0):
        if depth > wire.MAX_DEPTH:
            raise TypeError("the value to send is nested too deeply")
        if isinstance(value, Remote):
            if value._session is not self.session:
                raise TypeError("an object of another kernel cannot be sent")
            return {"R": [value._handle, value._kind]}
        if value is None or type(value) in (bool, int, float, str) \
                or isinstance(value, np.generic):
            return wire.to_plain(value, self._refuse)
        if type(value) is tuple:
            return {"T": [self(v, depth + 1) for v in value]}
        key = id(value)
        if key in self.memo:
            return {"m": self.memo[key]}
        self.memo[key] = mid = len(self.memo)
        self.alive.append(value)
        return {"M": [mid, self._body(value, depth)]}

    def _body(self, value, depth):
        if type(value) is np.ndarray:
            return wire.encode_array(value)
        if type(value) is list:
            return [self(v, depth + 1) for v in value]
        if type(value) is dict:
            return {"D": [[k, self(v, depth + 1)] for k, v in value.items()]}
        if isinstance(value, np.random.Generator):
            return {"G": wire.to_plain(value.bit_generator.state, self._refuse)}
        if isinstance(value, types.ModuleType):
            if value.__name__ not in MODULES.values():
                raise TypeError(f"module {value.__name__} cannot be sent to the kernel")
            return {"mod": value.__name__}
        if isinstance(value, (types.FunctionType, type)):
            source, name = _source_of(value)
            names = []
            for ref_name, ref_value in sorted(_referenced(value).items()):
                if isinstance(ref_value, types.ModuleType) and ref_value.__name__ not in \
                        MODULES.values():
                    continue
                try:
                    names.append([ref_name, self(ref_value, depth + 1)])
                except TypeError:
                    continue        # not needed, or not sendable: a NameError if used
            return {"C": {"source": source, "name": name, "globals": names}}
        if hasattr(value, "__dict__") and hasattr(type(value), "__nnkit_source__") \
                or type(value).__module__.startswith("utils.grader"):
            return {"O": [self(type(value), depth + 1), self(dict(vars(value)), depth + 1)]}
        raise TypeError(f"a {type(value).__name__} cannot be sent to the kernel")

    @staticmethod
    def _refuse(value):
        raise TypeError(f"a {type(value).__name__} cannot be sent to the kernel")


class KernelSession:
    """Requests to one student's kernel, for the test cells of one notebook.

    ``transport(code, expression)`` runs ``code`` in the kernel and returns
    the text the kernel gives for ``expression`` (or raises
    :class:`KernelLost`).
    """

    AGENT = "__import__('utils.grader.agent', fromlist=['serve'])"

    def __init__(self, transport):
        self.transport = transport
        self.quiet = False
        self.requests = 0

    def request(self, op, **fields):
        """Send one request; return its decoded answer or raise what student code raised."""
        nonce = secrets.token_hex(12)
        encode = _Encoder(self)
        payload = {"nonce": nonce, "op": op}
        for key, value in fields.items():
            payload[key] = value if key == "name" else encode(value)
        text = json.dumps(payload, allow_nan=False)
        self.requests += 1
        raw = self.transport(f"{self.AGENT}.serve({text!r})", f"{self.AGENT}.REPLY")
        reply = self._reply(raw, nonce)
        if "error" in reply:
            kind, message = reply["error"]
            if kind == "KeyboardInterrupt":
                raise KernelLost("interrupted")
            raise student_error(kind, message)
        try:
            value = wire.from_plain(reply.get("value"), self._tagged)
            if "after" in reply:
                self._update(fields, wire.from_plain(reply["after"], self._tagged))
        except (wire.WireError, ValueError, TypeError) as err:
            raise BadAnswer(str(err)) from None
        return value

    def _reply(self, raw, nonce):
        try:
            text = ast.literal_eval(raw) if isinstance(raw, str) and len(raw) < wire.MAX_TEXT \
                else None
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            text = None
        if not isinstance(text, str):
            raise NoAnswer("the kernel gave no answer the grader can read")
        try:
            reply = json.loads(text, parse_constant=wire._no_constant)
        except (ValueError, RecursionError, wire.WireError):
            raise NoAnswer("the kernel's answer is not valid") from None
        if not isinstance(reply, dict) or reply.get("nonce") != nonce:
            raise NoAnswer("the kernel's answer does not belong to the grader's question")
        error = reply.get("error")
        if error is not None and not (isinstance(error, list) and len(error) == 2
                                      and all(isinstance(e, str) for e in error)):
            raise NoAnswer("the kernel's answer is not valid")
        return reply

    def _tagged(self, tag, body, decode):
        if tag == "R" and isinstance(body, list) and len(body) == 2 \
                and type(body[0]) is int and isinstance(body[1], str):
            return Remote(self, body[0], body[1][:80])
        raise wire.WireError(f"unexpected part {tag!r} in the answer")

    @staticmethod
    def _update(fields, after):
        """Copy what the kernel's arguments hold after a call into the grader's."""
        if not isinstance(after, dict):
            return
        args, kwargs = fields.get("args", ()), fields.get("kwargs", {})
        for key, new in after.items():
            if not isinstance(key, str):
                continue
            if key.startswith("kw:"):
                old = kwargs.get(key[3:])
            elif key.isdigit() and int(key) < len(args):
                old = args[int(key)]
            else:
                continue
            if type(old) is np.ndarray and type(new) is np.ndarray and old.shape == new.shape:
                np.copyto(old, new, casting="unsafe")
            elif type(old) is dict and type(new) is dict:
                old.clear()
                old.update(new)
            elif type(old) is list and type(new) is list:
                old[:] = new

    # -- the requests a test cell makes ---------------------------------------
    def name(self, name):
        """What the notebook's name ``name`` holds (NameError when it holds nothing)."""
        return self.request("name", name=name)

    def call(self, target, args, kwargs):
        return self.request("call", target=target, args=tuple(args), kwargs=dict(kwargs),
                            quiet=self.quiet)

    def lend(self, **names):
        """Put the grader's own versions of earlier exercises in the notebook's namespace.

        Only for the duration of one test cell: :meth:`restore` puts back what
        the student had.  Never lend the function being graded.
        """
        self.request("lend", names=dict(names))

    def restore(self):
        """Undo :meth:`lend` and forget the objects kept for this test."""
        self.request("restore")
