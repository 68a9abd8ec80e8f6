"""An LTI 1.3 platform (a stand-in for the course's LMS) that the tests run on loopback.

The protocol is lti1p3platform's: its platform configuration holds the
registration (the platform's signing key, its JWKS, the tool's key) and
grants access tokens, its message launch builds the id token's claims, and
its Assignment and Grade Services answer the line item, score and result
requests.  Around them a small tornado application, in a thread with its own
IOLoop, serves on 127.0.0.1 (HTTPS when given an ``ssl.SSLContext``):

``GET /launch/<id>``
    what a browser opens (:meth:`Platform.launch_url`): the third-party
    login, a redirect to the tool's login address;
``GET|POST /authorize``
    the OIDC authentication request: an auto-submitting form that posts the
    signed id token and the state to the tool's ``redirect_uri``;
``GET /jwks``
    the platform's public key;
``POST /token``
    OAuth 2 client credentials with a JWT client assertion signed by the tool;
``/ags/<context>/lineitems[/<n>[/scores|/results]]``
    Assignment and Grade Services: the bearer token and its scope are checked
    on every request;
``GET /gradebook/<context>``
    an HTML table of the scores, for the browser test.

Every request is checked: a refusal is a 4xx status with one line saying why.
"""
import asyncio
import datetime as dt
import html
import json
import re
import secrets
import threading
import time
from urllib.parse import urlsplit

import jwt
import requests
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import (InvalidKeySetUrl, LineItemNotFoundException,
                                       LtiException, LtiServiceException,
                                       MissingRequiredClaim, PreflightRequestValidationException,
                                       UnsupportedGrantType)
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import ActivityProgress, GradeProgress, UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService

#: LIS membership roles: a short name given to :meth:`Platform.add_user` becomes this + name.
LIS_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
#: The scopes this platform grants (those of AGS it serves).
SUPPORTED_SCOPES = tuple(SCOPE + s for s in ("lineitem", "lineitem.readonly",
                                             "result.readonly", "score"))
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MEDIA = {"container": "application/vnd.ims.lis.v2.lineitemcontainer+json",
         "lineitem": "application/vnd.ims.lis.v2.lineitem+json",
         "score": "application/vnd.ims.lis.v1.score+json",
         "results": "application/vnd.ims.lis.v2.resultcontainer+json"}
#: Short names :meth:`Platform.tamper` accepts for the LTI claims.
TAMPER_CLAIMS = {"deployment_id": CLAIM + "deployment_id", "message_type": CLAIM + "message_type",
                 "version": CLAIM + "version", "roles": CLAIM + "roles",
                 "context": CLAIM + "context", "custom": CLAIM + "custom",
                 "resource_link": CLAIM + "resource_link",
                 "target_link_uri": CLAIM + "target_link_uri", "ags": AGS_CLAIM}
#: Seconds an id token is valid (lti1p3platform's default too).
ID_TOKEN_SECONDS = 300
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


