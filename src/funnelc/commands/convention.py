"""The one command-line convention every command follows (the one users know from ruff
and terraform): `--format` chooses what goes to stdout, `-o/--output PATH` sends it to a
file instead (through `commands.output`: `-` is stdout, inputs refused, atomic writes),
`-q/--quiet` silences the notes on stderr and `-v/--verbose` adds detail. The old
spellings (`--json PATH`, `--csv PATH`) keep working for one release, hidden from
`--help`, with a one-line deprecation note on stderr.

Options are listed in one order in every command's `--help`: `--format`, `-o`, `-q`,
`-v`, the command's own options, then the run options of `sim_options` (`--days`,
`--warmup`, `--reps`, `--seed`, `--start`, `--jobs`, …) and `--color` last.
Imports only click at module level.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from .output import STDOUT, Output, emit

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["format_option", "output_option", "verbosity_options", "deprecated_path_option",
           "Verbosity", "verbosity", "info", "detail", "deprecation_note", "text_output",
           "SHARED_ORDER", "resolve_legacy", "deliver", "to_json", "output_options",
           "color_choice", "present", "lang_option", "LANG_CHOICES", "LANG_META",
           "chosen_lang", "help_order"]

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

SHARED_ORDER = ("--format", "--output", "--quiet", "--verbose", "--days", "--warmup", "--reps",
                "--seed", "--start", "--jobs", "--executor", "--scheduler", "--max-deals",
                "--lang", "--color")
"""The relative order of the options several commands share, as `--help` lists them."""

_FIRST = SHARED_ORDER[:4]
_RUN = SHARED_ORDER[4:SHARED_ORDER.index("--lang")]
_LAST = ("--lang", "--color")


def help_order(command: click.Command) -> click.Command:
    """Puts `command`'s options in the one order `--help` lists them (docs/cli.md):
    `--format`, `-o`, `-q`, `-v`, the command's own options as declared, the run's
    options (`--days` … `--max-deals`), then `--lang` and `--color`. The decorators of
    each command declared them in several orders (check's own options after `--color`,
    export's `--to` before `--format`). A stable sort: arguments keep their order, and
    an option given on the command line is still processed as click does (in the order
    typed)."""
    def key(p: click.Parameter) -> tuple[int, int]:
        name = next((o for o in p.opts if o.startswith("--")), "")
        if not isinstance(p, click.Option) or not name:
            return (1, 0)
        for group, names in ((0, _FIRST), (2, _RUN), (3, _LAST)):
            if name in names:
                return (group, names.index(name))
        return (1, 0)
    command.params.sort(key=key)
    return command

_FORMAT_HELP = {
    "text": "text (tables or messages for people)",
    "json": "json (data, with a published JSON Schema)",
    "csv": "csv (the table, tidy)",
    "sarif": "sarif (SARIF 2.1.0)",
    "markdown": "markdown",
}


def format_option(*extra: str, default: str = "text", what: str = "") -> Decorator:
    """`--format text|json[|extra…]`: what goes to stdout (or to `-o PATH`)."""
    choices = ["text", "json", *extra]
    listed = ", ".join(_FORMAT_HELP.get(c, c) for c in choices)
    return click.option("--format", "fmt", type=click.Choice(choices), default=default,
                        show_default=True,
                        help=f"What to print{what}: {listed}. Goes to stdout, or to "
                             "-o/--output PATH.")


def output_option(help: str = "Write the --format output to PATH instead of stdout "
                              "(`-`: stdout; never over an input; written atomically)."
                  ) -> Decorator:
    """`-o/--output PATH` for commands whose product is one stream."""
    return click.option("-o", "--output", "output_path", metavar="PATH", default=None,
                        help=help)


@dataclass(frozen=True)
class Verbosity:
    """How much a command says on stderr besides its product: `quiet` keeps only
    warnings and errors, `verbose` adds detail."""

    quiet: bool = False
    verbose: bool = False


_META_KEY = "funnelc.verbosity"


def _store(flag: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        current = ctx.meta.get(_META_KEY, Verbosity())
        ctx.meta[_META_KEY] = Verbosity(quiet=current.quiet or (flag == "quiet" and value),
                                        verbose=current.verbose or
                                        (flag == "verbose" and value))
    return callback


def verbosity_options() -> list[Decorator]:
    """-q/--quiet and -v/--verbose; read back with `verbosity()`."""
    return [
        click.option("-q", "--quiet", is_flag=True, expose_value=False,
                     callback=_store("quiet"),
                     help="Print only the product, warnings and errors (no notes on "
                          "stderr)."),
        click.option("-v", "--verbose", is_flag=True, expose_value=False,
                     callback=_store("verbose"),
                     help="Also print what is being done, step by step, on stderr."),
    ]


def verbosity() -> Verbosity:
    """The -q/-v of the running command (defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if _META_KEY in ctx.meta:
            value: Verbosity = ctx.meta[_META_KEY]
            return value
        ctx = ctx.parent
    return Verbosity()


def info(message: str) -> None:
    """A note on stderr (`wrote PATH`, a clean check's summary), unless -q."""
    if not verbosity().quiet:
        click.echo(message, err=True)


LANG_CHOICES = ("ru", "uk", "en")
"""The languages of `--lang` (funnelc.i18n.LANGUAGES, listed without importing it)."""


LANG_META = "funnelc.lang"
"""Where `--lang` keeps its value in the click context's `meta` (shared by the group's
context, so `--help` finds it too; see `commands.help_i18n`)."""


def lang_option(help: str = "Language of the client-facing text (ru, uk or en) [default: "
                            "the account's `language`, else en].") -> Decorator:
    """`--lang ru|uk|en`: the language of what the client reads (the account's `language`
    by default). Set for the whole command through `funnelc.i18n.set_override`, and reset
    when the command ends (several commands may run in one process, as tests do)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is None or ctx.resilient_parsing:
            return
        from ..i18n import reset_override, set_override

        ctx.meta[LANG_META] = value
        token = set_override(value)
        ctx.call_on_close(lambda: reset_override(token))

    return click.option("--lang", type=click.Choice(LANG_CHOICES), default=None,
                        expose_value=False, callback=callback, help=help)


def chosen_lang() -> str | None:
    """The `--lang` of the running command, or None (without importing `funnelc.i18n`:
    `check` and `fmt` must not pay for it when no language is asked for)."""
    ctx = click.get_current_context(silent=True)
    value = ctx.meta.get(LANG_META) if ctx is not None else None
    return value if isinstance(value, str) else None


def drawing_warnings(messages: list[str]) -> None:
    """What matplotlib said while drawing a plot (a glyph the font lacks), one
    `warning: plot: ...` line each on stderr, even with -q: the file may be missing text."""
    for message in messages:
        click.echo(f"warning: plot: {message}", err=True)


def detail(message: str) -> None:
    """A step on stderr, only with -v (and never with -q)."""
    v = verbosity()
    if v.verbose and not v.quiet:
        click.echo(message, err=True)


def deprecation_note(old: str, new: str) -> None:
    """One line on stderr naming the new spelling (even with -q: it asks for a change)."""
    click.echo(f"warning: `{old}` is deprecated and will be removed in the next release; "
               f"use `{new}`", err=True)


def deprecated_path_option(old: str, dest: str, new: str) -> Decorator:
    """A hidden `old PATH` option kept for one release: it still works and prints a
    deprecation note naming `new` when used."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None
                 ) -> str | None:
        if value is not None and not ctx.resilient_parsing:
            spelled = new.replace(" -o PATH", "") if value == STDOUT else \
                new.replace("PATH", value)
            deprecation_note(f"{old} {value}", spelled)
        return value

    return click.option(old, dest, metavar="PATH", default=None, hidden=True,
                        callback=callback, help=f"Deprecated: use {new}.")


def output_options(*extra: str, what: str = "") -> list[Decorator]:
    """--format, -o, -q, -v: the first options of every command, in this order."""
    return [format_option(*extra, what=what), output_option(), *verbosity_options()]


def product_output(fmt: str, output_path: str | None, legacy: str | None = None) -> Output:
    """The command's product as an `output.Output` for `guard`: the file of `-o`, or
    stdout for a data format (text on stdout may give way to another `-` output, as
    `--records -` replaces simulate's tables)."""
    option = legacy or ("-o" if output_path is not None else f"--format {fmt}")
    path = output_path if output_path is not None else (None if fmt == "text" else STDOUT)
    return Output(option, path)


def resolve_legacy(fmt: str, output_path: str | None, legacy: str | None, legacy_format: str,
                   legacy_option: str) -> tuple[str, str | None, bool]:
    """Fold a deprecated `--json PATH`/`--csv PATH` into (format, output, keep_text).

    `--json -` meant "JSON instead of the tables": `--format json`. `--json FILE` meant
    "the tables on stdout and JSON in FILE": kept as it was (`keep_text`) for one
    release. Mixing it with the new options is a usage error."""
    if legacy is None:
        return fmt, output_path, False
    if fmt != "text" or output_path is not None:
        raise click.UsageError(f"{legacy_option} (deprecated) cannot be combined with "
                               "--format or -o; use --format "
                               f"{legacy_format} -o PATH alone")
    return legacy_format, legacy, legacy != STDOUT


def deliver(output_path: str | None, data: str | bytes, language: str | None = None) -> None:
    """The product to stdout (`None` or `-`) or to the file `output_path`, with a
    `wrote PATH` note on stderr unless -q (in `language`: see `wrote_line`)."""
    emit(output_path or STDOUT, data)
    if output_path not in (None, STDOUT):
        info(wrote_line(output_path, language))


def wrote_line(path: str, language: str | None = None) -> str:
    """The `wrote PATH` note in the client's language: `language` is the account's (a
    client command passes it), `--lang` over it. A Russian client read «wrote …» under
    a Russian `whatif -o`. With neither, English as written here, so a developer's
    command (`check -o`) never loads the catalogs (Babel)."""
    from ..i18n import current_override

    if language is None and current_override() is None:
        return f"wrote {path}"
    from ..i18n import choose, translator

    return translator(choose(language)).gettext("wrote {path}").format(path=path)


def to_json(data: object) -> str:
    """JSON as every command prints it: UTF-8 text, indented, NaN and infinities as
    null (strict JSON has neither)."""
    import json

    try:
        return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    except ValueError:  # an infinite or undefined figure: JSON has no word for it
        return json.dumps(_finite(data), ensure_ascii=False, indent=2) + "\n"


def _finite(data: object) -> object:
    """`data` with NaN and infinities as null."""
    import math

    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def color_choice(color: str) -> bool | None:
    """`--color auto|always|never` as `termtext.terminal_console` takes it: None lets
    the console decide by the terminal (and `NO_COLOR`), True and False force it."""
    return {"always": True, "never": False}.get(color)


@contextmanager
def text_output(path: str | None, color: str = "auto", width: int | None = None,
                highlight: bool = True) -> Iterator[Console]:
    """A console for the text product: the terminal (stdout, coloured as `--color`
    says, `width` columns if given, numbers highlighted unless `highlight` is off) when
    `path` is None or `-`, else a plain-text buffer written atomically to `path` when
    the block ends."""
    from ..termtext import file_console, terminal_console

    if path is None or path == STDOUT:
        yield terminal_console(color=color_choice(color), width=width, highlight=highlight)
        return
    buf = io.StringIO()
    yield file_console(buf)
    emit(path, buf.getvalue())


def present(fmt: str, output_path: str | None, text: Callable[[Console], None],
            data: Mapping[str, Callable[[], str]] | None = None, keep_text: bool = False,
            color: str = "auto", width: int | None = None, highlight: bool = True,
            language: str | None = None) -> None:
    """Deliver a command's product: `data[fmt]()` for a data format (`json`, `csv`);
    else the text, drawn by `text` on a console (`text_output`). A deprecated
    `--json FILE` (`keep_text`) writes the data there and still prints the text on
    stdout, as it did. `wrote PATH` goes to stderr unless -q, in the account's
    `language` (`wrote_line`)."""
    if fmt != "text":
        deliver(output_path, (data or {})[fmt](), language)
        if not keep_text:
            return
        output_path = None
    with text_output(output_path, color, width, highlight) as console:
        text(console)
    if output_path not in (None, STDOUT):
        info(wrote_line(output_path, language))
