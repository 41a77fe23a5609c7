"""Real sign-in servers for the single sign-on tests, started by the tests themselves.

- `ldap_server`: Debian's slapd on a free port of 127.0.0.1, with its own slapd.conf, an mdb database
  loaded from LDIF (people and groups), stopped and removed at the end of the session.
- `oidc_provider`: a small OpenID Connect provider served from a thread (discovery, JWKS, a login page at
  the authorisation endpoint, token with PKCE, userinfo; ID tokens signed RS256 with PyJWT).
"""

import base64
import hashlib
import html
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "directory-admin-secret"
LDAP_PASSWORD = "directory-pass-7931"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _require(what: str, path: str | None) -> str:
    if path is None or not os.access(path, os.X_OK):
        message = f"{what} is not installed (apt-get install slapd ldap-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# LDAP ------------------------------------------------------------------------------------------------

_SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args

database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_password}
directory {dir}/data
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


def _person(uid: str, given: str, family: str, mail: str) -> str:
    return f"""\
dn: uid={uid},ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: {uid}
cn: {given} {family}
givenName: {given}
sn: {family}
mail: {mail}
userPassword: {LDAP_PASSWORD}
"""


def _group(name: str, *members: str) -> str:
    lines = [f"dn: cn={name},ou=groups,{SUFFIX}", "objectClass: groupOfNames", f"cn: {name}"]
    lines += [f"member: uid={member},ou=people,{SUFFIX}" for member in members]
    return "\n".join(lines) + "\n"


# Directory people: Ada an agent (desk-agents), Lin and Kim administrators, Sam in no mapped group.
LDAP_DATA = "\n".join(
    [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
        _person("ada", "Ada", "Lovelace", "Ada.Lovelace@example.org"),
        _person("lin", "Lin", "Wei", "lin.wei@example.org"),
        _person("sam", "Sam", "Carter", "sam.carter@example.org"),
        _person("kim", "Kim", "Park", "kim.park@example.org"),
        _group("desk-agents", "ada", "lin"),
        _group("desk-admins", "kim", "lin"),  # groupOfNames needs a member left when lin leaves
        _group("canteen", "sam"),
    ]
)


@dataclass
class LdapServer:
    directory: Path
    port: int

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def environ(self, **extra) -> dict:
        """The ITSM_LDAP_* variables a site would set for this directory."""
        return {
            "ITSM_LDAP_SERVER_URI": self.uri,
            "ITSM_LDAP_BIND_DN": ADMIN_DN,
            "ITSM_LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
            "ITSM_LDAP_USER_SEARCH_BASE": f"ou=people,{SUFFIX}",
            "ITSM_LDAP_USER_SEARCH_FILTER": "(uid=%(user)s)",
            "ITSM_LDAP_GROUP_SEARCH_BASE": f"ou=groups,{SUFFIX}",
            "ITSM_LDAP_GROUP_SEARCH_FILTER": "(objectClass=groupOfNames)",
            "ITSM_LDAP_GROUP_TYPE": "groupOfNames",
            "ITSM_LDAP_ROLE_MAP": "desk-agents=Agent,desk-admins=Administrator",
            **extra,
        }

    def modify(self, ldif: str) -> None:
        """Change the directory (ldapmodify as its administrator)."""
        subprocess.run(
            ["ldapmodify", "-x", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
            input=ldif.encode(),
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="session")
def ldap_server():
    """Debian's slapd with the people and groups of LDAP_DATA, on a free port, for the whole session."""
    slapd = _require("slapd", shutil.which("slapd") or "/usr/sbin/slapd")
    slapadd = _require("slapadd", shutil.which("slapadd") or "/usr/sbin/slapadd")
    directory = Path(tempfile.mkdtemp(prefix="itsm-slapd-"))
    (directory / "data").mkdir()
    server = LdapServer(directory, _free_port())
    config = directory / "slapd.conf"
    config.write_text(
        _SLAPD_CONF.format(dir=directory, suffix=SUFFIX, admin_dn=ADMIN_DN, admin_password=ADMIN_PASSWORD)
    )
    (directory / "data.ldif").write_text(LDAP_DATA)
    subprocess.run(
        [slapadd, "-f", str(config), "-l", str(directory / "data.ldif")], check=True, capture_output=True
    )
    started = subprocess.run(
        [slapd, "-f", str(config), "-h", f"{server.uri}/"], capture_output=True, text=True
    )
    if started.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"slapd did not start: {started.stderr}")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("slapd did not answer")
                time.sleep(0.1)
        yield server
    finally:
        pid_file = directory / "slapd.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 15)
            deadline = time.monotonic() + 10
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(directory, ignore_errors=True)


