"""Logging in to the course's hub from the LMS: an LTI 1.3 launch, checked.

jupyterhub-ltiauthenticator does the OpenID Connect dance of a launch (the
login initiation, the state and nonce cookies, the form post of the id
token).  This module adds what a course needs and that package leaves out:

- the id token is checked here, with one clear page per reason it is
  refused: signed by another key, for another tool (audience), from another
  platform (issuer), expired or too old, replayed (its nonce already used),
  from a deployment the course did not register;
- the hub user is a student of the roster, found by the immutable platform
  identity (issuer and ``sub``) once bound, and bound at the first launch by
  the platform's user id (the custom claim ``lms_user_id``, the roster's
  ``lms_id``), never by an e-mail or a display name; the binding is kept
  beside the roster (:mod:`utils.hub.launches`) for grades sent back;
- someone the roster does not list gets a page saying so, not an account;
- an instructor's role in the launch gives the instructor group, for the
  instructors the hub's settings list (by their platform user id).

What the hub serves besides: the tool's public key at ``/hub/lti13/jwks``
(the platform checks the tool's grade requests with it).
"""
import json
import os
import pwd
import re
import ssl
import subprocess
import time

import jwt
from jupyterhub.handlers import BaseHandler
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.handlers import (LTI13CallbackHandler, LTI13LoginInitHandler,
                                             get_nonce)
from tornado.web import HTTPError
from traitlets import Any, Unicode

from . import launches
from .settings import instructor_role

MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"
#: A user name of the machine: what useradd takes, and what the hub keeps as it is.
SYSTEM_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def refusal(status, text):
    """An HTTP error whose page says ``text`` (JupyterHub shows it as the message)."""
    error = HTTPError(status, "refused launch")
    error.jupyterhub_message = text
    return error


AGAIN = " Open the assignment from the course's page in the LMS again."


class CourseLoginHandler(LTI13LoginInitHandler):
    """The login initiation: a deployment the course did not register is
    refused before the browser is sent on to the platform."""

    def post(self):
        deployment = self.get_argument("lti_deployment_id", "")
        if deployment and deployment not in self.authenticator.deployment_ids:
            raise refusal(403, "This LMS course is not registered with the course's hub (its "
                               "deployment is unknown). Ask your instructor to check the "
                               "tool's registration.")
        return super().post()

    get = post


class CourseCallbackHandler(LTI13CallbackHandler):
    """The launch itself: the id token checked here, refusals as clear pages."""

    async def post(self):
        claims = self.checked_claims()
        user = await self.login_user(claims)
        if user is None:
            raise refusal(403, "The hub could not log you in." + AGAIN)
        await self.redirect_to_next_url(user)

    def checked_claims(self):
        """The claims of the posted id token, or a refusal naming what is wrong."""
        state = self.get_argument("state", "")
        encoded = self.get_argument("id_token", "")
        if not state or not encoded:
            raise refusal(400, "This page expects a launch from the LMS, and none came." + AGAIN)
        cookie_state = self._get_state_cookie()
        nonce_state = self._get_nonce_state_cookie()
        if not cookie_state or not nonce_state:
            raise refusal(400, "This launch was already used, or your browser did not keep the "
                               "hub's login cookie (allow cookies for this site)." + AGAIN)
        if cookie_state != state:
            raise refusal(400, "This launch does not belong to the login your browser started."
                          + AGAIN)
        claims = self.authenticator.decode(encoded)
        if claims.get("nonce") != get_nonce(nonce_state):
            raise refusal(400, "This launch was already used (its nonce does not match)." + AGAIN)
        return claims


class JwksHandler(BaseHandler):
    """The tool's public key set: the platform checks grade requests with it."""

    def check_xsrf_cookie(self):
        return

    async def get(self):
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(self.authenticator.tool_jwks()))


