"""The shared frame of `funnelc apply FILE --to CRM` for every CRM but amoCRM's original
two-phase path (which keeps its own modules, amocrm_{client,account,plan,apply}).

One CRM plugs in with one module (listed in `TARGETS`) that holds a `SPEC` (a
`TargetSpec`: its name, the environment variable of its credential, its documented rate
limit) and an `open_target(connection) -> Target` function. A `Target` is a session with
the account that can

1. `read()` the account into a typed snapshot (only GET-like requests),
2. `plan(funnel, snapshot, allow_delete=...)` a `Plan` of `Step`s — each a create, an
   update or a delete, in the order they can be carried out — computed as a difference
   *by name*, so that a second apply plans nothing and a re-run after a failure plans only
   what is still missing,
3. `apply_step(step)` one step at a time (a step may be one batch request): `execute`
   stops at the first step that fails and reports what was and was not applied;
4. `answers()` give the raw documented answers the snapshot was read from, which the
   CRM's importer (`funnelc import --from CRM`, in `importers/`) turns back into a funnel.

Why steps resolve ids themselves: ids exist only once an object is created, and a step
must survive a partial failure, so a step names its objects (pipeline name, stage name)
and the target looks the ids up from what it created or read.

The HTTP part every CRM needs is here too (`JsonHttp`): HTTPS only (plain http only to a
loopback address), a client-side rate limiter set to the vendor's documented limit,
bounded retries with exponential back-off and jitter on what the vendor documents as
"too many requests" (a rejected request did nothing, so it is safe to repeat) and on 5xx
for reads, a located message naming the request for any answer that is not the JSON the
request expects, and a secret that appears in no message (`scrub`).
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import random
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar, runtime_checkable

import httpx

from ..jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from .. import model as m
    from ..diagnostics import Diagnostic

__all__ = ["DeployError", "AuthError", "NetworkError", "ApiError", "ServerError", "BadAnswer",
           "Op", "Step", "Plan", "Target", "TargetSpec", "Connection", "ApplyReport", "execute",
           "Stats", "Limiter", "StepsFailed", "Batching", "JsonHttp", "Judgement", "check_url", "is_loopback", "scrub",
           "check_secret", "TARGETS", "DEPLOY_TARGETS", "load_target", "kind_of",
           "answer_object", "answer_list", "answer_str", "answer_int"]

MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 20.0
RETRY_AFTER_CAP_S = 60.0
TIMEOUT_S = 30.0

TARGETS: dict[str, str] = {
    "bitrix24": "funnelc.export.bitrix24_apply",
    "pipedrive": "funnelc.export.pipedrive_deploy",
    "hubspot": "funnelc.export.hubspot_deploy",
}
"""CRM name → the module holding its `SPEC` and `open_target` (imported only when used,
so `funnelc --help` never loads httpx)."""

DEPLOY_TARGETS = ("amocrm", "bitrix24", "pipedrive", "hubspot")
"""What `--to` / `--from` accept; amoCRM is served by its own modules."""


# ---------------------------------------------------------------------- errors

class DeployError(Exception):
    """Anything that stops an apply; the message is safe to show (no secret in it)."""


class AuthError(DeployError):
    """The credential or the rights are wrong (exit 2: not a problem of the file)."""


class NetworkError(DeployError):
    """The CRM could not be reached, or kept failing (exit 2)."""


class ApiError(DeployError):
    """The CRM refused a request: the data or the account state is the cause (exit 1)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class ServerError(ApiError):
    """A 5xx or a lost connection on a write: it may or may not have happened, so it is
    not repeated blindly; a re-run reads the account and plans what is still missing."""


class BadAnswer(ApiError):
    """The CRM (or a proxy in its place) answered something that is not what its docs
    say: HTML, cut-off JSON, a wrong type. The message names the request and the place."""