def _private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(pem):
    """The public key PEM of a public or private key PEM."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        key = serialization.load_pem_private_key(data, password=None).public_key()
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _timestamp(text, what):
    """An ISO 8601 time with its zone, or a 400 refusal naming ``what``."""
    try:
        when = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise LtiServiceException(f"{what} must be an ISO 8601 time with a zone, "
                                  f"not {text!r}", 400)
    return when


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- lti1p3platform's pieces ----------------------------------------------------

class _Config(LTI1P3PlatformConfAbstract):
    """The platform as lti1p3platform sees it: one registration, the tool's key
    given as a PEM (used whatever its ``kid``) or fetched from its JWKS URL."""

    def init_platform_config(self, platform):
        self.platform = platform

    def get_registration_by_params(self, **kwargs):
        p = self.platform
        registration = (Registration().set_iss(p.issuer).set_client_id(p.client_id)
                        .set_deployment_id(p.deployment_id)
                        .set_platform_private_key(p._private_pem)
                        .set_platform_public_key(_public_pem(p._private_pem)))
        return registration

    def get_tool_key_set(self):
        url = self.platform.tool_jwks_url
        if not url:
            raise LtiException("no key of the tool is registered (tool_jwks_url or "
                               "tool_public_key_pem)")
        registration = self.get_registration()
        if registration.get_tool_key_set_url() != url:
            registration.set_tool_key_set_url(url).set_tool_key_set(None)
        return super().get_tool_key_set()

    def fetch_public_key(self, key_set_url):
        try:
            answer = requests.get(key_set_url, timeout=5, verify=self.platform.ca_bundle or True)
            answer.raise_for_status()
            return answer.json()
        except (requests.RequestException, ValueError) as err:
            raise LtiException(f"the tool's JWKS at {key_set_url} cannot be read: {err}") from err

    def get_tool_public_key(self):
        if self.platform.tool_public_key_pem:
            return _public_pem(self.platform.tool_public_key_pem).encode()
        return super().get_tool_public_key()

    def tool_validate_and_decode(self, jwt_token_string):
        """The tool's client assertion, checked whole (lti1p3platform checks the
        signature only): iss and sub are the client_id, aud the token URL, it
        carries exp, iat and a jti never seen before."""
        self.validate_jwt_format(jwt_token_string)
        claims = jwt.decode(jwt_token_string, self.get_tool_public_key(), algorithms=["RS256"],
                            audience=self.platform.token_url, leeway=5,
                            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        client = self.platform.client_id
        if claims["iss"] != client or claims["sub"] != client:
            raise LtiException(f"the assertion's iss and sub must be the client_id {client!r}")
        if claims["jti"] in self.platform._assertions_seen:
            raise LtiException("this assertion was used before (its jti is not new)")
        self.platform._assertions_seen.add(claims["jti"])
        return claims


class _Request(Request):
    """A request as lti1p3platform reads one, built by the handler."""

    def build_metadata(self, request):
        return request


class _Login(OIDCLoginAbstract):
    """The third-party login: the address of the tool's login with iss,
    login_hint, target_link_uri, lti_message_hint, client_id, lti_deployment_id."""

    def set_lti_message_hint(self, **kwargs):
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url):
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    """The id token of one resource link launch, signed as :meth:`Platform.tamper`
    asked for the next launch, and the form that posts it."""

    def __init__(self, request, config, tamper):
        super().__init__(request, config)
        self.tamper = dict(tamper)
        self.id_token_expiration = ID_TOKEN_SECONDS

    def generate_launch_request(self):
        message, state = self.get_launch_data()
        tamper = self.tamper
        now = int(time.time())
        message["iat"] = now + tamper.pop("iat_offset", 0)
        message["exp"] = now + self.id_token_expiration + tamper.pop("exp_offset", 0)
        platform = self._platform_config.platform
        key = platform._other_key() if tamper.pop("sign_with_other_key", False) \
            else self._registration.get_platform_private_key()
        headers = {"kid": tamper.pop("kid", self._registration.get_kid())}
        for name, value in tamper.items():
            claim = TAMPER_CLAIMS.get(name, name)
            if value is None:
                message.pop(claim, None)
            else:
                message[claim] = value
        return {"state": state,
                "id_token": Registration.encode_and_sign(message, key, headers=headers)}

    def render_launch_form(self, launch_data, **kwargs):
        return launch_data


class _Grades(AssignmentsGradesService):
    """lti1p3platform's Assignment and Grade Services over the platform's line items."""

    def __init__(self, request, config, platform, context):
        super().__init__(request, config, platform.lineitems_url(context))
        self.platform, self.context = platform, context

    @property
    def allowed_scopes(self):
        # the handler has checked the scope each request needs
        return list(SUPPORTED_SCOPES)

    def _item(self, line_item_id):
        item = self.platform._items.get(line_item_id)
        if item is None or item["context"] != self.context:
            raise LineItemNotFoundException(line_item_id)
        return item

    def find_lineitems(self, page=1, limit=None, line_item_id=None, resource_link_id=None,
                       resource_id=None, tag=None):
        found = [self.platform._view(i) for i in self.platform._items.values()
                 if i["context"] == self.context
                 and (resource_id is None or i["data"].get("resourceId") == resource_id)
                 and (resource_link_id is None
                      or i["data"].get("resourceLinkId") == resource_link_id)
                 and (tag is None or i["data"].get("tag") == tag)]
        if limit is None:
            return {"content": found, "has_next": False, "next": None}
        start = (page - 1) * limit
        return {"content": found[start:start + limit], "has_next": start + limit < len(found),
                "next": None}

    def find_lineitem(self, line_item_id):
        return self.platform._view(self._item(line_item_id))

    def create_lineitem(self, creation_data):
        data = _line_item_fields(creation_data)
        self.platform._counter += 1
        key = str(self.platform._counter)
        self.platform._items[key] = {"key": key, "context": self.context, "data": data,
                                     "scores": {}}
        return self.platform._view(self.platform._items[key])

    def update_lineitem(self, update_data):
        item = self._item(update_data["id"])
        item["data"] = _line_item_fields(update_data)
        return self.platform._view(item)

    def delete_lineitem(self, line_item_id):
        del self.platform._items[self._item(line_item_id)["key"]]

    def update_score(self, line_item_id, score):
        item = self._item(line_item_id)
        score = _score_fields(score)
        if score["userId"] not in self.platform._users:
            raise LtiServiceException(f"userId {score['userId']!r} is not a user of this "
                                      "platform", 422)
        before = item["scores"].get(score["userId"])
        if before is not None and _timestamp(score["timestamp"], "timestamp") < \
                _timestamp(before["timestamp"], "timestamp"):
            return UpdateScoreStatus.OLD_TIMESTAMP
        item["scores"][score["userId"]] = score
        return UpdateScoreStatus.SUCCESS if before else UpdateScoreStatus.CREATED

    def get_results(self, line_item_id, page=1, limit=None, user_id=None):
        item = self._item(line_item_id)
        url = self.platform._item_url(item)
        results = []
        for sub, score in sorted(item["scores"].items()):
            if user_id is not None and sub != user_id:
                continue
            result = {"id": f"{url}/results/{sub}", "scoreOf": url, "userId": sub}
            if "scoreGiven" in score:
                # scaled to the line item's maximum, as platforms show it
                maximum = item["data"]["scoreMaximum"]
                result["resultScore"] = score["scoreGiven"] * maximum / score["scoreMaximum"]
                result["resultMaximum"] = maximum
            if score.get("comment"):
                result["comment"] = score["comment"]
            results.append(result)
        return {"content": results, "has_next": False, "next": None}


def _line_item_fields(data):
    """The fields of a line item body, checked (a 400 names the first wrong one)."""
    if not isinstance(data, dict):
        raise LtiServiceException("a line item must be a JSON object", 400)
    label, maximum = data.get("label"), data.get("scoreMaximum")
    if not isinstance(label, str) or not label.strip():
        raise LtiServiceException("label must be a non-empty text", 400)
    if not _number(maximum) or maximum <= 0:
        raise LtiServiceException(f"scoreMaximum must be a number above 0, not {maximum!r}", 400)
    fields = {"label": label, "scoreMaximum": maximum}
    for name in ("resourceId", "tag", "resourceLinkId"):
        if name in data:
            if not isinstance(data[name], str):
                raise LtiServiceException(f"{name} must be a text", 400)
            fields[name] = data[name]
    for name in ("startDateTime", "endDateTime"):
        if name in data:
            _timestamp(data[name], name)
            fields[name] = data[name]
    if "gradesReleased" in data:
        if not isinstance(data["gradesReleased"], bool):
            raise LtiServiceException("gradesReleased must be true or false", 400)
        fields["gradesReleased"] = data["gradesReleased"]
    return fields


def _score_fields(data):
    """A score body, checked (a 400 names the first wrong field)."""
    if not isinstance(data, dict):
        raise LtiServiceException("a score must be a JSON object", 400)
    if not isinstance(data.get("userId"), str) or not data["userId"]:
        raise LtiServiceException("userId must be a non-empty text", 400)
    _timestamp(data.get("timestamp"), "timestamp")
    for name, kind in (("activityProgress", ActivityProgress),
                       ("gradingProgress", GradeProgress)):
        allowed = [member.value for member in kind]
        if data.get(name) not in allowed:
            raise LtiServiceException(f"{name} must be one of {', '.join(allowed)}, "
                                      f"not {data.get(name)!r}", 400)
    if "scoreGiven" in data:
        given, maximum = data["scoreGiven"], data.get("scoreMaximum")
        if not _number(given) or given < 0:
            raise LtiServiceException(f"scoreGiven must be a number of at least 0, "
                                      f"not {given!r}", 400)
        if not _number(maximum) or maximum <= 0:
            raise LtiServiceException("scoreMaximum must be a number above 0 when "
                                      "scoreGiven is given", 400)
    if "comment" in data and not isinstance(data["comment"], str):
        raise LtiServiceException("comment must be a text", 400)
    return dict(data)


# -- the web application ----------------------------------------------------------

class _Handler(tornado.web.RequestHandler):
    """A request of the platform: refusals are plain text, every request is logged."""

    def initialize(self, platform):
        self.platform = platform

    def refuse(self, status, why):
        raise tornado.web.HTTPError(status, "%s", why)

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        why = error.log_message % error.args if isinstance(error, tornado.web.HTTPError) \
            and error.log_message else self._reason
        if status_code == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="lti-platform"')
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{why}\n")

    def log_exception(self, typ, value, tb):
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)

    def finish(self, chunk=None):
        # Logged before the answer leaves: a client that has its answer finds
        # its request in the log (on_finish runs after the answer is sent).
        if not self._finished:
            with self.platform._lock:
                self.platform.request_log.append((self.request.method, self.request.path,
                                                  self.get_status()))
        return super().finish(chunk)

    def arguments(self):
        """The request's arguments (query or form), one value each."""
        return {k: self.get_argument(k) for k in self.request.arguments}


