"""The grader's side of a student's kernel: objects that live there, as proxies.

A test cell runs in the grading process.  When it touches the student's
work, a :class:`Remote` stands in for it: calling it, reading an attribute,
``len``, iterating or indexing it becomes one request to the kernel (see
:mod:`utils.grader.agent`).  Answers come back as plain data, decoded
strictly (:mod:`utils.grader.wire`); objects that are not plain data stay in
the kernel and come back as new proxies.

What the grader sends is plain data too, and a few things the kernel needs
to run a test: a handle to one of its own objects, a random generator, and
the source code of a function or class defined in the test cell itself (a
stand-in data set, a lambda to differentiate).  An array or dict the test
made and sent as an argument is compared after the call and the grader's
copy updated, so a test can see whether the student's code changed its input.

Nothing of the reference enters the kernel.  A function, class or object of
the grader's that is not the test's own (a reference version of an *earlier*
exercise lent with :meth:`KernelSession.lend`, a reference network handed to
the student's training loop) crosses as a *loan*: a stand-in in the kernel
that holds only a number.  Calling it, reading or setting an attribute, or
writing into an array it gave, asks the grader through the kernel's input
channel while a request of this test is running (:meth:`KernelSession.answer`);
the grader runs its own object on the plain data sent and answers with plain
data.  When the test is over the loans are closed: a stand-in kept by student
code answers nothing, and its code was never in the kernel to be read.

Replies are data: they change only the objects the test itself created for a
call (an argument it sent, an instance of a class it defined), never a module,
function, class or reference object of the grader, or anything of the
grader's own state (:func:`utils.grader.integrity.protected`).
"""
import builtins
import contextlib
import enum
import inspect
import io
import json
import secrets
import sys
import textwrap
import types

import numpy as np

from . import integrity, wire
from .intake import safe_text

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


class Lost(enum.Enum):
    """How a request lost the kernel (:attr:`KernelLost.kind`)."""
    GONE = "gone"                    # the kernel process stopped: exited, crashed, out of memory
    STUCK = "stuck"                  # ran over its time and did not stop when interrupted
    LATE = "late"                    # ran over its time; the interrupt stopped it
    INTERRUPTED = "interrupted"      # the request was interrupted in the kernel

    @property
    def usable(self):
        """Whether the kernel can run the next request (else it must be restarted)."""
        return self in (Lost.LATE, Lost.INTERRUPTED)


class KernelLost(BaseException):
    """The kernel stopped, or did not answer in time: ``kind`` (a :class:`Lost`)
    says which, ``why`` says it in words for the messages.

    Like the two below, a ``BaseException``: a test's ``except Exception``
    must not take the grader's own trouble for a mistake of the student.
    """

    def __init__(self, why, kind):
        super().__init__(why)
        self.why = why
        self.kind = Lost(kind)

    def __reduce__(self):
        return type(self), (self.why, self.kind)


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
    message = "".join(c if c.isprintable() or c == "\n" else "?" for c in str(message)[:2000])
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


class KernelArray(wire.WritesBack):
    """An array the kernel answered with: its values here, and what a test
    writes into it in place (``net.W[...] = 1.0``, ``value += noise``, through
    a view too) is written into the kernel's array, as in a notebook.

    Results of arithmetic are plain arrays; a copy is a plain array too.
    """

    @classmethod
    def live(cls, values, session, handle):
        return cls.crossed(values, (session, handle))

    @property
    def _live(self):
        """``(session, handle)`` of an array that came from the kernel, else None."""
        return self._origin

    def _write_back(self):
        session, handle = self._origin
        session.request("copyto", target=Remote(session, handle, "ndarray"),
                        value=np.array(self))


