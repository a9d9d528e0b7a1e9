"""A small, careful HTTP client for amoCRM API v4: the only code that touches the network
and the only holder of the token.

Why not a generic client: amoCRM answers more than 7 requests a second with 429 and
blocks accounts that keep doing it (research note §1.9), so every request passes a
client-side limiter first; 429 and 5xx are retried with exponential backoff and jitter
(Retry-After wins when present), a bounded number of times; 401/403 stop at once with a
message about the token or the account rights. A POST that meets a 5xx is *not* retried
here: the server may have created the items before failing, so the caller re-reads the
account and resends only what is missing (`AmoServerError`).

The token goes into the Authorization header and nowhere else: no message, exception or
log line built here contains it, and requests go over HTTPS except to a loopback
address (the test fake).
"""

from __future__ import annotations

import ipaddress
import random
import re
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from ..jsontypes import JSON, JSONObject

__all__ = ["AmoClient", "AmoError", "AmoAuthError", "AmoApiError", "AmoServerError",
           "AmoNetworkError", "AmoBadAnswer", "embedded_items", "answer_int", "RateLimiter",
           "check_base_url", "default_base_url",
           "MAX_REQUESTS_PER_S", "MAX_ATTEMPTS"]

MAX_REQUESTS_PER_S = 7
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 20.0
RETRY_AFTER_CAP_S = 60.0
TIMEOUT_S = 30.0
PAGE_LIMIT = 250
_SUBDOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class AmoError(Exception):
    """Anything that stops an apply; the message is safe to show (it never holds the token)."""


class AmoAuthError(AmoError):
    """401/403: the token or the rights are wrong — not a problem of the funnel file."""


class AmoNetworkError(AmoError):
    """The server could not be reached, or kept failing."""