class _LaunchHandler(_Handler):
    def get(self, hint):
        with self.platform._lock:
            pending = self.platform._launches.get(hint)
            if pending is None:
                self.refuse(404, "no such launch")
            config = self.platform._config
            config.get_registration().set_oidc_login_url(pending["login_url"])
            login = _Login(None, config)
            login.set_lti_message_hint(hint=hint)
            login.set_launch_url(pending["target_link_uri"])
            self.redirect(login.initiate_login(pending["sub"]))


class _AuthorizeHandler(_Handler):
    def get(self):
        args = self.arguments()
        with self.platform._lock:
            self.platform._authorize(self, args)

    post = get


class _JwksHandler(_Handler):
    def get(self):
        with self.platform._lock:
            self.write(self.platform._config.get_jwks())


class _TokenHandler(_Handler):
    def post(self):
        if not (self.request.headers.get("Content-Type", "")
                .startswith("application/x-www-form-urlencoded")):
            self.refuse(415, "the token request must be application/x-www-form-urlencoded")
        args = self.arguments()
        with self.platform._lock:
            answer, status = self.platform._grant(args)
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.write(answer)


class _AgsHandler(_Handler):
    """Line items, scores and results of one context."""

    #: The scope each request needs (any one of them).
    NEEDS = {("GET", "container"): ("lineitem", "lineitem.readonly"),
             ("POST", "container"): ("lineitem",), ("GET", "item"): ("lineitem",
                                                                     "lineitem.readonly"),
             ("PUT", "item"): ("lineitem",), ("DELETE", "item"): ("lineitem",),
             ("POST", "scores"): ("score",), ("GET", "results"): ("result.readonly",)}
    #: The media type a body must have.
    BODY = {"container": MEDIA["lineitem"], "item": MEDIA["lineitem"], "scores": MEDIA["score"]}

    def handle(self, context, item=None, part=None):
        kind = part or ("item" if item else "container")
        needs = self.NEEDS.get((self.request.method, kind))
        if needs is None:
            self.refuse(405, f"{self.request.method} is not allowed here")
        with self.platform._lock:
            if self.platform._failures_left and self.platform._failure_only in \
                    self.request.path:
                self.platform._failures_left -= 1
                self.refuse(self.platform._failure_status, "the platform failed (on purpose)")
            self.platform._check_bearer(self, [SCOPE + s for s in needs])
            body = self._body(kind) if self.request.method in ("POST", "PUT") else None
            query = self._query(kind)
            request = _Request({"method": self.request.method, "form_data": {},
                                "get_data": query, "headers": self.request.headers,
                                "content_type": self.request.headers.get("Content-Type"),
                                "path": self.request.path, "json": body})
            service = _Grades(request, self.platform._config, self.platform, context)
            handler = {("GET", "container"): service.handle_get_lineitems,
                       ("POST", "container"): service.handle_create_lineitem,
                       ("GET", "item"): service.handle_get_lineitem,
                       ("PUT", "item"): service.handle_update_lineitem,
                       ("DELETE", "item"): service.handle_delete_lineitem,
                       ("POST", "scores"): service.handle_update_score,
                       ("GET", "results"): service.handle_get_results}[
                (self.request.method, kind)]
            answer = service.handle_resp(handler, **({"line_item_id": item} if item else {}))
        self._send(answer, kind)

    get = post = put = delete = handle

    def _body(self, kind):
        given = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if given != self.BODY[kind]:
            self.refuse(415, f"the body must be {self.BODY[kind]}, not {given or 'untyped'}")
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self.refuse(400, "the body is not JSON")
        if not isinstance(body, dict):
            self.refuse(400, "the body must be a JSON object")
        return body

    def _query(self, kind):
        args = self.arguments()
        known = {"container": {"resource_id", "resource_link_id", "tag", "limit", "page"},
                 "results": {"user_id"}}.get(kind, set())
        unknown = sorted(set(args) - known)
        if unknown:
            self.refuse(400, f"unknown query parameter {unknown[0]!r}")
        for name in ("limit", "page"):
            if name in args:
                if not args[name].isdigit() or int(args[name]) < 1:
                    self.refuse(400, f"{name} must be a whole number of at least 1")
                args[name] = int(args[name])
        return args

    def _send(self, answer, kind):
        if answer.code >= 400:
            self.refuse(answer.code, "the score's timestamp is older than the one stored"
                        if answer.message == UpdateScoreStatus.OLD_TIMESTAMP.value
                        else answer.message)
        self.set_status(answer.code)
        if answer.result is None:
            return
        body = answer.result
        if self.request.method == "GET" and kind in ("container", "results"):
            if body.get("next"):
                self.set_header("Link", f'<{body["next"]}>; rel="next"')
            body = body["content"]
        self.set_header("Content-Type", answer.media_type)
        self.write(json.dumps(body))