def kind_of(value: object) -> str:
    """`a string`, `an array` … for messages about an answer of the wrong shape."""
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (str, "a string"), (list, "an array"),
                       (dict, "an object"), (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


# ---------------------------------------------------------------------- reading answers
# What a CRM answered, narrowed from JSON; anything else is a `BadAnswer` naming the
# request (`what`) and the place in the answer (`where`).

def answer_object(value: JSON, what: str, where: str) -> JSONObject:
    """An object, or `BadAnswer` naming the place."""
    if not isinstance(value, dict):
        raise BadAnswer(f"{what}: `{where or 'the answer'}` is {kind_of(value)}, expected an "
                        "object")
    return value


def answer_list(value: JSON, what: str, where: str) -> list[JSONObject]:
    """A list of objects (null counts as empty), or `BadAnswer` naming the place."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadAnswer(f"{what}: `{where}` is {kind_of(value)}, expected an array")
    return [answer_object(item, what, f"{where}[{i}]") for i, item in enumerate(value)]


def answer_str(raw: JSONObject, key: str, what: str, where: str) -> str:
    """`raw[key]` as a string, or `BadAnswer` naming the place."""
    value = raw.get(key)
    if not isinstance(value, str):
        raise BadAnswer(f"{what}: `{where}.{key}` is {kind_of(value)}, expected a string")
    return value


def answer_int(raw: JSONObject, key: str, what: str, where: str,
               default: int | None = None) -> int:
    """`raw[key]` as an integer (not a boolean; `default` when null or missing), or
    `BadAnswer` naming the place."""
    value = raw.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadAnswer(f"{what}: `{where}.{key}` is {kind_of(value)}, expected an integer")
    return value


# ---------------------------------------------------------------------- plan and steps

Op = Literal["create", "update", "delete"]
A = TypeVar("A")
S = TypeVar("S")
_MARK: dict[str, str] = {"create": "+", "update": "~", "delete": "-"}


@dataclass(frozen=True)
class Step(Generic[A]):
    """One change: what it is for people (`text`, without the +/~/- mark) and for the
    target (`action`, the CRM's own typed description of the request(s))."""

    op: Op
    text: str
    action: A

    @property
    def line(self) -> str:
        return f"{_MARK[self.op]} {self.text}"


@dataclass
class Plan(Generic[A]):
    """What apply would change. `steps` are creates and updates in the order they are
    carried out; `deletions` only exist with --allow-delete and are listed apart (and
    run last); `errors` refuse the plan before any write (a CRM limit it would break)."""

    steps: list[Step[A]] = field(default_factory=list)
    deletions: list[Step[A]] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_hand: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [s.line for s in self.steps] + [s.line for s in self.deletions]

    @property
    def all_steps(self) -> list[Step[A]]:
        return [*self.steps, *self.deletions]


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0
    by_method: dict[str, int] = field(default_factory=dict)


class Target(Protocol[S, A]):
    """A session with one CRM account (see the module docstring for the contract)."""

    stats: Stats
    where: str
    """The account as messages name it (a host, never a secret)."""
    secrets: list[str]
    """Every secret the session holds, for the command to scrub from what it prints."""

    def check(self, funnel: m.FunnelFile) -> list[Diagnostic]:
        """What the CRM cannot hold (names too long, …): errors stop before any request."""
        ...

    def read(self) -> S: ...

    def describe(self, snapshot: S) -> str:
        """`3 pipelines, 24 stages, 5 deal fields`: the account as read, for the plan's
        first line."""
        ...

    def plan(self, funnel: m.FunnelFile, snapshot: S, *, allow_delete: bool) -> Plan[A]: ...

    def apply_step(self, step: Step[A]) -> None: ...

    def answers(self) -> dict[str, JSON]:
        """The documented answers read so far, by request (for the importer)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TargetSpec:
    name: str
    title: str
    secret_env: str
    """The environment variable holding the credential."""
    secret_words: str
    """What the credential is, for the message when it is missing."""
    base_url_help: str
    """Whether --base-url is needed and what it is."""


@dataclass(frozen=True)
class Connection:
    """What a target is opened with. `secret` is the credential as given (env or file);
    `base_url` the --base-url, if any; `transport`/`sleep` are for tests."""

    secret: str
    base_url: str | None = None
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep


def load_target(name: str) -> tuple[TargetSpec, Callable[[Connection], Target[object, object]]]:
    """The spec and opener of a CRM of `TARGETS` (KeyError for another name)."""
    import importlib

    module = importlib.import_module(TARGETS[name])
    spec: TargetSpec = module.SPEC
    opener: Callable[[Connection], Target[object, object]] = module.open_target
    return spec, opener


@dataclass
class ApplyReport:
    """What `execute` did: the lines of the steps applied, of those not applied (the
    failed one first), and why it stopped."""

    applied: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    failure: DeployError | None = None
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.failure is None


class StepsFailed(DeployError):
    """`apply_many` stopped: its first `done` steps were applied, then `cause`."""

    def __init__(self, done: int, cause: DeployError) -> None:
        super().__init__(str(cause))
        self.done = done
        self.cause = cause


@runtime_checkable
class Batching(Protocol[A]):
    """A target that can carry several steps in one request (Bitrix24's `batch`)."""

    def apply_many(self, steps: list[Step[A]]) -> int:
        """Apply a prefix of `steps` (at least one) and say how many; `StepsFailed` when
        one of them failed after `done` others."""
        ...


def execute(target: Target[S, A], plan: Plan[A], echo: Callable[[str], None]) -> ApplyReport:
    """Carry the plan out in order; stop at the first failure (the steps after it may
    depend on it: a stage on its pipeline). Nothing is rolled back: every step is part of
    the difference, so running apply again plans exactly what is left. A `Batching`
    target takes several steps at once; the report is per step all the same."""
    start = time.monotonic()
    report = ApplyReport()
    steps = plan.all_steps
    i = 0
    while i < len(steps):
        try:
            if isinstance(target, Batching):
                done = max(1, target.apply_many(steps[i:]))
            else:
                target.apply_step(steps[i])
                done = 1
        except StepsFailed as exc:
            for step in steps[i:i + exc.done]:
                report.applied.append(step.line)
                echo(f"done: {step.line}")
            report.failure = exc.cause
            report.not_applied = [s.line for s in steps[i + exc.done:]]
            break
        except DeployError as exc:
            report.failure = exc
            report.not_applied = [s.line for s in steps[i:]]
            break
        for step in steps[i:i + done]:
            report.applied.append(step.line)
            echo(f"done: {step.line}")
        i += done
    report.seconds = time.monotonic() - start
    return report


# ---------------------------------------------------------------------- credentials, URLs

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, what: str = "the base URL", allow_path: bool = True) -> str:
    """`url` without a trailing slash, or ValueError: HTTPS anywhere, plain HTTP only to
    a loopback address (a local fake): a credential must not travel unencrypted."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError(f"{what} is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{what} must not hold a user name or password")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not have a query or fragment")
    if not allow_path and parts.path.strip("/"):
        raise ValueError(f"{what} must be the API root, without a path")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError(f"plain http is allowed only to a loopback address, not `{host}`: "
                         "use https (the credential must not travel unencrypted)")
    return url.rstrip("/")


def check_secret(secret: str, source: str) -> str:
    """The credential stripped, or ValueError naming `source` (never the value)."""
    secret = secret.strip()
    if not secret:
        raise ValueError(f"{source} is empty")
    if not secret.isascii() or not secret.isprintable() or any(c.isspace() for c in secret):
        raise ValueError(f"{source} holds characters a credential cannot have (spaces, line "
                         "breaks or non-ASCII)")
    return secret


def scrub(text: str, secrets: list[str]) -> str:
    """Belt and braces: nothing printed should hold a secret; if it ever did, it is
    masked (a secret under 8 characters would mask ordinary words, and is no real one)."""
    for secret in secrets:
        if len(secret) >= 8:
            text = text.replace(secret, "***")
            quoted = urllib.parse.quote(secret, safe="")
            if quoted != secret:
                text = text.replace(quoted, "***")
    return text


# ---------------------------------------------------------------------- HTTP

class Limiter:
    """Client-side rate limit. Without `burst`: at most `per_s` requests in any
    one-second window, counted from each answer's arrival (so the server's own window
    stays under the limit whatever the latency). With `burst`: a leaky bucket, as
    Bitrix24 documents its own (limits.md): each request adds one, the level drains by
    `per_s` a second, and a request waits while the bucket holds `burst`."""

    def __init__(self, per_s: float, *, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_s = max(1, int(per_s))
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._done: list[float] = []
        self._level = 0.0
        self._at = clock()
        self.waited_s = 0.0

    def _pause(self) -> float:
        now = self.clock()
        if self.burst is not None:
            self._level = max(0.0, self._level - (now - self._at) * self.per_s)
            self._at = now
            return 0.0 if self._level + 1 <= self.burst else (self._level + 1 - self.burst) / self.per_s
        self._done = [t for t in self._done if now - t < 1.0]
        return 0.0 if len(self._done) < self.per_s else 1.0 - (now - self._done[0]) + 0.002

    @contextmanager
    def slot(self) -> Iterator[None]:
        while (pause := self._pause()) > 0:
            self.waited_s += pause
            self.sleep(pause)
        if self.burst is not None:
            self._level += 1
        try:
            yield
        finally:
            self._done.append(self.clock())


@dataclass(frozen=True)
class Judgement:
    """What a CRM's answer means: `ok`, `retry` (rate limit: did nothing; `after` s if the
    CRM said), `server` (5xx: may have happened), `auth` or `refused` (with the message)."""

    verdict: Literal["ok", "retry", "server", "auth", "refused"]
    message: str = ""
    after: float | None = None


class JsonHttp:
    """JSON over HTTPS with the rules of the module docstring. A CRM's client subclasses
    it and overrides `judge` (its error shapes) and maybe `label` (how a request is
    named in messages: never with the secret)."""

    crm = "the CRM"

    def __init__(self, base_url: str, *, headers: Mapping[str, str], per_s: float,
                 secrets: list[str], burst: int | None = None, max_attempts: int = MAX_ATTEMPTS,
                 backoff_base_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.secrets = secrets
        self.limiter = Limiter(per_s, burst=burst, sleep=sleep)
        self.max_attempts = max_attempts
        self.backoff_base_s = BACKOFF_BASE_S if backoff_base_s is None else backoff_base_s
        self.sleep = sleep
        self.stats = Stats()
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT_S, transport=transport,
                                  follow_redirects=False,
                                  headers={"Accept": "application/json",
                                           "User-Agent": "funnelc-apply", **headers})

    def close(self) -> None:
        self._http.close()

    def label(self, method: str, path: str) -> str:
        """`METHOD path` as messages name the request (the base URL may hold a secret)."""
        return scrub(f"{method} {path}", self.secrets)

    def backoff(self, attempt: int, after: float | None = None) -> float:
        if after is not None:
            return min(max(after, 0.0), RETRY_AFTER_CAP_S)
        ceiling = min(BACKOFF_CAP_S, self.backoff_base_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))

    def judge(self, response: httpx.Response, body: JSON, what: str) -> Judgement:
        """Default: 2xx ok, 401/403 auth, 429 retry, 5xx server, other 4xx refused."""
        status = response.status_code
        if status < 300:
            return Judgement("ok")
        if status in (401, 403):
            return Judgement("auth", f"{self.crm} refused the credential ({status}) on {what}")
        if status == 429:
            return Judgement("retry", after=_retry_after(response))
        if status >= 500:
            return Judgement("server", f"{what}: {self.crm} answered {status}")
        return Judgement("refused", f"{self.crm} refused {what} ({status})")

    def request(self, method: str, path: str, *, json: object = None,
                params: Mapping[str, str | int] | None = None, idempotent: bool | None = None
                ) -> JSON:
        """The decoded JSON answer (None for an empty one). A write (`idempotent` False;
        default: anything but GET) is repeated only after a rate-limit answer."""
        safe = method == "GET" if idempotent is None else idempotent
        what = self.label(method, path)
        failure = ""
        for attempt in range(1, self.max_attempts + 1):
            after: float | None = None
            try:
                with self.limiter.slot():
                    self.stats.requests += 1
                    self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
                    response = self._http.request(method, path, json=json,
                                                  params=dict(params) if params else None)
            except httpx.TransportError as exc:
                failure = f"{what}: the connection failed ({type(exc).__name__})"
                if not safe and not isinstance(exc, httpx.ConnectError):
                    raise ServerError(failure) from None
            else:
                body = self._decode(response, what)
                verdict = self.judge(response, body, what)
                if verdict.verdict == "ok":
                    if isinstance(body, _Undecodable):
                        raise BadAnswer(body.message, response.status_code)
                    return body
                if verdict.verdict == "auth":
                    raise AuthError(scrub(verdict.message, self.secrets))
                if verdict.verdict == "refused":
                    raise ApiError(scrub(verdict.message, self.secrets), response.status_code)
                failure = scrub(body.message if isinstance(body, _Undecodable) else
                                verdict.message or f"{what}: {self.crm} answered "
                                f"{response.status_code}", self.secrets)
                if verdict.verdict == "server" and not safe:
                    raise ServerError(failure, response.status_code)
                after = verdict.after
            if attempt == self.max_attempts:
                raise NetworkError(f"{failure}; gave up after {self.max_attempts} attempts")
            self.stats.retries += 1
            pause = self.backoff(attempt, after)
            self.stats.waited_s += pause
            self.sleep(pause)
        raise AssertionError("unreachable")

    def _decode(self, response: httpx.Response, what: str) -> JSON:
        """The JSON body; an `_Undecodable` (which `judge` sees as not JSON) when it is
        HTML, cut off or not UTF-8 — an error only if the status said success."""
        if not response.content:
            return None
        try:
            answer: JSON = jsonlib.loads(response.content.decode("utf-8"))
            return answer
        except RecursionError:
            problem = "JSON nested too deeply to read"
        except UnicodeDecodeError:
            problem = f"{_body_text(response)} that is not UTF-8 text"
        except ValueError as exc:
            body = _body_text(response)
            pos = getattr(exc, "pos", -1)
            if body.startswith("an HTML page"):
                problem = body
            elif pos >= len(response.text.rstrip()) or str(exc).startswith("Unterminated"):
                problem = f"JSON cut off after {len(response.content)} bytes"
            else:
                problem = (f"{body} that is not valid JSON at line {getattr(exc, 'lineno', '?')} "
                           f"column {getattr(exc, 'colno', '?')}")
        return _Undecodable(f"{what}: {self.crm} answered {response.status_code} with "
                            f"{problem}, where its documented JSON answer was expected (a proxy "
                            "or a cut connection?)")


class _Undecodable(dict[str, JSON]):
    """An answer that is no JSON, carried to `judge` as an empty object with the
    message of what it was."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


def _body_text(response: httpx.Response) -> str:
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    head = response.content[:200].lstrip().lower()
    if "html" in ctype or head.startswith((b"<!doctype", b"<html")):
        return f"an HTML page ({ctype}, {len(response.content)} bytes)"
    return f"{len(response.content)} bytes of {ctype}"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None
