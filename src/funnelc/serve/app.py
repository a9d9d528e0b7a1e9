"""The ASGI application of `funnelc serve` (Starlette): the page, its static files, and
a JSON API over the views of this package. Every handler calls the same functions the
command line does; the page only draws what they return.

Bad requests get a 400 that names the request and the field (`POST /api/check: body:
`text` must be a string`), text with errors a 422 that says so, never a traceback.
With a token (`--host` other than loopback) every request must carry it: the page's
address has it once (`/?token=…`), which sets a same-site cookie.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import os
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from .. import model as m
from ..api import Loaded, load_text
from ..jsontypes import JSON
from ..lint.config import ConfigError, LintConfig, config_for
from ..source import MAX_BYTES, normalize_line_ends
from . import exports, i18n
from .levers import Change, LeverError, apply_changes, controls_for, what_if, with_scenario
from .live import LiveView, evaluate_loaded
from .simjobs import RunOptions, SimPool, SimRequestError, SimView, State
from .workspace import Workspace, WorkspaceError, version_of

__all__ = ["ServeState", "create_app", "STATIC"]

STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "funnelc_token"


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclasses.dataclass
class ServeState:
    """What the server holds: the file, the pool, the token (None on loopback)."""

    workspace: Workspace
    pool: SimPool
    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    """Host headers accepted (loopback serving: localhost names only, against DNS
    rebinding); empty accepts any (the token guards a LAN server)."""
    check_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    language: str | None = None
    """The page's language as last read from a text that loaded: a text with errors
    keeps it (its findings summary is said in it)."""

    def lint_config(self) -> tuple[LintConfig | None, str | None]:
        try:
            return config_for(self.workspace.path), None
        except ConfigError as exc:
            return None, f"lint configuration ignored: {exc}"


def _plain(value: object) -> JSON:
    """Dataclasses, tuples and floats as JSON data (NaN and infinities as null)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _json(data: object, status: int = 200) -> Response:
    body = json.dumps(_plain(data), ensure_ascii=False, allow_nan=False)
    return Response(body, status, media_type="application/json; charset=utf-8")


def _error(request: Request, message: str, status: int) -> Response:
    where = f"{request.method} {request.url.path}"
    return _json({"error": f"{where}: {message}", "status": status}, status)


async def _body(request: Request) -> dict[str, object]:
    raw = await request.body()
    if len(raw) > MAX_BYTES + 65536:
        raise BadRequest("body is too large (a funnel file is at most 10 MB)", 413)
    try:
        data = json.loads(raw.decode("utf-8")) if raw else {}
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _str(data: dict[str, object], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise BadRequest(f"body: `{key}` must be a string")
    return value


def _int(data: dict[str, object], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"body: `{key}` must be a whole number")
    return value


def _changes(data: dict[str, object]) -> list[Change]:
    raw = data.get("changes", [])
    if not isinstance(raw, list):
        raise BadRequest("body: `changes` must be a list")
    out = []
    for i, item in enumerate(raw):
        where = f"body: changes[{i}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{where} must be an object")
        kind, subject, value = item.get("kind"), item.get("subject"), item.get("value")
        pipeline = item.get("pipeline")
        if not isinstance(kind, str) or not isinstance(subject, str):
            raise BadRequest(f"{where}: `kind` and `subject` must be strings")
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise BadRequest(f"{where}: `value` must be a number")
        if pipeline is not None and not isinstance(pipeline, str):
            raise BadRequest(f"{where}: `pipeline` must be a string")
        out.append(Change(kind, subject, float(value), pipeline))
    return out


def _model(text: str, path: str) -> m.FunnelFile:
    loaded = load_text(normalize_line_ends(text), path)
    if not loaded.ok or loaded.model is None:
        first = loaded.errors[0] if loaded.errors else None
        where = f" ({first.span.line}:{first.span.column}: {first.message})" \
            if first is not None and first.span is not None else ""
        raise BadRequest(f"the text has errors{where}: fix them first", 422)
    return loaded.model