class AmoApiError(AmoError):
    """amoCRM refused a request (400/404/422 …): the data or the account state is the cause."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AmoServerError(AmoApiError):
    """A 5xx (or a lost connection) on a request that is unsafe to repeat blindly."""


class AmoBadAnswer(AmoApiError):
    """amoCRM (or whatever answered in its place: a proxy's HTML page, a cut connection)
    sent something that is not the JSON the request expects. The message names the
    method and URL and what was expected; never the token."""


def _kind(value: object) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (str, "a string"), (list, "an array"),
                       (dict, "an object"), (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def embedded_items(body: JSON, key: str, what: str) -> list[JSONObject]:
    """`_embedded.<key>` of a HAL answer as a list of objects (none for an empty answer),
    or `AmoBadAnswer` naming the request and the path that has the wrong shape."""
    if body is None:
        return []
    if not isinstance(body, dict):
        raise AmoBadAnswer(f"{what}: expected a JSON object with `_embedded.{key}`, "
                           f"amoCRM answered {_kind(body)}", 0)
    embedded = body.get("_embedded")
    if embedded is None:
        return []
    if not isinstance(embedded, dict):
        raise AmoBadAnswer(f"{what}: `_embedded` is {_kind(embedded)}, expected an object", 0)
    items = embedded.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise AmoBadAnswer(f"{what}: `_embedded.{key}` is {_kind(items)}, expected an array", 0)
    objects: list[JSONObject] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise AmoBadAnswer(f"{what}: `_embedded.{key}[{i}]` is {_kind(item)}, expected an "
                               "object", 0)
        objects.append(item)
    return objects


def answer_int(raw: JSONObject, key: str, what: str, where: str,
               default: int | None = None) -> int:
    """An integer field of an answer (`id`, `sort` …), or `AmoBadAnswer` naming its path."""
    value = raw.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise AmoBadAnswer(f"{what}: `{where}.{key}` is {_kind(value)}, expected an integer", 0)
    try:
        return int(value)
    except ValueError:
        raise AmoBadAnswer(f"{what}: `{where}.{key}` is {str(value)[:40]!r}, expected an integer",
                           0) from None


def _body_text(response: httpx.Response) -> str:
    """What the body looks like, in a few safe words, for a message."""
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    size = len(response.content)
    head = response.content[:200].lstrip().lower()
    if "html" in ctype or head.startswith((b"<!doctype", b"<html")):
        return f"an HTML page ({ctype}, {size} bytes)"
    return f"{size} bytes of {ctype}"


def default_base_url(subdomain: str) -> str:
    if not _SUBDOMAIN.fullmatch(subdomain):
        raise ValueError(f"`{subdomain}` is not an amoCRM subdomain (letters, digits and "
                         "`-`, as in `mycompany` for mycompany.amocrm.ru)")
    return f"https://{subdomain.lower()}.amocrm.ru"


def check_base_url(url: str) -> str:
    """The URL without a trailing slash, or ValueError: HTTPS anywhere, plain HTTP only to
    a loopback address (a local fake), never credentials inside the URL."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"`{url}` is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the base URL must not hold credentials; the token comes from AMOCRM_TOKEN")
    if parts.query or parts.fragment:
        raise ValueError("the base URL must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(f"plain http is allowed only to a loopback address, not `{host}`: "
                         "use https (the token must not travel unencrypted)")
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RateLimiter:
    """At most `per_s` requests in any one-second window.

    A slot is counted from the moment its *answer* arrived: the server received the
    request before that, so spacing the (n+per_s)-th request one second after the n-th
    answer keeps the server's own sliding window under the limit whatever the latency."""

    def __init__(self, per_s: int | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        # MAX_REQUESTS_PER_S read here, not bound as the default: callers (and tests of
        # what is not the limiter) may set the module's limit, as for Pipedrive's PER_S.
        self.per_s = MAX_REQUESTS_PER_S if per_s is None else per_s
        self.clock = clock
        self.sleep = sleep
        self._done: deque[float] = deque()
        self.waited_s = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        while True:
            now = self.clock()
            while self._done and now - self._done[0] >= 1.0:
                self._done.popleft()
            if len(self._done) < self.per_s:
                break
            pause = 1.0 - (now - self._done[0]) + 0.002
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
    except ValueError:  # an HTTP date: rare for amoCRM; fall back to our own backoff
        return None


def _problem_text(response: httpx.Response) -> str:
    """`detail` of amoCRM's problem+json plus each validation error's path and detail."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # an HTML error page, or JSON nested absurdly deep
        return response.reason_phrase or "no details"
    if not isinstance(body, dict):
        return response.reason_phrase or "no details"
    parts = [str(body.get("detail") or body.get("title") or response.reason_phrase)]
    errors = body.get("validation-errors")
    for item in errors if isinstance(errors, list) else []:
        if not isinstance(item, dict):
            continue
        rid = item.get("request_id")
        inner = item.get("errors")
        for err in inner if isinstance(inner, list) else []:
            if isinstance(err, dict):
                where = f"item {rid}: " if rid not in (None, "") else ""
                parts.append(f"{where}{err.get('path', '')}: {err.get('detail', err.get('code', ''))}")
    return "; ".join(p for p in parts if p)


class AmoClient:
    """Requests against one account. Use as a context manager (closes the connection pool)."""

    def __init__(self, base_url: str, token: str, *, limiter: RateLimiter | None = None,
                 max_attempts: int = MAX_ATTEMPTS, backoff_base_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = check_base_url(base_url)
        self.limiter = limiter or RateLimiter(sleep=sleep)
        self.max_attempts = max_attempts
        self.backoff_base_s = BACKOFF_BASE_S if backoff_base_s is None else backoff_base_s
        self.sleep = sleep
        self.stats = Stats()
        self._http = httpx.Client(
            base_url=self.base_url, timeout=TIMEOUT_S, transport=transport, follow_redirects=False,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/hal+json, application/json",
                     "User-Agent": "funnelc-apply"},
        )

    def __enter__(self) -> AmoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ core

    def backoff(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1`: Retry-After if the server sent one,
        else exponential with jitter (half fixed, half random) so parallel clients spread out."""
        if response is not None:
            after = _retry_after(response)
            if after is not None:
                return after
        ceiling = min(BACKOFF_CAP_S, self.backoff_base_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))

    def request(self, method: str, path: str, *, json: object = None,
                params: dict[str, str | int] | None = None) -> JSON:
        """The decoded JSON answer (None for 204). Raises an `AmoError` subclass.

        `json` is any body `json.dumps` takes: the bundle's TypedDicts as well as plain
        JSON values (a TypedDict is not a `dict[str, JSON]` to the checker)."""
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
                    raise AmoServerError(failure, 0) from None
            else:
                status = response.status_code
                if status < 300:
                    if status == 204 or not response.content:
                        return None
                    return self._json(response, method)
                if status == 401:
                    raise AmoAuthError(
                        f"amoCRM refused the token (401 Unauthorized) on {what}: check "
                        "AMOCRM_TOKEN — it may be wrong, expired or for another account")
                if status == 403:
                    raise AmoAuthError(
                        f"amoCRM refused access (403 Forbidden) on {what}: changing pipelines "
                        "and custom fields needs an account administrator's token (or the "
                        f"account is blocked after too many requests): {_problem_text(response)}")
                if status == 429 or status >= 500:
                    failure = f"{what}: amoCRM answered {status} {response.reason_phrase}"
                    if status >= 500 and not safe_to_repeat:
                        raise AmoServerError(failure, status)
                else:
                    raise AmoApiError(f"amoCRM refused {what} ({status} {response.reason_phrase}): "
                                      f"{_problem_text(response)}", status)
            if attempt == self.max_attempts:
                raise AmoNetworkError(f"{failure}; gave up after {self.max_attempts} attempts")
            self.stats.retries += 1
            self.sleep(self.backoff(attempt, response))
        raise AssertionError("unreachable")

    def _json(self, response: httpx.Response, method: str) -> JSON:
        what = f"{method} {response.request.url}"
        try:
            answer: JSON = response.json()  # httpx types it Any: json.loads' values
            return answer
        except RecursionError:
            problem = "JSON nested too deeply to read"
        except UnicodeDecodeError:
            problem = f"{_body_text(response)} that is not UTF-8 text"
        except ValueError as exc:
            lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
            body = _body_text(response)
            if body.startswith("an HTML page"):
                problem = body
            elif (getattr(exc, "pos", -1) >= len(response.text.rstrip())
                  or str(getattr(exc, "msg", "")).startswith("Unterminated string")):
                problem = f"JSON cut off after {len(response.content)} bytes"
            else:
                where = f" at line {lineno} column {colno}" if lineno else ""
                problem = f"{body} that is not valid JSON{where}"
        raise AmoBadAnswer(f"{what}: amoCRM answered {response.status_code} with {problem}, "
                           "where a JSON answer was expected (a proxy or a cut connection?)",
                           response.status_code)

    def where(self, method: str, path: str) -> str:
        """`METHOD URL` of a request, for messages about its answer."""
        return f"{method} {self.base_url}{path}"

    # ------------------------------------------------------------------ reads

    def get_pipelines(self) -> list[JSONObject]:
        path = "/api/v4/leads/pipelines"
        return embedded_items(self.request("GET", path), "pipelines", self.where("GET", path))

    def get_statuses(self, pipeline_id: int) -> list[JSONObject]:
        path = f"/api/v4/leads/pipelines/{pipeline_id}/statuses"
        body = self.request("GET", path, params={"with": "descriptions"})
        return embedded_items(body, "statuses", self.where("GET", path))

    def get_loss_reasons(self) -> list[JSONObject]:
        """The account's loss reasons (`_embedded.loss_reasons`, where the official PHP SDK
        reads them; an empty list may come as 204, which reads as none)."""
        path = "/api/v4/leads/loss_reasons"
        return embedded_items(self.request("GET", path), "loss_reasons", self.where("GET", path))

    def get_custom_fields(self, entity: str) -> list[JSONObject]:
        """Every page (amoCRM answers 204 instead of an empty page)."""
        out: list[JSONObject] = []
        page = 1
        while True:
            path = f"/api/v4/{entity}/custom_fields"
            body = self.request("GET", path, params={"limit": PAGE_LIMIT, "page": page})
            if not body:
                return out
            out.extend(embedded_items(body, "custom_fields",
                                      f"{self.where('GET', path)}?page={page}"))
            # embedded_items refused any answer but an object
            links = (body.get("_links") if isinstance(body, dict) else None) or {}
            if not isinstance(links, dict) or "next" not in links or page >= 1000:
                return out
            page += 1