class _GradebookHandler(_Handler):
    def get(self, context):
        with self.platform._lock:
            self.write(self.platform._gradebook_page(context))


# -- the platform ------------------------------------------------------------------

class Platform:
    """An LTI 1.3 platform with one tool registered: ``client_id``, deployed as
    ``deployment_id``, its public key given as a PEM or served at ``tool_jwks_url``
    (fetched trusting ``ca_bundle``, a CA file, when given)."""

    def __init__(self, tool_jwks_url=None, tool_public_key_pem=None, client_id="nn-kit-tool",
                 deployment_id="deployment-1", ssl_context=None, host="127.0.0.1",
                 ca_bundle=None, context_title="Neural networks with NumPy"):
        self.tool_jwks_url, self.tool_public_key_pem = tool_jwks_url, tool_public_key_pem
        self.client_id, self.deployment_id = client_id, deployment_id
        self.ssl_context, self.host, self.ca_bundle = ssl_context, host, ca_bundle
        self.context_title = context_title
        self._private_pem = _private_pem(rsa.generate_private_key(65537, 2048))
        self._other_pem = None
        self._lock = threading.RLock()
        self._users, self._launches, self._items, self._counter = {}, {}, {}, 0
        self._tokens, self._assertions_seen = set(), set()
        self._tamper, self._failures_left, self._failure_status = {}, 0, 500
        self._failure_only = ""
        #: ``(method, path, status)`` of every request answered, in order.
        self.request_log = []
        self.last_id_token, self.last_form = None, None
        self.port, self._config, self._thread, self._loop = None, None, None, None

    # -- running ---------------------------------------------------------------

    def start(self):
        """Listen on a free port of ``host``, in a thread of its own; return self."""
        sockets = tornado.netutil.bind_sockets(0, self.host)
        self.port = sockets[0].getsockname()[1]
        self._config = _Config(platform=self)
        self._config.get_registration()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(sockets, ready),
                                        name="lti-platform", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the LTI platform did not start")
        return self

    def _serve(self, sockets, ready):
        asyncio.set_event_loop(asyncio.new_event_loop())
        self._loop = tornado.ioloop.IOLoop.current()
        given = {"platform": self}
        context = r"([A-Za-z0-9_.-]+)"
        app = tornado.web.Application([
            (r"/launch/([A-Za-z0-9_-]+)", _LaunchHandler, given),
            (r"/authorize", _AuthorizeHandler, given),
            (r"/jwks", _JwksHandler, given),
            (r"/token", _TokenHandler, given),
            (rf"/ags/{context}/lineitems", _AgsHandler, given),
            (rf"/ags/{context}/lineitems/([0-9]+)", _AgsHandler, given),
            (rf"/ags/{context}/lineitems/([0-9]+)/(scores|results)", _AgsHandler, given),
            (rf"/gradebook/{context}", _GradebookHandler, given),
        ], log_function=lambda handler: None)
        server = tornado.httpserver.HTTPServer(app, ssl_options=self.ssl_context)
        server.add_sockets(sockets)
        ready.set()
        self._loop.start()
        server.stop()
        self._loop.close(all_fds=True)

    def stop(self):
        """Stop serving (and close every connection)."""
        if self._thread is not None:
            self._loop.add_callback(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- addresses ---------------------------------------------------------------

    @property
    def issuer(self):
        """The platform's base address, which is also its issuer."""
        if self.port is None:
            raise RuntimeError("start the platform first")
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def authorize_url(self):
        return f"{self.issuer}/authorize"

    @property
    def jwks_url(self):
        return f"{self.issuer}/jwks"

    @property
    def token_url(self):
        return f"{self.issuer}/token"

    def lineitems_url(self, context_id="course-1"):
        """The AGS line items container of a course (context)."""
        if not NAME.match(context_id):
            raise ValueError(f"a context id is letters, digits and _ . -, not {context_id!r}")
        return f"{self.issuer}/ags/{context_id}/lineitems"

    def gradebook_url(self, context_id="course-1"):
        """An HTML page: a row per user, a column per line item."""
        return f"{self.issuer}/gradebook/{context_id}"

    # -- what the tests set up ---------------------------------------------------------

    def add_user(self, sub, name="", email="", lms_user_id="", roles=("Learner",)):
        """A user of the platform; a role without ``/`` is a LIS membership role."""
        roles = [r if "/" in r else LIS_ROLE + r for r in roles]
        with self._lock:
            self._users[sub] = {"name": name, "email": email, "lms_user_id": lms_user_id,
                                "roles": roles}

    def launch_url(self, sub, target_link_uri, login_url, context_id="course-1",
                   resource_link_id="resource-1"):
        """The address a browser opens to launch ``sub`` into the tool: it
        redirects to the tool's ``login_url`` (OIDC third-party login)."""
        self.lineitems_url(context_id)
        with self._lock:
            if sub not in self._users:
                raise KeyError(f"no user {sub!r}: add_user first")
            hint = secrets.token_urlsafe(12)
            self._launches[hint] = {"sub": sub, "target_link_uri": target_link_uri,
                                    "login_url": login_url, "context_id": context_id,
                                    "resource_link_id": resource_link_id}
        return f"{self.issuer}/launch/{hint}"

    def tamper(self, **changes):
        """Change the NEXT id token only: a claim replaced (``None`` removes it;
        the LTI claims by their short names, see :data:`TAMPER_CLAIMS`), or
        ``exp_offset``/``iat_offset`` seconds, ``sign_with_other_key=True``,
        ``kid`` (the header's)."""
        with self._lock:
            self._tamper = dict(changes)

    def fail_next(self, n, status=500, only=""):
        """The next ``n`` AGS requests (those whose path holds ``only``, e.g.
        ``"/scores"``) answer ``status``."""
        with self._lock:
            self._failures_left, self._failure_status, self._failure_only = n, status, only

    def expire_tokens(self):
        """Every access token given so far stops being accepted."""
        with self._lock:
            self._tokens.clear()

    # -- what the tests read -------------------------------------------------------

    @property
    def last_claims(self):
        """The claims of the last id token sent (not verified)."""
        return jwt.decode(self.last_id_token, options={"verify_signature": False})

    def replay_form_html(self):
        """An auto-submitting page that posts the last id token and state again."""
        if self.last_form is None:
            raise RuntimeError("no launch yet")
        return _form_page(**self.last_form)

    def scores(self, context_id="course-1"):
        """``{(line item label or resourceId, sub): score}`` of a course: the
        last score accepted for each, as posted."""
        with self._lock:
            return {(item["data"].get("label") or item["data"].get("resourceId"), sub): dict(score)
                    for item in self._items.values() if item["context"] == context_id
                    for sub, score in item["scores"].items()}

    def line_items(self, context_id="course-1"):
        """The line items of a course, as the platform serves them."""
        with self._lock:
            return [self._view(i) for i in self._items.values() if i["context"] == context_id]

    # -- inside ----------------------------------------------------------------------

    def _other_key(self):
        if self._other_pem is None:
            self._other_pem = _private_pem(rsa.generate_private_key(65537, 2048))
        return self._other_pem

    def _item_url(self, item):
        return f"{self.lineitems_url(item['context'])}/{item['key']}"

    def _view(self, item):
        return {"id": self._item_url(item), **item["data"]}

    def _authorize(self, handler, args):
        """Answer an OIDC authentication request with the launch's form."""
        for name, wanted in (("response_type", "id_token"), ("response_mode", "form_post")):
            if args.get(name) != wanted:
                handler.refuse(400, f"{name} must be {wanted}, not {args.get(name)!r}")
        if "openid" not in args.get("scope", "").split():
            handler.refuse(400, "scope must hold openid")
        for name in ("client_id", "redirect_uri", "login_hint", "nonce", "state"):
            if not args.get(name):
                handler.refuse(400, f"{name} is missing")
        if args["client_id"] != self.client_id:
            handler.refuse(400, f"unknown client_id {args['client_id']!r}")
        pending = self._launches.get(args.get("lti_message_hint", ""))
        if pending is None or pending["sub"] != args["login_hint"]:
            handler.refuse(400, "login_hint and lti_message_hint name no launch of this user")
        origin = urlsplit(pending["login_url"])
        redirect = urlsplit(args["redirect_uri"])
        if (redirect.scheme, redirect.netloc) != (origin.scheme, origin.netloc):
            handler.refuse(400, f"redirect_uri {args['redirect_uri']!r} is not the tool's")
        del self._launches[args["lti_message_hint"]]
        user = self._users[pending["sub"]]
        launch = _Launch(_Request({"method": handler.request.method, "get_data": args,
                                   "form_data": {}, "headers": handler.request.headers,
                                   "content_type": None, "path": handler.request.path,
                                   "json": None}), self._config, self._tamper)
        self._tamper = {}
        launch.set_launch_url(pending["target_link_uri"])
        launch.set_user_data(pending["sub"], user["roles"], full_name=user["name"] or None,
                             email_address=user["email"] or None)
        launch.set_resource_link_claim(pending["resource_link_id"])
        context = pending["context_id"]
        launch.set_launch_context_claim(
            context, ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context_title=self.context_title, context_label=context)
        launch.set_custom_parameters_claim({"lms_user_id": user["lms_user_id"]})
        launch.set_ags(self.lineitems_url(context), allow_creating_lineitems=True)
        try:
            form = launch.lti_launch()
        except PreflightRequestValidationException:
            handler.refuse(400, "the authentication request is incomplete")
        self.last_id_token = form["id_token"]
        self.last_form = {"action": form["launch_url"], "id_token": form["id_token"],
                          "state": form["state"]}
        handler.write(_form_page(**self.last_form))

    def _grant(self, args):
        """``(JSON answer, status)`` of an access token request."""
        def error(code, why, status=400):
            return {"error": code, "error_description": why}, status
        if args.get("grant_type") != "client_credentials":
            return error("unsupported_grant_type", "grant_type must be client_credentials")
        if args.get("client_assertion_type") != JWT_BEARER:
            return error("invalid_request", f"client_assertion_type must be {JWT_BEARER}")
        asked = args.get("scope", "").split()
        granted = [s for s in asked if s in SUPPORTED_SCOPES]
        if not granted:
            return error("invalid_scope", "none of the scopes asked is one this platform grants")
        try:
            answer = self._config.get_access_token({**args, "scope": " ".join(granted)})
        except MissingRequiredClaim as err:
            return error("invalid_request", str(err))
        except UnsupportedGrantType:
            return error("unsupported_grant_type", "grant_type must be client_credentials")
        except (LtiException, InvalidKeySetUrl, jwt.PyJWTError) as err:
            return error("invalid_client", f"the client assertion is refused: {err}", 401)
        self._tokens.add(answer["access_token"])
        return dict(answer), 200

    def _check_bearer(self, handler, scopes):
        """Refuse (401) a request without a valid access token, (403) one whose
        token lacks every one of ``scopes``."""
        words = handler.request.headers.get("Authorization", "").split()
        if len(words) != 2 or words[0].lower() != "bearer":
            handler.refuse(401, "an Authorization: Bearer <access token> header is needed")
        if words[1] not in self._tokens:
            handler.refuse(401, "unknown or expired access token")
        try:
            allowed = self._config.validate_token(words[1], scopes)
        except (LtiException, jwt.PyJWTError) as err:
            handler.refuse(401, f"invalid access token: {err}")
        if not allowed:
            handler.refuse(403, f"the access token lacks the scope {scopes[0]}")

    def _gradebook_page(self, context):
        items = [i for i in self._items.values() if i["context"] == context]
        head = "".join(f"<th>{html.escape(i['data']['label'])}</th>" for i in items)
        rows = []
        for sub, user in sorted(self._users.items(), key=lambda u: (u[1]["name"], u[0])):
            cells = []
            for item in items:
                score = item["scores"].get(sub)
                if score is None or "scoreGiven" not in score:
                    cells.append("<td></td>")
                    continue
                text = f"{score['scoreGiven']:g} / {score['scoreMaximum']:g}"
                if score["gradingProgress"] != "FullyGraded":
                    text += f" ({score['gradingProgress']})"
                cells.append(f"<td>{html.escape(text)}</td>")
            rows.append(f"<tr><th>{html.escape(user['name'] or sub)}</th>{''.join(cells)}</tr>")
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>Gradebook "
                f"{html.escape(context)}</title></head><body><h1>Gradebook of "
                f"{html.escape(context)}</h1><table id='gradebook'><tr><th>Student</th>{head}"
                f"</tr>{''.join(rows)}</table></body></html>")


def _form_page(action, id_token, state):
    """An HTML page that posts ``id_token`` and ``state`` to ``action`` at once."""
    fields = "".join(f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
                     for name, value in (("id_token", id_token), ("state", state)))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Launching</title></head>"
            f"<body onload='document.forms[0].submit()'><form method='post' "
            f"action='{html.escape(action)}'>{fields}<noscript><button>Continue</button>"
            f"</noscript></form></body></html>")
