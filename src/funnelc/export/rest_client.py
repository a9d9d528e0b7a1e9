"""A careful JSON-over-HTTPS client for the CRMs `funnelc apply` talks to besides amoCRM
(Pipedrive, HubSpot): the only code of theirs that touches the network and the only
holder of the credential.

The same contract as `amocrm_client`, with the vendor's name and documented limits as
parameters: a client-side limiter keeps under the vendor's burst window (Pipedrive
counts a rolling 2-second window, HubSpot a rolling 10-second one); 429 and 5xx are
retried with exponential back-off and jitter (Retry-After wins when present), a bounded
number of times; 401/403 stop at once; a POST that meets a 5xx or a cut connection is
*not* repeated here, because the server may have created the item before failing: the
caller re-reads and resends only what is missing (`CrmServerError`). An answer that is
not the JSON the request expects is a `CrmBadAnswer` naming the method and URL.

The credential goes into one header and nowhere else; plain http is refused except to
a loopback address (the test fakes)."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from ..jsontypes import JSON, JSONObject
from .amocrm_client import _body_text, _is_loopback, _kind

__all__ = ["RestClient", "CrmError", "CrmAuthError", "CrmApiError", "CrmServerError",
           "CrmNetworkError", "CrmBadAnswer", "WindowLimiter", "check_url", "kind_of",
           "answer_object", "answer_list", "answer_str", "answer_int", "read_token",
           "ApplyStopped", "progress"]

MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 20.0
RETRY_AFTER_CAP_S = 60.0
TIMEOUT_S = 30.0


class CrmError(Exception):
    """Anything that stops an apply; the message is safe to show (it never holds the
    credential)."""


class CrmAuthError(CrmError):
    """401/403: the credential or its rights are wrong, not the funnel file."""


class CrmNetworkError(CrmError):
    """The server could not be reached, or kept failing."""


class CrmApiError(CrmError):
    """The CRM refused a request (400/404/409/422 …): the data or the account state."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CrmServerError(CrmApiError):
    """A 5xx (or a cut connection) on a request that is unsafe to repeat blindly."""


class CrmBadAnswer(CrmApiError):
    """An answer that is not shaped as the vendor documents it (HTML from a proxy, cut
    JSON, a string where an id belongs); the message names the request and the place."""


def kind_of(value: object) -> str:
    return _kind(value)


def check_url(url: str, vendor: str, env: str) -> str:
    """The API root without a trailing slash, or ValueError: https anywhere, plain http
    only to a loopback address, never credentials, a query or a fragment in the URL."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"`{url}` is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"the {vendor} URL must not hold credentials; they come from {env}")
    if parts.query or parts.fragment:
        raise ValueError(f"the {vendor} URL must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(f"plain http is allowed only to a loopback address, not `{host}`: "
                         "use https (the credential must not travel unencrypted)")
    return url.rstrip("/")


def read_token(env: str, file: str | None, environ: dict[str, str] | None = None) -> str:
    """The credential from a file (first line) or else the environment; ValueError when
    neither holds one, or it holds characters a token cannot have. The message never
    repeats the value."""
    import os

    if file is not None:
        try:
            with open(file, encoding="utf-8") as handle:
                token = handle.readline().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the token file `{file}`: "
                             f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from None
        where = f"the token file `{file}`"
    else:
        token = ((environ if environ is not None else dict(os.environ)).get(env) or "").strip()
        where = env
    if not token:
        raise ValueError(f"{where} holds no token" if file else f"set {env} (or give --token-file)")
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise ValueError(f"{where} holds characters a token cannot have (spaces, line breaks "
                         "or non-ASCII)")
    return token


class WindowLimiter:
    """At most `limit` requests in any `window_s` seconds, a slot counted from the
    moment its answer arrived (the server saw the request before that, so its own
    window is never exceeded whatever the latency)."""

    def __init__(self, limit: int, window_s: float, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.sleep = sleep
        self._done: deque[float] = deque()
        self.waited_s = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        while True:
            now = self.clock()
            while self._done and now - self._done[0] >= self.window_s:
                self._done.popleft()
            if len(self._done) < self.limit:
                break
            pause = self.window_s - (now - self._done[0]) + 0.002
            self.waited_s += pause
            self.sleep(pause)
        try:
            yield
        finally:
            self._done.append(self.clock())


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return min(max(float(raw.strip()), 0.0), RETRY_AFTER_CAP_S)
    except ValueError:
        return None


def _problem_text(response: httpx.Response) -> str:
    """The vendor's own words about a refusal: `message` (HubSpot's Error, and its
    `errors[].message`), `error` / `error_info` (Pipedrive's failure body)."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return response.reason_phrase or "no details"
    if not isinstance(body, dict):
        return response.reason_phrase or "no details"
    parts = [str(body.get("message") or body.get("error") or response.reason_phrase)]
    info = body.get("error_info")
    if isinstance(info, str) and info:
        parts.append(info)
    errors = body.get("errors")
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict) and item.get("message"):
            parts.append(str(item["message"]))
    return "; ".join(p for p in parts[:6] if p)


def answer_object(value: JSON, what: str, where: str) -> JSONObject:
    if not isinstance(value, dict):
        raise CrmBadAnswer(f"{what}: `{where or 'the answer'}` is {_kind(value)}, expected an "
                           "object", 0)
    return value