def ships(obj):
    """Whether ``obj`` crosses to the kernel as source code: a function or class
    defined in the test cell (it was marked with its source), or grading
    scaffolding a reference module marks with ``__nnkit_ships__`` (code that
    prepares a student's class, never an answer).  Anything else of the
    grader's crosses as a loan."""
    own = getattr(obj, "__dict__", None)
    return isinstance(own, (dict, types.MappingProxyType)) and (
        own.get("__nnkit_source__") is not None or own.get("__nnkit_ships__") is True)


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

    def __init__(self, session, ship_all=False):
        self.session = session
        self.memo = {}
        self.alive = []          # keeps ids in the memo valid for the request
        #: Send every function and class as source (only for what
        #: :func:`utils.earlier.load_answers` is given; see execute.py).
        self.ship_all = ship_all

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
        if isinstance(value, (types.FunctionType, type)) and (self.ship_all or ships(value)):
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
        if isinstance(getattr(value, "__dict__", None), dict) and ships(type(value)):
            # an instance of a class of the test: its state travels, and comes back
            return {"O": [self(type(value), depth + 1), self(dict(vars(value)), depth + 1)]}
        if callable(value) or isinstance(getattr(value, "__dict__", None), dict):
            return self.session.loan(value)
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
    if depth > wire.MAX_DEPTH or integrity.protected(old):
        return
    if isinstance(old, np.ndarray):
        if not old.flags.writeable:
            return
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
        #: What this test lent the kernel: a secret the kernel's stand-ins quote,
        #: and the grader's objects by number.  Closed by :meth:`restore`.
        self.token = secrets.token_hex(12)
        self._loans, self._loan_numbers = {}, {}
        self._kernel_stream = None      # the kernel's random state, as its stand-ins last said
        self._answering = False
        #: What stand-ins asked of the grader (for a test, and the instructor's copy).
        self.answered = 0
        #: Things the instructor should look at, found while the test ran.
        self.flags = set()
        #: Send the grader's functions as code (see execute.py, earlier answers).
        self.ship_all = False

    def request(self, op, **fields):
        """Send one request; return its decoded answer or raise what student code raised."""
        return self._send(op, fields)

    def _send(self, op, fields):
        if self._answering:
            # The kernel is waiting for the grader's answer: a request now would
            # wait for the kernel in turn.
            raise CannotSend("a lent function cannot ask the kernel while the kernel waits for it")
        nonce = secrets.token_hex(12)
        encode = _Encoder(self, self.ship_all)
        payload = {"nonce": nonce, "op": op}
        for key, value in fields.items():
            payload[key] = value if key == "name" else encode(value)
        text = json.dumps(payload, allow_nan=False)
        self.requests += 1
        raw = self.transport(f"{self.AGENT}.serve({text!r})", f"{self.AGENT}.REPLY")
        reply = self._reply(raw, nonce)
        printed = reply.get("printed")
        if isinstance(printed, str) and printed and self.own_output is not None \
                and sys.stdout is not self.own_output:
            # Passed on only to a stream the test set up to read it; never to the
            # grader's own output (a terminal, a log).
            sys.stdout.write(printed[:wire.MAX_STRING])
        if "error" in reply:
            kind, message = reply["error"]
            if kind == "KeyboardInterrupt":
                raise KernelLost("interrupted", Lost.INTERRUPTED)
            raise student_error(kind, message)
        if op == "call" and fields.get("quiet") and reply.get("quiet") is not True:
            # The kernel's error state or warning filters were not the grader's:
            # whether this call warned cannot be told, so the warning check fails.
            self.flags.add("NumPy's error state or the warning filters were changed "
                           "in the kernel (np.seterr, np.errstate, warnings)")
            raise RuntimeWarning("NumPy's error state or the warning filters were changed "
                                 "in your notebook, so the grader cannot see whether this "
                                 "computation warns: remove np.seterr, np.errstate or "
                                 "warnings.filterwarnings from your code outside your functions")
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
        # The text/plain of a str, read by a bounded reader: never evaluated.
        try:
            reply = wire.read_reply(raw)
        except wire.WireError:
            raise NoAnswer("the kernel gave no answer the grader can read") from None
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
        if tag == "L":              # a stand-in of this test's: the grader's own object
            return self._lent(body)
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
            if not isinstance(state, dict) or isinstance(target, (type, types.ModuleType)) \
                    or callable(target) or not ships(type(target)) or integrity.protected(target):
                continue        # only instances of the test's own classes take values back
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
        state = random_state(self.request("random_state"))
        if state is None:
            return
        np.random.set_state(state)
        self._random_state, self.random_touched = np.random.get_state(), False

    def in_kernel(self, func, *args, **kwargs):
        """Run the grader's ``func`` inside the kernel on kernel objects.

        For grading scaffolding that must change a student's object where it
        lives (a class prepared to grade one method on its own); ``func``
        travels as source code, so it must be a function of the test cell or
        scaffolding marked ``__nnkit_ships__`` (never an answer).  The grader's
        functions among the arguments cross as loans.
        """
        if not ships(func):
            raise CannotSend(f"{getattr(func, '__name__', func)!s} is not marked to run in "
                             "the kernel (__nnkit_ships__)")
        return self.request("call", target=func, args=tuple(args), kwargs=dict(kwargs),
                            quiet=False)

    def lend(self, **names):
        """Put the grader's own versions of earlier exercises in the notebook's namespace.

        Only for the duration of one test cell: :meth:`restore` puts back what
        the student had.  Never lend the function being graded.  The kernel
        gets stand-ins (see :meth:`loan`), never the reference's code.
        """
        self.request("lend", names=dict(names))

    def restore(self):
        """Undo :meth:`lend` and forget the objects kept for this test; leave the
        kernel's random stream where the test left its own (a test that saves and
        restores the state leaves the notebook's stream as it was).  Closes
        every loan of the test, whatever the kernel answers."""
        try:
            self.request("restore", **self._random_fields())
        finally:
            self.close()

    # -- loans: the grader's objects, answered from here -----------------------
    def loan(self, value):
        """``{"L": [...]}``: ``value`` stays here; the kernel gets a stand-in."""
        if self.token is None:
            raise CannotSend("the test is over: nothing more can be lent")
        number = self._loan_numbers.get(id(value))
        if number is None or self._loans.get(number) is not value:
            number = len(self._loans) + 1
            self._loans[number] = value
            self._loan_numbers[id(value)] = number
        kind = "class" if isinstance(value, type) else \
            "method" if isinstance(value, types.MethodType) else \
            "function" if callable(value) else "object"
        return {"L": [self.token, number, kind, str(getattr(type(value) if kind == "object"
                                                            else value, "__name__", kind))[:60]]}

    def close(self):
        """End every loan: stand-ins kept in the kernel answer nothing from now on."""
        self.token = None
        self._loans, self._loan_numbers = {}, {}

    def _lent(self, body):
        if not (isinstance(body, list) and len(body) >= 2 and self.token is not None
                and body[0] == self.token and type(body[1]) is int and body[1] in self._loans):
            raise wire.WireError("a stand-in that this test did not lend")
        return self._loans[body[1]]

    def answer(self, text):
        """The grader's answer (text) to a stand-in's question ``text`` (kernel data).

        Only loans of this test are answered, only public attributes are read or
        set, a set only on an object that is not the grader's own state, and
        nothing the kernel sends may refer to a kernel object: the kernel is
        waiting, so the grader cannot ask it anything back.
        """
        self.answered += 1
        saved = np.random.get_state()
        reply = {}
        printed = io.StringIO()
        try:
            if not isinstance(text, str) or len(text) > wire.MAX_TEXT:
                raise wire.WireError("the question is too large")
            generators = []

            def tagged(tag, body, decode):
                if tag == "L":
                    return self._lent(body)
                if tag == "G":
                    generators.append(generator_from(decode(body)))
                    return generators[-1]
                return _refuse_tag(tag)
            question = wire.loads(text, tagged)
            if not isinstance(question, dict) or question.get("token") != self.token \
                    or self.token is None:
                raise LookupError("this was lent for a test that is over: it works only "
                                  "inside the test that lent it")
            stream = random_state(question.get("random")) if "random" in question \
                else self._kernel_stream
            if stream is None:      # the agent sends the kernel's stream with its first question
                raise ValueError("the kernel's random state is missing or not valid")
            self._kernel_stream = stream        # what the kernel keeps if this fails
            np.random.set_state(stream)
            self._answering = True
            with contextlib.redirect_stdout(printed):
                value = self._carry_out(question)
            reply["value"] = wire.to_plain(value, self._loan_or_refuse, array=self._lend_array)
            if generators:
                reply["generators"] = [wire.to_plain(g.bit_generator.state, self._loan_or_refuse)
                                       for g in generators]
            after = np.random.get_state()
            if not _same_state(after, stream):
                reply["random"] = wire.to_plain(after, self._loan_or_refuse)
            self._kernel_stream = after
        except BaseException as err:  # noqa: BLE001 - the stand-in raises it in the kernel
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                raise
            reply.pop("value", None)
            kind = type(err).__name__ if type(err).__name__ in SAFE_ERRORS else "RuntimeError"
            if isinstance(err, (wire.WireError, CannotSend)):
                kind = "TypeError"
            reply["error"] = [kind, safe_text(err, 500)]
        finally:
            self._answering = False
            np.random.set_state(saved)
        if printed.getvalue():
            reply["printed"] = printed.getvalue()[:64 * 1024]
        try:
            return json.dumps(reply, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return json.dumps({"error": ["ValueError", "the answer could not be sent"]})

    def _write(self, number, values):
        """Student code changed an array the grader answered with, in place."""
        target = self._loans.get(number) if type(number) is int else None
        if not (type(target) is np.ndarray and type(values) is np.ndarray
                and target.shape == values.shape and target.flags.writeable
                and not integrity.protected(target)):
            raise ValueError("this array cannot be changed in place")
        np.copyto(target, values, casting="unsafe")

    def _carry_out(self, question):
        op = question.get("op")
        writes = question.get("writes", [])     # in-place changes since the last question
        if not isinstance(writes, list) or len(writes) > 1000:
            raise ValueError("malformed question")
        for entry in writes:
            if not (isinstance(entry, list) and len(entry) == 2):
                raise ValueError("malformed question")
            self._write(*entry)
        if op == "flush":
            return None
        target = self._loans.get(question.get("handle")) if type(question.get("handle")) is int \
            else None
        if target is None:
            raise LookupError("a stand-in that this test did not lend")
        name = question.get("name")
        if op in ("getattr", "setattr") and not (isinstance(name, str) and name.isidentifier()
                                                 and not name.startswith("_")):
            raise AttributeError("only public attributes of what the grader lends can be used")
        if op == "call":
            args, kwargs = question.get("args", ()), question.get("kwargs", {})
            if not (isinstance(args, tuple) and isinstance(kwargs, dict)
                    and all(isinstance(k, str) for k in kwargs)):
                raise TypeError("malformed call")
            return target(*args, **kwargs)
        if op == "getattr":
            return getattr(target, name)
        if op == "setattr":
            if isinstance(target, (type, types.ModuleType, types.FunctionType, types.MethodType)) \
                    or integrity.protected(target):
                raise AttributeError(f"{name} cannot be set on what the grader lends")
            setattr(target, name, question.get("value"))
            return None
        if op == "write":
            self._write(question.get("handle"), question.get("value"))
            return None
        if op == "len":
            return len(target)
        if op == "getitem":
            return target[question.get("key")]
        if op == "iter":
            items = []
            for item in target:
                items.append(item)
                if len(items) > wire.MAX_ITEMS:
                    raise ValueError("too many items")
            return items
        raise ValueError(f"unknown question {op!r}")

    def _loan_or_refuse(self, value):
        if isinstance(value, (Remote, KernelArray)):
            raise CannotSend("a kernel object cannot be part of the answer")
        return self.loan(value)

    def _lend_array(self, array):
        """An array the grader answers with: the kernel's copy writes back into
        it, unless it is the grader's own state."""
        if integrity.protected(array) or not array.flags.writeable:
            return wire.encode_array(array)
        return {"LA": [self.token, self.loan(array)["L"][1], wire.encode_array(array)]}


def _refuse_tag(tag):
    raise wire.WireError(f"unexpected part {tag!r} in a stand-in's question")


#: Bit generators a random generator from the kernel may be built on.
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def generator_from(state):
    """A NumPy ``Generator`` in the state the kernel sent (checked by NumPy)."""
    if not (isinstance(state, dict) and state.get("bit_generator") in BIT_GENERATORS):
        raise wire.WireError("not the state of a random generator")
    generator = np.random.Generator(getattr(np.random, state["bit_generator"])())
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise wire.WireError(f"not the state of a random generator ({err})") from None
    return generator


def random_state(value):
    """``value`` as a NumPy ``MT19937`` state the grader may set, or ``None``.

    It came from the kernel: exactly the legacy generator's 5-tuple, a key of
    624 32-bit words, a position within it, a Gaussian flag and a float.
    """
    try:
        name, key, pos, has_gauss, cached = value
        # The key may come as a kernel array (an ndarray that writes back): only
        # its values are kept.
        if name != "MT19937" or not isinstance(key, np.ndarray) or key.shape != (624,) \
                or key.dtype.kind not in "iu" or type(pos) is not int or not 0 <= pos <= 624 \
                or has_gauss not in (0, 1) or type(has_gauss) is not int \
                or type(cached) is not float:
            return None
        if key.min(initial=0) < 0 or key.max(initial=0) > 0xFFFFFFFF:
            return None
        return ("MT19937", np.array(key, dtype=np.uint32), pos, has_gauss, cached)
    except (TypeError, ValueError):
        return None
