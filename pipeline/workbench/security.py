"""Safe by default: what guards the workbench.

* It binds to 127.0.0.1 unless told otherwise (`chithi serve --host`); on another address an
  access token (`--token` or CHITHI_TOKEN) should be set: every request must then carry it,
  once in the link (`?token=…`, after which a cookie holding a keyed hash of it is set), or
  as `Authorization: Bearer …`.
* Every form carries a CSRF token, the keyed hash of a random session cookie (SameSite=Strict,
  HttpOnly); a POST without the matching token is refused.
* Uploads: a size limit checked on the request's length before any byte is parsed (and again
  while the file is written), a type limit by extension *and* by the file's first bytes, and
  the file stored under the hash of its bytes: the name the browser sent is kept only as text
  to show, its folders dropped, so `../` goes nowhere.
* Responses forbid inline scripts and framing (Content-Security-Policy) and content sniffing;
  every piece of document text reaches the page through Jinja's autoescaping.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

SESSION_COOKIE, TOKEN_COOKIE = "chithi_session", "chithi_token"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The first bytes of each accepted type; text files must decode and hold no NUL byte.
MAGIC = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
}
TEXT_SUFFIXES = (".txt", ".md")
ALLOWED = tuple(MAGIC) + TEXT_SUFFIXES


@dataclass
class Limits:
    max_file_bytes: int = 25 * 1024 * 1024
    max_files: int = 20

    @property
    def max_request_bytes(self) -> int:
        return self.max_file_bytes * self.max_files + 1024 * 1024  # form fields and multipart framing


def keyed(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token the forms of this page carry: the keyed hash of the session cookie."""
    return keyed(request.app.state.secret, "csrf:" + request.state.session)


def check_csrf(request: Request, token: str) -> bool:
    return bool(token) and same(token, csrf_token(request))


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts (of any script)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def display_name(client_name: str | None) -> str:
    """The name the browser sent, as text to show: its folders dropped (both separators),
    control characters removed, at most 150 characters. Never used as a path."""
    name = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    name = name.lstrip(".") or "tệp"
    return name[:150]


def suffix_of(name: str) -> str:
    match = re.search(r"\.[A-Za-z0-9]{1,5}$", name)
    return match.group().lower() if match else ""


def content_matches(suffix: str, head: bytes) -> bool:
    """Whether a file's first bytes are those of its type."""
    if suffix in TEXT_SUFFIXES:
        return b"\x00" not in head[:8192] or head.startswith((b"\xff\xfe", b"\xfe\xff"))
    return head.startswith(MAGIC.get(suffix, ()))


def _loopback(host: str | None) -> bool:
    return host in (None, "127.0.0.1", "::1", "localhost", "testclient")


Handler = Callable[[Request], Awaitable[Response]]


async def guard(request: Request, call_next: Handler) -> Response:
    """The middleware: access token, session cookie, upload length, security headers."""
    app = request.app.state
    secret: bytes = app.secret
    token: str | None = app.token
    if token and not request.url.path.startswith(("/static/", "/login")):
        given = request.query_params.get("token")
        # Header values arrive as Latin-1; a token in another script was sent as UTF-8 bytes.
        bearer = request.headers.get("authorization", "").encode("latin-1", "replace").decode("utf-8", "replace")
        cookie_ok = same(request.cookies.get(TOKEN_COOKIE, ""), keyed(secret, "token:" + token))
        if given is not None and same(given, token):
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            response: Response = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""), 303)
            response.set_cookie(TOKEN_COOKIE, keyed(secret, "token:" + token), httponly=True, samesite="strict")
            return _secured(response)
        if not cookie_ok and not same(bearer, f"Bearer {token}"):
            return _secured(app.render(request, "login.html", {"next": request.url.path}, status_code=401))
    session = request.cookies.get(SESSION_COOKIE, "")
    new_session = not re.fullmatch(r"[0-9a-f]{64}", session)
    request.state.session = secrets.token_hex(32) if new_session else session
    if request.method == "POST" and request.url.path == "/upload":
        refused = await _check_length(request, app.limits)
        if refused is not None:
            return _secured(refused)
    response = await call_next(request)
    if new_session:
        response.set_cookie(SESSION_COOKIE, request.state.session, httponly=True, samesite="strict")
    return _secured(response)


async def _check_length(request: Request, limits: Limits) -> Response | None:
    """Refuse an upload whose declared length is over the limit, after reading (and dropping)
    what the browser sends, so that it shows the message instead of a broken connection."""
    try:
        length = int(request.headers.get("content-length", ""))
    except ValueError:
        return request.app.state.message(request, "upload_no_length", 411)
    if length <= limits.max_request_bytes:
        return None
    drained = 0
    async for chunk in request.stream():
        drained += len(chunk)
        if drained > 4 * limits.max_request_bytes:
            break
    return request.app.state.message(request, "upload_too_large", 413, limit=limits.max_file_bytes // (1024 * 1024))


def _secured(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def warn_if_exposed(host: str, token: str | None) -> str | None:
    """A warning for `chithi serve` when it listens beyond this machine without a token."""
    if _loopback(host) or token:
        return None
    return (f"listening on {host} without an access token: anyone who can reach this address can read and review "
            "the plans (set --token or CHITHI_TOKEN)")