# OpenID Connect --------------------------------------------------------------------------------------

CLIENT_ID = "itsm-desk"
CLIENT_SECRET = "oidc-client-secret-5521"
OIDC_PASSWORD = "provider-pass-2288"


@dataclass
class OidcProvider:
    """The provider's state: its accounts (username → claims), codes and access tokens in flight."""

    port: int
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    accounts: dict[str, dict] = field(default_factory=dict)
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    # What a test may bend: sign with another key, claim another issuer or audience.
    tamper: dict = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self, **extra) -> dict:
        """The ITSM_OIDC_* variables a site would set for this provider."""
        return {
            "ITSM_OIDC_ISSUER": self.issuer,
            "ITSM_OIDC_CLIENT_ID": CLIENT_ID,
            "ITSM_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "ITSM_OIDC_PROVIDER_NAME": "Example ID",
            "ITSM_OIDC_ROLES_CLAIM": "groups",
            "ITSM_OIDC_ROLE_MAP": "itsm-agents=Agent,itsm-admins=Administrator",
            **extra,
        }

    def add_account(self, username: str, **claims) -> None:
        self.accounts[username] = {"sub": f"sub-{username}", "preferred_username": username, **claims}

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def login(self, params: dict) -> str | None:
        """The login form's answer: the redirect back to the client, or None for a wrong password."""
        account = self.accounts.get(params.get("username", ""))
        if account is None or params.get("password") != OIDC_PASSWORD:
            return None
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"claims": account, **params}
        return f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}"

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if grant.get("code_challenge"):
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["code_challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = grant["claims"]
        id_token = jwt.encode(
            {
                "iss": self.tamper.get("iss", self.issuer),
                "aud": self.tamper.get("aud", CLIENT_ID),
                "sub": claims["sub"],
                "iat": now,
                "exp": now + 300,
                "nonce": grant.get("nonce"),
                "email": claims.get("email"),
            },
            self.tamper.get("key", self.key),
            algorithm="RS256",
            headers={"kid": self.kid},
        )
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = claims
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }


_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example ID</title><link rel="icon" href="data:,"></head>
<body><main><h1>Example ID</h1>{error}
<form method="post" action="/authorize">{hidden}
<label for="username">Username</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Continue</button></form></main></body></html>
"""


def _handler(provider: OidcProvider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body, content_type="application/json", headers=()):
            data = json.dumps(body).encode() if content_type == "application/json" else body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

        def _login_page(self, params: dict, error: str = ""):
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in params.items()
                if k not in ("username", "password")
            )
            self._send(200, _LOGIN_PAGE.format(hidden=hidden, error=error), "text/html; charset=utf-8")

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._send(200, provider.discovery())
            elif url.path == "/jwks":
                self._send(200, provider.jwks())
            elif url.path == "/authorize":
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
                    self._send(400, {"error": "invalid_request"})
                else:
                    self._login_page(params)
            elif url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                claims = provider.tokens.get(token)
                self._send(200, claims) if claims else self._send(401, {"error": "invalid_token"})
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self):
            url = urlsplit(self.path)
            form = self._form()
            if url.path == "/authorize":
                target = provider.login(form)
                if target is None:
                    self._login_page(form, '<p role="alert">Wrong username or password.</p>')
                else:
                    self._send(302, "", "text/plain", [("Location", target)])
            elif url.path == "/token":
                status, body = provider.token(form, self.headers.get("Authorization", ""))
                self._send(status, body)
            else:
                self._send(404, {"error": "not_found"})

    return Handler


@pytest.fixture(scope="session")
def oidc_provider_server():
    provider = OidcProvider(port=_free_port())
    server = ThreadingHTTPServer(("127.0.0.1", provider.port), _handler(provider))
    server.daemon_threads, server.block_on_close = True, False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def oidc_provider(oidc_provider_server):
    """The session's OpenID provider, its accounts and tampering reset for each test."""
    provider = oidc_provider_server
    provider.accounts.clear()
    provider.tamper.clear()
    yield provider
    provider.accounts.clear()
    provider.tamper.clear()


def use_ldap(settings, server: LdapServer, **extra) -> None:
    """Turn LDAP sign-in on for the test (pytest-django's `settings`), as the variables would."""
    from servicedesk.sso.config import ldap_settings

    for name, value in ldap_settings(server.environ(**extra)).items():
        setattr(settings, name, value)


def use_oidc(settings, provider: OidcProvider, **extra) -> None:
    """Turn OpenID Connect sign-in on for the test, as the variables would."""
    from servicedesk.sso.config import oidc_settings

    for name, value in oidc_settings(provider.environ(**extra)).items():
        setattr(settings, name, value)
