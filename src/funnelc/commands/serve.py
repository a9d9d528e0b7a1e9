"""`funnelc serve FILE`: workshop mode, a local web page to edit FILE and watch its
diagram, exact figures, graveyards and staffing change (`funnelc.serve`). Needs the
optional extra `funnelc[serve]` (Starlette and uvicorn); without it the command says how
to install it. Nothing of the extra is imported before this command runs."""

from __future__ import annotations

import socket

import click

from .common import EXIT_CLEAN, EXIT_USAGE
from .convention import deliver, info, lang_option, output_options, to_json
from .output import Output, guard
from .sim_options import stack

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ServeError(click.ClickException):
    """Cannot serve (the extra missing, the file unreadable, the port taken): exit 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.message}", err=True)
        if self.hint:
            click.echo(f"  = help: {self.hint}", err=True)


@click.command("serve")
@click.argument("file", type=click.Path(dir_okay=False))
@stack(output_options(what=" once the server listens (json: its address; schema "
                            "serve.schema.json)"))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="TCP port to listen on (0: any free port, printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback shares the page on the "
                   "network: a warning is printed and every request needs the token shown.")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Worker processes for simulations (default: the cores, at most 4).")
@click.option("--exit-after", type=click.FloatRange(0, None), default=None, metavar="SECONDS",
              help="Stop serving after SECONDS (for scripts and tests; default: until Ctrl+C).")
@lang_option()
def serve_command(file: str, fmt: str, output_path: str | None, port: int, host: str,
                  no_browser: bool, jobs: int | None, exit_after: float | None) -> None:
    """Serve FILE as a workshop page: the text with its check and lint findings as
    you type, the pipelines as a diagram with the exact figures per stage, what-if
    sliders for teams, sources and SLAs, simulations on demand with results as they
    come, and the exports.

    Listens on 127.0.0.1 (this computer only) unless --host says otherwise. Saving
    writes FILE atomically; a change made to FILE by another program is picked up.
    Exit code 0 when stopped, 2 when it cannot serve.
    """
    import os
    import secrets

    from ..serve import missing_extra

    lacking = missing_extra()
    if lacking:
        raise ServeError(f"`funnelc serve` needs {' and '.join(lacking)}, which are not "
                         "installed", "pip install 'funnelc[serve]'")
    guard([Output("-o", output_path)], [file])
    from ..serve.app import ServeState, create_app
    from ..serve.simjobs import SimPool
    from ..serve.workspace import Workspace, WorkspaceError

    workspace = Workspace(file)
    try:
        workspace.read()
    except WorkspaceError as exc:
        raise ServeError(str(exc), "give an existing funnel file (UTF-8 text)") from None
    loopback = host in LOOPBACK
    token = None if loopback else secrets.token_urlsafe(18)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
    if not loopback:
        click.echo(f"warning: serving {file} on {host}: anyone who can reach this address "
                   "and has the token can read and change the file; the token is in the "
                   "address below", err=True)
    pool = SimPool(jobs or max(1, min(os.cpu_count() or 1, 4)))
    pool.start()
    state = ServeState(workspace, pool, token, () if not loopback else LOOPBACK)
    _announce(fmt, output_path, exit_after, {"url": url, "host": host, "port": bound,
                                             "file": file, "token": token,
                                             "loopback": loopback})
    try:
        _run(create_app(state), sock, url, not no_browser, exit_after)
    except KeyboardInterrupt:
        # Ctrl+C, the way to stop the server the page and this command name: uvicorn
        # shuts down, then raises it again. Stopped as asked: exit 0, not click's
        # «Aborted!» and 1.
        pass
    finally:
        pool.close()
        sock.close()
    raise SystemExit(EXIT_CLEAN)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a ServeError saying why not."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         "choose another --port (0 picks a free one)") from None
    return sock


def _announce(fmt: str, output_path: str | None, exit_after: float | None,
              announce: dict[str, str | int | bool | None]) -> None:
    """Say where the page is: JSON (for scripts and tests) or a line for people."""
    if fmt == "json":
        deliver(output_path, to_json(announce))
        return
    text = f"serving {announce['file']} at {announce['url']}\n" + (
        "" if exit_after is not None else "press Ctrl+C to stop\n")
    if output_path is not None:
        deliver(output_path, text)
    else:
        info(text.rstrip("\n"))


def _run(app: object, sock: object, url: str, browser: bool, exit_after: float | None) -> None:
    """Serve until Ctrl+C (or `exit_after` seconds)."""
    import threading

    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="on",  # type: ignore[arg-type]
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    if exit_after is not None:
        timer = threading.Timer(exit_after, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    if browser:
        import webbrowser

        threading.Timer(0.3, webbrowser.open, (url,)).start()
    server.run(sockets=[sock])  # type: ignore[list-item]
