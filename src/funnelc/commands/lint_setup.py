"""Glue between `funnelc check` and the linter: command-line options on top of the
config file found for each checked file, and configuration mistakes turned into usage
errors (exit 2) that name the file and key. It lives with the commands, not in
`funnelc.lint`, because it speaks click: the linter itself stays usable without a CLI
(the layers contract in pyproject.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ..lint.config import ConfigError, LintConfig, config_for, parse_selectors, parse_severity_pairs
from ..lint.runner import LintReport, lint_report

if TYPE_CHECKING:
    from ..lint.background import Pending

__all__ = ["LintSetup", "ConfigUsageError"]


class ConfigUsageError(click.ClickException):
    """A bad lint setting: printed as `error: …`, exit 2, no usage banner (the command
    line was fine; a file was not)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@dataclass
class LintSetup:
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]
    severity: dict[str, Any]
    config_path: str | None

    @classmethod
    def from_cli(cls, select: tuple[str, ...], ignore: tuple[str, ...],
                 severity: tuple[str, ...], config_path: str | None) -> LintSetup:
        try:
            sel = parse_selectors(select, "--select") if select else None
            ign = parse_selectors(ignore, "--ignore")
            sev = parse_severity_pairs(severity)
        except ConfigError as exc:
            raise click.BadParameter(str(exc).split(": ", 1)[-1],
                                     param_hint=str(exc).split(":", 1)[0]) from None
        setup = cls(sel, ign, sev, config_path)
        if config_path is not None:
            setup.config_for(None)  # a broken --config is reported before any file
        return setup

    def config_for(self, path: str | None) -> LintConfig:
        try:
            base = config_for(path, self.config_path)
        except ConfigError as exc:
            raise ConfigUsageError(str(exc)) from None
        return base.with_cli(self.select, self.ignore, self.severity)

    def start(self, loaded: Any) -> Pending | None:
        """Start linting a big file in a worker before its semantic checks run
        (`lint.background`); None when it is not worth it. The config is read here, so a
        broken one is reported by this process as usual."""
        if loaded.model is None:
            return None
        from ..lint.background import start

        return start(loaded.model, self.config_for(loaded.path), loaded.path)

    def run(self, loaded: Any, pending: Pending | None = None) -> LintReport:
        """Lint a loaded file; with `pending`, take the worker's report when it has one."""
        if loaded.model is None:
            return LintReport()
        config = self.config_for(loaded.path)  # a broken config is reported either way
        if not loaded.ok:
            if pending is not None:
                pending.cancel()
            return LintReport()
        if pending is not None:
            return pending.report(loaded.model, loaded.comments, config, loaded.path)
        return lint_report(loaded, config)