Handler = Callable[[Request, ServeState], Awaitable[Response]]


def create_app(state: ServeState) -> Starlette:
    """The application for one file."""

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            refused = _refuse(request, state)
            if refused is not None:
                return refused
            try:
                return await handler(request, state)
            except BadRequest as exc:
                return _error(request, exc.message, exc.status)
            except (LeverError, SimRequestError, exports.ExportError) as exc:
                return _error(request, str(exc), 400)
            except WorkspaceError as exc:
                return _error(request, str(exc), 500)
        return run

    static = StaticFiles(directory=str(STATIC))

    async def guarded_static(scope: Scope, receive: Receive, send: Send) -> None:
        refused = _refuse(Request(scope), state)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await static(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.pool.close()

    routes = [
        Route("/", endpoint(_index)),
        Route("/api/state", endpoint(_state)),
        Route("/api/check", endpoint(_check), methods=["POST"]),
        Route("/api/whatif", endpoint(_whatif), methods=["POST"]),
        Route("/api/scenario", endpoint(_scenario), methods=["POST"]),
        Route("/api/save", endpoint(_save), methods=["POST"]),
        Route("/api/file", endpoint(_file)),
        Route("/api/simulate", endpoint(_simulate), methods=["POST"]),
        Route("/api/simulate/{job}/events", endpoint(_events)),
        Route("/api/simulate/{job}/cancel", endpoint(_cancel), methods=["POST"]),
        Route("/api/export", endpoint(_export), methods=["POST"]),
        Route("/api/amocrm/plan", endpoint(_amocrm_plan), methods=["POST"]),
        Route("/api/amocrm/apply", endpoint(_amocrm_apply), methods=["POST"]),
        Mount("/static", app=guarded_static),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _refuse(request: Request, state: ServeState) -> Response | None:
    if state.allowed_hosts:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if host not in state.allowed_hosts:
            return _error(request, f"host `{host}` is not this server's (funnelc serve "
                                   "answers only its loopback address)", 403)
    if state.token is None:
        return None
    given = (request.cookies.get(COOKIE) or request.headers.get("x-funnelc-token")
             or request.query_params.get("token") or "")
    if secrets.compare_digest(given.encode(), state.token.encode()):
        return None
    return _error(request, "this server needs the token `funnelc serve` printed in its "
                           "terminal: open the address it printed (…/?token=…)", 401)


async def _index(request: Request, state: ServeState) -> Response:
    response = FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-store"})
    if state.token is not None:
        response.set_cookie(COOKIE, state.token, httponly=True, samesite="strict")
    return response


def _live(state: ServeState, text: str) -> tuple[LiveView, Loaded]:
    """The live view of `text` and the text as loaded (read once: its model also gives
    the sliders)."""
    config, note = state.lint_config()
    with state.check_lock:
        view, loaded = evaluate_loaded(text, state.workspace.shown, config, state.language)
    if loaded.model is not None:
        state.language = view.language
    if note:
        view = dataclasses.replace(view, notes=(*view.notes, note))
    return view, loaded


def _state_now(state: ServeState) -> dict[str, object]:
    snap = state.workspace.read()
    view, loaded = _live(state, snap.text)
    model = loaded.model if view.ok else None
    language = i18n.language_of(model)
    return {"path": snap.path, "text": snap.text, "version": snap.version,
            "language": language, "labels": i18n.labels(language),
            "plurals": i18n.plurals(language), "live": view,
            "controls": controls_for(model) if model is not None else [],
            "targets": exports.targets(),
            "amocrm": bool(os.environ.get(exports.TOKEN_ENV))}


async def _state(request: Request, state: ServeState) -> Response:
    return _json(await run_in_threadpool(_state_now, state))


def _check_now(state: ServeState, text: str) -> dict[str, object]:
    view, loaded = _live(state, text)
    controls = controls_for(loaded.model) if view.ok and loaded.model is not None else []
    return {"live": view, "controls": controls, "version": version_of(text.encode("utf-8"))}


async def _check(request: Request, state: ServeState) -> Response:
    text = _str(await _body(request), "text")
    return _json(await run_in_threadpool(_check_now, state, text))


async def _whatif(request: Request, state: ServeState) -> Response:
    data = await _body(request)
    text, changes = _str(data, "text"), _changes(data)

    def run() -> object:
        return what_if(_model(text, state.workspace.shown), changes)
    return _json(await run_in_threadpool(run))


async def _scenario(request: Request, state: ServeState) -> Response:
    data = await _body(request)
    text, name, changes = _str(data, "text"), _str(data, "name"), _changes(data)
    new = await run_in_threadpool(with_scenario, normalize_line_ends(text),
                                  state.workspace.shown, name, changes)
    return _json({"text": new})


async def _save(request: Request, state: ServeState) -> Response:
    data = await _body(request)
    text, base = _str(data, "text"), _str(data, "base_version")
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise BadRequest("body: `force` must be true or false")
    result = await run_in_threadpool(state.workspace.save, text, base, force)
    return _json(result, 409 if result.conflict else 200)


async def _file(request: Request, state: ServeState) -> Response:
    snap = await run_in_threadpool(state.workspace.read)
    return _json({"version": snap.version, "text": snap.text})


async def _simulate(request: Request, state: ServeState) -> Response:
    data = await _body(request)
    text, changes = _str(data, "text"), _changes(data)
    options = RunOptions(days=_int(data, "days", 365), warmup=_int(data, "warmup", 30),
                         reps=_int(data, "reps", 8), seed=_int(data, "seed", 1))

    def run() -> SimView | None:
        funnel = apply_changes(_model(text, state.workspace.shown), changes)
        return state.pool.submit(funnel, options,
                                 version_of(normalize_line_ends(text).encode("utf-8"))).view
    return _json(await run_in_threadpool(run))


async def _events(request: Request, state: ServeState) -> Response:
    job = state.pool.job(request.path_params["job"])
    if job is None:
        raise BadRequest(f"no simulation `{request.path_params['job']}` (a newer run "
                         "replaces the one before)", 404)

    async def stream() -> AsyncIterator[str]:
        seen: int = -1
        current: State = "running"
        while True:
            view = await run_in_threadpool(job.wait, seen, current, 0.5)
            if view is None:
                if await request.is_disconnected():
                    return
                yield ": still running\n\n"
                continue
            seen, current = view.done, view.state
            yield f"data: {json.dumps(_plain(view), ensure_ascii=False)}\n\n"
            if view.state != "running":
                return
            await asyncio.sleep(0)
    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


async def _cancel(request: Request, state: ServeState) -> Response:
    job = state.pool.job(request.path_params["job"])
    if job is None:
        raise BadRequest(f"no simulation `{request.path_params['job']}`", 404)
    job.cancel()
    return _json(job.view)


async def _export(request: Request, state: ServeState) -> Response:
    data = await _body(request)
    text, target = _str(data, "text"), _str(data, "target")
    return _json(await run_in_threadpool(
        lambda: exports.export(_model(text, state.workspace.shown), target)))


async def _amocrm_plan(request: Request, state: ServeState) -> Response:
    text = _str(await _body(request), "text")
    return _json(await run_in_threadpool(
        lambda: exports.amocrm_plan(_model(text, state.workspace.shown))))


async def _amocrm_apply(request: Request, state: ServeState) -> Response:
    data = await _body(request)
    text = _str(data, "text")
    if data.get("confirm") is not True:
        raise BadRequest("body: applying needs `\"confirm\": true` (the page asks first)")
    return _json(await run_in_threadpool(
        lambda: exports.amocrm_plan(_model(text, state.workspace.shown), apply=True)))