class CourseLTIAuthenticator(LTI13Authenticator):
    """LTI 1.3 login for the course: see the module's description."""

    login_handler = CourseLoginHandler
    callback_handler = CourseCallbackHandler

    #: The :class:`utils.hub.settings.HubSettings` (set by jupyterhub_config.py).
    settings = Any(config=True, help="The course hub's settings (utils.hub.settings.load).")
    username_key = Unicode("sub")

    def get_handlers(self, app):
        return super().get_handlers(app) + [("/lti13/jwks", JwksHandler)]

    @property
    def lti(self):
        return self.settings.lti

    @property
    def deployment_ids(self):
        return self.lti.deployment_ids

    # -- the id token -----------------------------------------------------------------
    def _jwks_client(self):
        client = getattr(self, "_jwks", None)
        if client is None:
            context = ssl.create_default_context(
                cafile=str(self.settings.ca_bundle) if self.settings.ca_bundle else None)
            client = self._jwks = jwt.PyJWKClient(self.lti.jwks_url, cache_keys=True,
                                                  lifespan=300, timeout=10,
                                                  ssl_context=context)
        return client

    def decode(self, encoded):
        """The claims of ``encoded``, checked; a refusal naming the first problem."""
        try:
            key = self._jwks_client().get_signing_key_from_jwt(encoded).key
        except jwt.PyJWKClientConnectionError:
            raise refusal(502, "The hub cannot reach the LMS to check this launch's signature. "
                               "Try again in a minute.") from None
        except (jwt.PyJWKClientError, jwt.DecodeError):
            raise refusal(401, "This launch is not signed with the LMS's key." + AGAIN) from None
        try:
            claims = jwt.decode(encoded, key, algorithms=list(self.jwks_algorithms),
                                audience=self.lti.client_id, issuer=self.lti.issuer,
                                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
        except jwt.ExpiredSignatureError:
            raise refusal(401, "This launch has expired." + AGAIN) from None
        except jwt.InvalidAudienceError:
            raise refusal(401, "This launch was made for another tool, not this course's hub "
                               "(its audience is not the hub's client id).") from None
        except jwt.InvalidIssuerError:
            raise refusal(401, "This launch comes from a platform the course's hub does not "
                               "know.") from None
        except jwt.InvalidSignatureError:
            raise refusal(401, "This launch is not signed with the LMS's key." + AGAIN) from None
        except jwt.MissingRequiredClaimError as err:
            raise refusal(400, f"This launch lacks its {err.claim!r} claim.") from None
        except jwt.PyJWTError as err:
            raise refusal(400, f"This launch's token is not valid ({err.__class__.__name__}).")\
                from None
        if time.time() - claims["iat"] > self.lti.max_token_age:
            raise refusal(401, "This launch was issued too long ago." + AGAIN)
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.lti.client_id:
            raise refusal(401, "This launch was made for another tool, not this course's hub.")
        if claims.get(VERSION) != "1.3.0" or claims.get(MESSAGE_TYPE) != "LtiResourceLinkRequest":
            raise refusal(400, "The hub takes LTI 1.3 resource link launches only.")
        if claims.get(launches.DEPLOYMENT) not in self.deployment_ids:
            raise refusal(403, "This LMS course is not registered with the course's hub (its "
                               "deployment is unknown). Ask your instructor to check the "
                               "tool's registration.")
        return claims

    # -- who it is --------------------------------------------------------------------
    def _roster(self):
        """``{lms_id: student id}`` of the course's roster (the gradebook)."""
        from nbgrader.api import Gradebook
        from ..course import Course
        with Gradebook(Course(self.settings.course).db_url) as gb:
            return {s.lms_user_id: s.id for s in gb.students if s.lms_user_id}

    async def authenticate(self, handler, data=None):
        claims = data or {}
        custom = claims.get(launches.CUSTOM) if isinstance(claims.get(launches.CUSTOM),
                                                           dict) else {}
        lms_id = custom.get(self.lti.user_id_claim)
        # nbgrader keeps at most 128 characters of an id; a page never shows more
        lms_id = lms_id[:128] if isinstance(lms_id, str) else ""
        instructor = instructor_role(claims.get(launches.ROLES))
        records = launches.load(self.settings.course)
        bound = records.by_sub(claims["iss"], claims["sub"])
        if instructor:
            names = {v: k for k, v in self.settings.instructors.items()}
            name = names.get(lms_id)
            if name is None:
                raise refusal(403, "You launched as an instructor, and the course's hub lists "
                                   "no instructor with your LMS user id"
                                   f"{f' ({lms_id})' if lms_id else ''}: the course's owner "
                                   "adds it under [hub.instructors] in the hub's settings.")
            group = self.settings.instructor_group
        else:
            roster = self._roster()
            if bound is not None:
                name = bound.student
            else:
                name = roster.get(lms_id)
                if name is None:
                    raise refusal(403, "You are not on this course's class list, so the course's "
                                       "hub has no account for you. If you take the course, ask "
                                       "your instructor to add you (your LMS user id is "
                                       f"{lms_id or 'not sent by the LMS'}).")
                other = records.links.get(name)
                if other is not None and (other.issuer, other.sub) != (claims["iss"],
                                                                       claims["sub"]):
                    raise refusal(403, "Another LMS account already logged in to the hub as "
                                       "this student. Ask your instructor.")
            if name not in roster.values():
                raise refusal(403, "You are no longer on this course's class list.")
            group = self.settings.student_group
        self._system_user(name)
        owner = os.stat(self.settings.course)
        launches.save(self.settings.course,
                      launches.link_from_launch(name, claims, lms_id, previous=bound),
                      owner=(owner.st_uid, owner.st_gid))
        self.log.info("LTI launch: %s (%s) as %s", name, "instructor" if instructor else
                      "student", claims["sub"][:64])
        return {"name": name, "groups": [group]}

    def _system_user(self, name):
        """Make sure ``name`` is a user of the machine, creating it when allowed."""
        if not SYSTEM_NAME.match(name):
            raise refusal(403, f"The class list's id {name!r} cannot be a user name on the "
                               "course's machine (lowercase letters, digits, _ . - only): "
                               "ask your instructor.")
        try:
            pwd.getpwnam(name)
            return
        except KeyError:
            pass
        if not self.settings.create_users:
            raise refusal(403, f"The course's machine has no account {name!r} yet: ask your "
                               "instructor.")
        made = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name],
                              capture_output=True, text=True, timeout=60)
        if made.returncode:
            self.log.error("useradd %s failed: %s", name, made.stderr.strip()[:300])
            raise refusal(500, "The hub could not make your account: ask your instructor.")

    def normalize_username(self, username):
        return username                   # a roster id is used as it is (checked above)

    # -- the tool's key ---------------------------------------------------------------
    def tool_jwks(self):
        """The public key set of the tool's key (``lti.tool_key``)."""
        from jwt.algorithms import RSAAlgorithm
        from cryptography.hazmat.primitives import serialization
        key = serialization.load_pem_private_key(self.lti.tool_key.read_bytes(), None)
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=self.lti.tool_key_id, alg="RS256", use="sig")
        return {"keys": [jwk]}
