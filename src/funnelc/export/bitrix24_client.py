"""Bitrix24 REST over HTTPS for `funnelc apply --to bitrix24` and `import --from bitrix24`:
the only holder of the credential.

Sources (bitrix24/b24restdocs, the source of apidocs.bitrix24.com; research note
crm-formats.md §2): a call is `POST {portal}/rest/{user}/{code}/{method}` with an
incoming webhook, or `POST {portal}/rest/{method}` with `auth` (an OAuth access token) in
the JSON body (settings/how-to-call-rest-api/batch.md, both cURL examples); an error is
`{"error": CODE, "error_description": TEXT}` with the statuses of
_includes/system-errors.md (401 NO_AUTH_FOUND / expired_token, 403 ACCESS_DENIED /
INVALID_CREDENTIALS / insufficient_scope, 503 QUERY_LIMIT_EXCEEDED, 500
INTERNAL_SERVER_ERROR); the rate limit is a leaky bucket draining 2 requests a second
(5 on Enterprise) with a burst of 50 (limits.md), so the client keeps to 2 a second and
backs off on QUERY_LIMIT_EXCEEDED, which rejected the request (safe to repeat).

`batch` (settings/how-to-call-rest-api/batch.md) runs up to 50 calls in one request,
sequentially; with `halt` 1 it stops at the first failing call, whose error is under
`result.result_error[key]`; the calls that ran are under `result.result[key]`. The batch
itself answers 200 whatever its calls did.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx

from ..jsontypes import JSON, JSONObject
from .deploy import (
    ApiError,
    BadAnswer,
    Connection,
    JsonHttp,
    Judgement,
    check_url,
    kind_of,
)

__all__ = ["Bitrix24Client", "Call", "BatchFailure", "open_client", "MAX_BATCH", "PER_S",
           "query_string"]

MAX_BATCH = 50
"""Calls per `batch` (batch.md: "no more than 50 subqueries")."""
PER_S = 2
"""limits.md: counter reduction rate 2 per second on every plan but Enterprise."""
BURST = 40
"""limits.md: blocking above 50 on those plans; 40 leaves room for other clients on the
same IP, which share the counter."""
AUTH_CODES = frozenset({"NO_AUTH_FOUND", "expired_token", "invalid_token", "ACCESS_DENIED",
                        "INVALID_CREDENTIALS", "insufficient_scope", "user_access_error",
                        "WRONG_AUTH_TYPE"})
RETRY_CODES = frozenset({"QUERY_LIMIT_EXCEEDED"})


@dataclass(frozen=True)
class Call:
    """One REST call: its method, its parameters (JSON) and a key naming it in a batch."""

    key: str
    method: str
    params: JSONObject


class BatchFailure(ApiError):
    """A batch stopped at a call Bitrix24 refused; `done` calls before it ran."""

    def __init__(self, message: str, done: int, results: dict[str, JSON]) -> None:
        super().__init__(message, 400)
        self.done = done
        self.results = results


def query_string(params: Mapping[str, JSON], prefix: str = "") -> list[tuple[str, str]]:
    """`params` flattened the way PHP's http_build_query writes them
    (`fields[NAME]=…`, `fields[LIST][0][VALUE]=…`): the form of a batch command."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            out += query_string(value, name)
        elif isinstance(value, list):
            out += query_string({str(i): v for i, v in enumerate(value)}, name)
        elif value is None:
            continue
        elif isinstance(value, bool):
            out.append((name, "1" if value else "0"))
        else:
            out.append((name, str(value)))
    return out


def _error_text(body: JSON) -> tuple[str, str]:
    if isinstance(body, dict):
        code, text = body.get("error"), body.get("error_description")
        return (code if isinstance(code, str) else "",
                text if isinstance(text, str) else "")
    return "", ""