def answer_list(value: JSON, what: str, where: str) -> list[JSONObject]:
    """A list of objects (null or absent counts as empty), or `CrmBadAnswer`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise CrmBadAnswer(f"{what}: `{where}` is {_kind(value)}, expected an array", 0)
    return [answer_object(item, what, f"{where}[{i}]") for i, item in enumerate(value)]


def answer_str(raw: JSONObject, key: str, what: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise CrmBadAnswer(f"{what}: `{where}.{key}` is {_kind(value)}, expected a string", 0)
    return value


def answer_int(raw: JSONObject, key: str, what: str, where: str,
               default: int | None = None) -> int:
    value = raw.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise CrmBadAnswer(f"{what}: `{where}.{key}` is {_kind(value)}, expected an integer", 0)
    return value


class RestClient:
    """Requests against one account. Use as a context manager (closes the pool)."""

    vendor = "the CRM"
    token_env = "TOKEN"

    def __init__(self, base_url: str, headers: dict[str, str], *, limit: int, window_s: float,
                 max_attempts: int = MAX_ATTEMPTS, backoff_base_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = check_url(base_url, self.vendor, self.token_env)
        self.limiter = WindowLimiter(limit, window_s, sleep=sleep)
        self.max_attempts = max_attempts
        self.backoff_base_s = BACKOFF_BASE_S if backoff_base_s is None else backoff_base_s
        self.sleep = sleep
        self.stats = Stats()
        self._http = httpx.Client(
            base_url=self.base_url, timeout=TIMEOUT_S, transport=transport,
            follow_redirects=False,
            headers={**headers, "Accept": "application/json", "User-Agent": "funnelc-apply"})

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def where(self, method: str, path: str) -> str:
        """`METHOD URL` of a request, for messages about its answer."""
        return f"{method} {self.base_url}{path}"

    def backoff(self, attempt: int, response: httpx.Response | None = None) -> float:
        if response is not None:
            after = _retry_after(response)
            if after is not None:
                return after
        ceiling = min(BACKOFF_CAP_S, self.backoff_base_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))

    def auth_hint(self, status: int) -> str:
        """What to check after a 401/403 (the subclass knows the vendor's words)."""
        return f"check {self.token_env}"

    def request(self, method: str, path: str, *, json: object = None,
                params: dict[str, str | int] | None = None) -> JSON:
        """The decoded JSON answer (None for an empty one). Raises a `CrmError`."""
        safe_to_repeat = method != "POST"
        what = f"{method} {path}"
        for attempt in range(1, self.max_attempts + 1):
            response: httpx.Response | None = None
            try:
                with self.limiter.slot():
                    self.stats.requests += 1
                    self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
                    response = self._http.request(method, path, json=json, params=params)
            except httpx.ConnectError as exc:
                failure = f"cannot connect to {self.base_url}: {type(exc).__name__}"
            except httpx.TransportError as exc:
                failure = f"{what}: the connection failed ({type(exc).__name__})"
                if not safe_to_repeat:
                    raise CrmServerError(failure, 0) from None
            else:
                status = response.status_code
                if status < 300:
                    if status == 204 or not response.content:
                        return None
                    return self._json(response, method)
                if status in (401, 403):
                    word = "the token (401 Unauthorized)" if status == 401 else \
                        "access (403 Forbidden)"
                    raise CrmAuthError(f"{self.vendor} refused {word} on {what}: "
                                       f"{self.auth_hint(status)} ({_problem_text(response)})")
                if status == 429 or status >= 500:
                    failure = f"{what}: {self.vendor} answered {status} {response.reason_phrase}"
                    if status >= 500 and not safe_to_repeat:
                        raise CrmServerError(failure, status)
                else:
                    raise CrmApiError(f"{self.vendor} refused {what} ({status} "
                                      f"{response.reason_phrase}): {_problem_text(response)}",
                                      status)
            if attempt == self.max_attempts:
                raise CrmNetworkError(f"{failure}; gave up after {self.max_attempts} attempts")
            self.stats.retries += 1
            self.sleep(self.backoff(attempt, response))
        raise AssertionError("unreachable")

    def _json(self, response: httpx.Response, method: str) -> JSON:
        what = f"{method} {response.request.url}"
        try:
            answer: JSON = response.json()
            return answer
        except RecursionError:
            problem = "JSON nested too deeply to read"
        except UnicodeDecodeError:
            problem = f"{_body_text(response)} that is not UTF-8 text"
        except ValueError as exc:
            body = _body_text(response)
            if body.startswith("an HTML page"):
                problem = body
            elif (getattr(exc, "pos", -1) >= len(response.text.rstrip())
                  or str(getattr(exc, "msg", "")).startswith("Unterminated string")):
                problem = f"JSON cut off after {len(response.content)} bytes"
            else:
                lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
                at = f" at line {lineno} column {colno}" if lineno else ""
                problem = f"{body} that is not valid JSON{at}"
        raise CrmBadAnswer(f"{what}: {self.vendor} answered {response.status_code} with "
                           f"{problem}, where a JSON answer was expected (a proxy or a cut "
                           "connection?)", response.status_code)


class ApplyStopped(CrmError):
    """An apply stopped at a failing request: the cause, and which of the plan's lines
    were carried out before it and which were not (a re-run plans only the latter)."""

    def __init__(self, cause: CrmError, done: list[str], pending: list[str]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.done = done
        self.pending = pending


def progress(lines: list[str], done: list[str]) -> list[str]:
    """The plan's lines not yet in `done` (each counted once)."""
    left = list(done)
    out: list[str] = []
    for line in lines:
        if line in left:
            left.remove(line)
        else:
            out.append(line)
    return out
