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


class CannotSend(BaseException):
    """A test tried to send the kernel something that has no plain form:
    a mistake in the test, never the student's."""


def student_error(kind, message):
    """An exception that says what student code raised.

    Both texts come from the kernel: the name must look like one, and the
    message is cut short, whatever the kernel's side did.
    """
    kind = kind if kind.isidentifier() and len(kind) <= 60 else "an unnamed error"
    message = message[:2000]
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


class KernelArray(np.ndarray):
    """An array the kernel answered with: its values here, and what a test
    writes into it in place (``net.W[...] = 1.0``, ``value += noise``, through
    a view too) is written into the kernel's array, as in a notebook.

    Results of arithmetic are plain arrays; a copy is a plain array too.
    """

    _live = None        # (session, handle) of the array that came from the kernel
    _root = None        # that array, for views of it

    @classmethod
    def live(cls, values, session, handle):
        array = values.view(cls)
        array._live, array._root = (session, handle), array
        return array

    def __array_finalize__(self, obj):
        root = getattr(obj, "_root", None)
        self._live = None
        self._root = root if root is not None and np.may_share_memory(self, root) else None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(x) if isinstance(x, KernelArray) else x for x in inputs]
        outs = kwargs.get("out") or ()
        if outs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, KernelArray) else o
                                  for o in outs)
        result = getattr(ufunc, method)(*plain, **kwargs)
        for out in outs:
            if isinstance(out, KernelArray):
                out._write_back()
        if outs and len(outs) == 1 and isinstance(outs[0], KernelArray):
            return outs[0]
        return result

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._write_back()

    def fill(self, value):
        super().fill(value)
        self._write_back()

    def _write_back(self):
        root = self._root
        if root is not None and root._live is not None:
            session, handle = root._live
            session.request("copyto", target=Remote(session, handle, "ndarray"),
                            value=np.array(root))


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
        except (OSError, TypeError):
            raise CannotSend(f"cannot send {obj!r} to the kernel: no source") from None
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
            raise CannotSend("the value to send is nested too deeply")
        if isinstance(value, Remote):
            if value._session is not self.session:
                raise CannotSend("an object of another kernel cannot be sent")
            return {"R": [value._handle, value._kind]}
        if isinstance(value, KernelArray):
            if value._live is not None and value._live[0] is self.session:
                return {"R": [value._live[1], "ndarray"]}   # the kernel's own array
            value = np.array(value)
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
                raise CannotSend(f"module {value.__name__} cannot be sent to the kernel")
            return {"mod": value.__name__}
        name = getattr(value, "__name__", None)
        if isinstance(name, str) and name.isidentifier() and getattr(np, name, None) is value:
            return {"np": name}              # np.tanh, np.exp: the kernel's own numpy
        if isinstance(value, (types.FunctionType, type)):
            source, name = _source_of(value)
            names = []
            for ref_name, ref_value in sorted(_referenced(value).items()):
                if isinstance(ref_value, types.ModuleType) and ref_value.__name__ not in \
                        MODULES.values():
                    continue
                try:
                    names.append([ref_name, self(ref_value, depth + 1)])
                except CannotSend:
                    continue        # not needed, or not sendable: a NameError if used
            return {"C": {"source": source, "name": name, "globals": names}}
        if hasattr(value, "__dict__") and hasattr(type(value), "__nnkit_source__") \
                or type(value).__module__.startswith("utils.grader"):
            return {"O": [self(type(value), depth + 1), self(dict(vars(value)), depth + 1)]}
        raise CannotSend(f"a {type(value).__name__} cannot be sent to the kernel")

    @staticmethod
    def _refuse(value):
        raise CannotSend(f"a {type(value).__name__} cannot be sent to the kernel")


def _changeable(value):
    return isinstance(value, np.ndarray) or type(value) in (dict, list, tuple)


def _same_kind(one, other):
    if isinstance(one, np.ndarray) or isinstance(other, np.ndarray):
        return isinstance(one, np.ndarray) and isinstance(other, np.ndarray)
    return type(one) is type(other)


def _sync(old, new, depth=0):
    """Make the grader's ``old`` hold what the kernel's copy of it holds now,
    changing arrays, lists and dicts in place (a test keeps references to them)."""
    if depth > wire.MAX_DEPTH:
        return
    if isinstance(old, np.ndarray):
        if isinstance(new, np.ndarray) and old.shape == new.shape \
                and not np.array_equal(old, new, equal_nan=old.dtype.kind in "fc"):
            np.copyto(old, new, casting="unsafe")
    elif type(old) is dict and type(new) is dict:
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            if key in old and _changeable(old[key]) and _same_kind(old[key], value):
                _sync(old[key], value, depth + 1)
            else:
                old[key] = value
    elif type(old) is list and type(new) is list:
        if len(old) != len(new):
            old[:] = new
            return
        for index, value in enumerate(new):
            if _changeable(old[index]) and _same_kind(old[index], value):
                _sync(old[index], value, depth + 1)
            else:
                old[index] = value
    elif type(old) is tuple and type(new) is tuple and len(old) == len(new):
        for before, value in zip(old, new):
            _sync(before, value, depth + 1)


def _same_state(one, other):
    return one[0] == other[0] and one[2:] == other[2:] and np.array_equal(one[1], other[1])