class Bitrix24Client(JsonHttp):
    crm = "Bitrix24"

    def __init__(self, root: str, *, token: str | None, secrets: list[str],
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(root, headers={}, per_s=PER_S, burst=BURST, secrets=secrets,
                         transport=transport, sleep=sleep)
        self.token = token
        parts = urllib.parse.urlsplit(root)
        self.where = f"{parts.scheme}://{parts.netloc}"

    def label(self, method: str, path: str) -> str:
        return f"Bitrix24 `{path.strip('/')}` ({self.where})"

    def judge(self, response: httpx.Response, body: JSON, what: str) -> Judgement:
        code, text = _error_text(body)
        status = response.status_code
        if status < 300 and not code:
            return Judgement("ok")
        detail = f"{code}: {text}" if text else code or f"HTTP {status}"
        if code in RETRY_CODES or status == 429:
            return Judgement("retry", f"{what}: Bitrix24 answered {status} {code or ''} "
                                      "(the rate limit)".replace("  ", " "))
        if code in AUTH_CODES or status in (401, 403):
            return Judgement("auth", f"Bitrix24 refused the credential on {what} ({detail}): "
                             "check BITRIX24_WEBHOOK (an incoming webhook with the `crm` scope "
                             "of a CRM administrator) or the OAuth token")
        if status >= 500:
            return Judgement("server", f"{what}: Bitrix24 answered {status} ({detail})")
        return Judgement("refused", f"Bitrix24 refused {what} ({detail})")

    def call(self, method: str, params: JSONObject | None = None, *, write: bool = False) -> JSON:
        """`result` of one method; `BadAnswer` when the answer has none."""
        body: JSONObject = dict(params or {})
        if self.token is not None:
            body["auth"] = self.token
        answer = self.request("POST", f"/{method}", json=body, idempotent=not write)
        if not isinstance(answer, dict) or "result" not in answer:
            raise BadAnswer(f"{self.label('POST', method)}: expected a JSON object with "
                            f"`result`, Bitrix24 answered {kind_of(answer)}")
        return answer["result"]

    def list_all(self, method: str, params: JSONObject, key: str | None = None) -> list[JSON]:
        """Every page of a list method (`start`, `next`; 50 a page)."""
        out: list[JSON] = []
        start = 0
        for _ in range(1000):
            body: JSONObject = {**params, "start": start}
            if self.token is not None:
                body["auth"] = self.token
            answer = self.request("POST", f"/{method}", json=body, idempotent=True)
            what = self.label("POST", method)
            if not isinstance(answer, dict) or "result" not in answer:
                raise BadAnswer(f"{what}: expected a JSON object with `result`, Bitrix24 "
                                f"answered {kind_of(answer)}")
            items = answer["result"]
            where = "result"
            if key is not None:
                if not isinstance(items, dict):
                    raise BadAnswer(f"{what}: `result` is {kind_of(items)}, expected an object "
                                    f"with `{key}`")
                items = items.get(key)
                where = f"result.{key}"
            if not isinstance(items, list):
                raise BadAnswer(f"{what}: `{where}` is {kind_of(items)}, expected an array")
            out += items
            nxt = answer.get("next")
            if nxt is None:
                return out
            if isinstance(nxt, bool) or not isinstance(nxt, int) or nxt <= start:
                raise BadAnswer(f"{what}: `next` is {kind_of(nxt)} {str(nxt)[:20]}, expected "
                                "the next page's start")
            start = nxt
        return out

    def _batch(self, calls: Sequence[Call], *, halt: bool) -> tuple[dict[str, JSON],
                                                                     dict[str, JSON]]:
        assert 0 < len(calls) <= MAX_BATCH
        cmd: JSONObject = {c.key: f"{c.method}?{urllib.parse.urlencode(query_string(c.params))}"
                           for c in calls}
        body: JSONObject = {"halt": 1 if halt else 0, "cmd": cmd}
        if self.token is not None:
            body["auth"] = self.token
        answer = self.request("POST", "/batch", json=body, idempotent=not halt)
        what = self.label("POST", "batch")
        outer = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(outer, dict):
            raise BadAnswer(f"{what}: expected `result` to be an object with `result` and "
                            f"`result_error`, Bitrix24 answered {kind_of(outer)}")
        results = outer.get("result")
        errors = outer.get("result_error")
        # An empty PHP array is `[]` in JSON: both mean "nothing".
        results = {} if results == [] else results
        errors = {} if errors in ([], None) else errors
        if not isinstance(results, dict) or not isinstance(errors, dict):
            raise BadAnswer(f"{what}: `result.result` is {kind_of(results)} and "
                            f"`result.result_error` {kind_of(errors)}, expected objects")
        return results, errors

    def error_codes(self, calls: Sequence[Call]) -> dict[str, str]:
        """Run read-only `calls` (≤ 50) in one `batch` with halt 0: the error code of each
        call Bitrix24 refused, by key (batch.md: `result_error`)."""
        _, errors = self._batch(calls, halt=False)
        return {key: _error_text(body)[0] for key, body in errors.items()}

    def batch(self, calls: Sequence[Call]) -> dict[str, JSON]:
        """Run `calls` (≤ 50) in one `batch` with halt 1: their results by key, or
        `BatchFailure` naming the call refused and how many ran before it."""
        results, errors = self._batch(calls, halt=True)
        what = self.label("POST", "batch")
        done = 0
        for c in calls:
            if c.key in errors:
                code, text = _error_text(errors[c.key])
                first = calls[done]
                raise BatchFailure(f"Bitrix24 refused `{first.method}` (call {done + 1} of "
                                   f"{len(calls)} in a batch to {self.where}): "
                                   f"{code}: {text}".rstrip(": "), done, results)
            if c.key not in results:
                break
            done += 1
        if done < len(calls):
            raise BadAnswer(f"{what}: the answer has no result for call `{calls[done].key}` "
                            f"({calls[done].method}) and no error for it", 0)
        return results


def open_client(connection: Connection) -> Bitrix24Client:
    """The client for an incoming webhook URL (the secret is the whole URL, as Bitrix24
    shows it: https://PORTAL/rest/USER/CODE/) or an OAuth token with --base-url (the
    portal's REST root, https://PORTAL/rest). ValueError when neither fits."""
    secret = connection.secret
    if secret.lower().startswith(("https://", "http://")):
        if connection.base_url is not None:
            raise ValueError("BITRIX24_WEBHOOK is a webhook URL, which names the portal "
                             "itself: leave out --base-url")
        parts = urllib.parse.urlsplit(secret)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 3 or segments[-3] != "rest":
            raise ValueError("BITRIX24_WEBHOOK is not an incoming webhook URL (expected "
                             "https://PORTAL/rest/USER_ID/CODE/)")
        try:
            root = check_url(secret, what="the webhook URL")
        except ValueError as exc:
            raise ValueError(str(exc).replace(secret, "***")) from None
        code = segments[-1]
        return Bitrix24Client(root, token=None, secrets=[secret, root, code],
                              transport=connection.transport, sleep=connection.sleep)
    if connection.base_url is None:
        raise ValueError("an OAuth token needs --base-url https://PORTAL/rest (or set "
                         "BITRIX24_WEBHOOK to an incoming webhook URL instead)")
    root = check_url(connection.base_url, what="--base-url")
    return Bitrix24Client(root, token=secret, secrets=[secret], transport=connection.transport,
                          sleep=connection.sleep)