class KernelSession:
    """Requests to one student's kernel, for the test cells of one notebook.

    NumPy's global random generator runs as one stream, as in a notebook: a
    test that uses it starts from the kernel's state (:meth:`adopt_random_state`);
    when the test seeds it or draws from it (``random_touched``, or a changed
    state), the next call hands the kernel the grader's state, so the
    student's code draws on where the test's draws ended.

    ``transport(code, expression)`` runs ``code`` in the kernel and returns
    the text the kernel gives for ``expression`` (or raises
    :class:`KernelLost`).
    """

    AGENT = "__import__('utils.grader.agent', fromlist=['serve'])"

    def __init__(self, transport):
        self.transport = transport
        self.quiet = False
        self.requests = 0
        #: Where the test's own printout goes; what student code prints during a
        #: call is passed on only to a stream the test set up to read it.
        self.own_output = None
        self._random_state = np.random.get_state()
        #: Set when the test seeds NumPy's global generator.
        self.random_touched = False

    def request(self, op, **fields):
        """Send one request; return its decoded answer or raise what student code raised."""
        return self._send(op, fields)

    def _send(self, op, fields):
        nonce = secrets.token_hex(12)
        encode = _Encoder(self)
        payload = {"nonce": nonce, "op": op}
        for key, value in fields.items():
            payload[key] = value if key == "name" else encode(value)
        text = json.dumps(payload, allow_nan=False)
        self.requests += 1
        raw = self.transport(f"{self.AGENT}.serve({text!r})", f"{self.AGENT}.REPLY")
        reply = self._reply(raw, nonce)
        printed = reply.get("printed")
        if isinstance(printed, str) and printed and sys.stdout is not self.own_output:
            sys.stdout.write(printed[:wire.MAX_STRING])
        if "error" in reply:
            kind, message = reply["error"]
            if kind == "KeyboardInterrupt":
                raise KernelLost("interrupted")
            raise student_error(kind, message)
        try:
            value = wire.from_plain(reply.get("value"), self._tagged)
            if "after" in reply:
                self._update(fields, wire.from_plain(reply["after"], self._tagged))
            if "objects" in reply:
                self._update_objects(encode, wire.from_plain(reply["objects"], self._tagged))
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
        if tag == "H" and isinstance(body, list) and len(body) == 2 and type(body[0]) is int \
                and isinstance(body[1], dict) and set(body[1]) == {"A"}:
            array = decode(body[1])
            if type(array) is not np.ndarray:
                raise wire.WireError("malformed array")
            return KernelArray.live(array, self, body[0])
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
            if key.startswith("kw:") and key[3:] in kwargs:
                _sync(kwargs[key[3:]], new)
            elif key.isdigit() and int(key) < len(args):
                _sync(args[int(key)], new)

    @staticmethod
    def _update_objects(encode, objects):
        """Copy the attributes a call left on the test's own objects (a stand-in
        model's counters, a network's trained weights) into the grader's copies.
        Values that stayed in the kernel (handles) are not copied."""
        if not isinstance(objects, list):
            return
        for entry in objects:
            if not (isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int
                    and 0 <= entry[0] < len(encode.alive) and isinstance(entry[1], dict)):
                continue
            target = encode.alive[entry[0]]
            state = getattr(target, "__dict__", None)
            if not isinstance(state, dict):
                continue
            for key, new in entry[1].items():
                if isinstance(key, str) and key.isidentifier() and not isinstance(new, Remote):
                    state[key] = new

    # -- the requests a test cell makes ---------------------------------------
    def name(self, name):
        """What the notebook's name ``name`` holds (NameError when it holds nothing)."""
        return self.request("name", name=name)

    def _random_fields(self):
        """``{"random_state": ...}`` when the test seeded or drew since the last call."""
        state = np.random.get_state()
        if self.random_touched or not _same_state(state, self._random_state):
            self._random_state, self.random_touched = state, False
            return {"random_state": state}
        return {}

    def call(self, target, args, kwargs):
        fields = self._random_fields()
        return self.request("call", target=target, args=tuple(args), kwargs=dict(kwargs),
                            quiet=self.quiet, **fields)

    def adopt_random_state(self):
        """Continue the notebook's global NumPy stream in the grader: a test that
        saves the state and puts it back (``np.random.get_state()``) then saves
        and restores the kernel's.  Only a test that draws before seeding reads
        numbers the student's code could have chosen, as it would in a notebook."""
        state = self.request("random_state")
        try:
            if not (isinstance(state, tuple) and len(state) == 5 and state[0] == "MT19937"):
                raise ValueError("not a generator state")
            np.random.set_state((state[0], np.array(state[1], dtype=np.uint32), int(state[2]),
                                 int(state[3]), float(state[4])))
        except (TypeError, ValueError):
            return
        self._random_state, self.random_touched = np.random.get_state(), False

    def in_kernel(self, func, *args, **kwargs):
        """Run the grader's ``func`` inside the kernel on kernel objects.

        For grading scaffolding that must change a student's object where it
        lives (a class prepared to grade one method on its own); ``func``
        travels as source code, so never send an answer this way.
        """
        return self.request("call", target=func, args=tuple(args), kwargs=dict(kwargs),
                            quiet=False)

    def lend(self, **names):
        """Put the grader's own versions of earlier exercises in the notebook's namespace.

        Only for the duration of one test cell: :meth:`restore` puts back what
        the student had.  Never lend the function being graded.
        """
        self.request("lend", names=dict(names))

    def restore(self):
        """Undo :meth:`lend` and forget the objects kept for this test; leave the
        kernel's random stream where the test left its own (a test that saves and
        restores the state leaves the notebook's stream as it was)."""
        self.request("restore", **self._random_fields())
