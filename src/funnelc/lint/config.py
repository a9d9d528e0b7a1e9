"""Lint configuration: which rules run, at what severity, with which options.

Read from `[tool.funnelc.lint]` of a `pyproject.toml` or `[lint]` of a `funnelc.toml`,
found by walking up from the checked file (in each folder `funnelc.toml` wins; a
`pyproject.toml` counts only if it has a `[tool.funnelc]` table), so a consultant's
repository of client funnels has one config at its root:

    [tool.funnelc.lint]
    select = ["ALL"]                  # codes, prefixes (FN1, FN10), rule names, or ALL
    ignore = ["stage-without-hint"]
    severity = { FN109 = "warning" }  # error, warning or note

    [tool.funnelc.lint.card-overload] # per-rule options, by rule name or code
    max-fields = 30

A rule runs when it matches `select` (default: all) and does not match `ignore`.
Command-line `--select` replaces the file's `select`; `--ignore` and `--severity` add to
and override the file's. A mistake in the file is a usage error (exit 2) whose message
names the file and the exact key, because a silently ignored setting is worse than none.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..diagnostics import Severity, did_you_mean
from .base import OptionValue, Rule
from .rules import BY_CODE, BY_NAME, RULES, find_rule

__all__ = ["LintConfig", "ConfigError", "find_config_file", "load_config", "config_for",
           "parse_selectors", "parse_severity_pairs", "SEVERITIES"]

SEVERITIES = ("error", "warning", "note")
_TOP_KEYS = ("select", "ignore", "severity")


class ConfigError(ValueError):
    """A configuration the user must fix; the message names the file and key."""


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] | None = None
    """Selectors of the rules to run (None: all rules)."""
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    """Rule code → severity overriding the rule's default."""
    options: Mapping[str, Mapping[str, OptionValue]] = field(default_factory=dict)
    """Rule code → option overrides."""
    path: str | None = None
    """The file this configuration came from, for messages."""

    def enabled(self, rule: Rule) -> bool:
        selected = self.select is None or any(_matches(s, rule) for s in self.select)
        return selected and not any(_matches(s, rule) for s in self.ignore)

    def severity_of(self, rule: Rule) -> Severity:
        return self.severity.get(rule.code, rule.default_severity)

    def options_for(self, rule: Rule) -> dict[str, OptionValue]:
        opts = {k: (list(v) if isinstance(v, list) else v) for k, v in rule.options.items()}
        opts.update(self.options.get(rule.code, {}))
        return opts

    def with_cli(self, select: Iterable[str] | None = None, ignore: Iterable[str] = (),
                 severity: Mapping[str, Severity] | None = None) -> LintConfig:
        """The command line on top of the file: `--select` replaces, the rest adds."""
        sev = dict(self.severity)
        sev.update(severity or {})
        return replace(self, select=tuple(select) if select is not None else self.select,
                       ignore=self.ignore + tuple(ignore), severity=sev)


def _matches(selector: str, rule: Rule) -> bool:
    if selector == "ALL":
        return True
    if selector == rule.name:
        return True
    return rule.code.startswith(selector)


def parse_selectors(values: Iterable[str], where: str) -> tuple[str, ...]:
    """Check selectors: `ALL`, a code or code prefix matching some rule, or a rule name.
    Codes are upper-cased (`fn101` is `FN101`); `where` names the source for errors."""
    out: list[str] = []
    for raw in values:
        for item in str(raw).split(","):
            s = item.strip()
            if not s:
                continue
            if s.upper() == "ALL":
                out.append("ALL")
                continue
            if s.upper().startswith("FN") and any(c.startswith(s.upper()) for c in BY_CODE):
                out.append(s.upper())
                continue
            if s in BY_NAME:
                out.append(s)
                continue
            guess = did_you_mean(s, list(BY_NAME) + list(BY_CODE))
            hint = f" (did you mean `{guess}`?)" if guess else ""
            if s.upper().startswith("FN") and s[2:].isdigit():
                raise ConfigError(f"{where}: `{s}` is not a lint rule code or prefix{hint}; "
                                  f"lint rules are {RULES[0].code}-{RULES[-1].code}, see `funnelc rules`")
            raise ConfigError(f"{where}: unknown rule `{s}`{hint}; see `funnelc rules`")
    return tuple(out)


def _severity_value(value: Any, where: str) -> Severity:
    if not isinstance(value, str) or value.lower() not in SEVERITIES:
        raise ConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, "
                          f"not {value!r}")
    return Severity(value.lower())


def _rule_for(key: str, where: str) -> Rule:
    rule = find_rule(key)
    if rule is None:
        guess = did_you_mean(key, list(BY_NAME) + list(BY_CODE))
        hint = f" (did you mean `{guess}`?)" if guess else ""
        raise ConfigError(f"{where}: unknown rule `{key}`{hint}; see `funnelc rules`")
    return rule


def parse_severity_pairs(pairs: Iterable[str], where: str = "--severity") -> dict[str, Severity]:
    """`FN106=warning` / `stage-without-hint=note` pairs from the command line."""
    out: dict[str, Severity] = {}
    for raw in pairs:
        for item in raw.split(","):
            if not item.strip():
                continue
            if "=" not in item:
                raise ConfigError(f"{where}: expected RULE=SEVERITY (like `FN106=warning`), "
                                  f"not `{item.strip()}`")
            key, value = (p.strip() for p in item.split("=", 1))
            rule = _rule_for(key, f"{where} {key}")
            out[rule.code] = _severity_value(value, f"{where} {key}")
    return out


def _option_value(default: OptionValue, value: Any, where: str) -> OptionValue:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, not {value!r}")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ConfigError(f"{where}: expected a whole number ≥ 0, not {value!r}")
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        raise ConfigError(f"{where}: expected a number ≥ 0, not {value!r}")
    if isinstance(default, list):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ConfigError(f"{where}: expected a list of strings, not {value!r}")
    if isinstance(value, str):
        return value
    raise ConfigError(f"{where}: expected a string, not {value!r}")


def config_from_table(table: Any, prefix: str, path: str | None) -> LintConfig:
    """Build a config from the `lint` table; `prefix` is its dotted key, for messages."""
    where0 = f"{path}: " if path else ""
    if not isinstance(table, dict):
        raise ConfigError(f"{where0}`{prefix}` must be a table")
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = {}
    options: dict[str, dict[str, OptionValue]] = {}
    for key, value in table.items():
        where = f"{where0}`{prefix}.{key}`"
        if key in ("select", "ignore"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: expected a list of rule codes or names, "
                                  f"like [\"FN101\", \"stage-without-hint\"]")
            parsed = parse_selectors(value, where)
            if key == "select":
                select = parsed
            else:
                ignore = parsed
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table like "
                                  '{ FN106 = "warning" }')
            for rule_key, sev in value.items():
                rule = _rule_for(rule_key, f"{where0}`{prefix}.severity.{rule_key}`")
                severity[rule.code] = _severity_value(
                    sev, f"{where0}`{prefix}.severity.{rule_key}`")
        else:
            found = find_rule(key)
            if found is None:
                guess = did_you_mean(key, list(_TOP_KEYS) + list(BY_NAME))
                hint = f" (did you mean `{guess}`?)" if guess else ""
                raise ConfigError(f"{where}: unknown key{hint}; expected select, ignore, "
                                  "severity, or a rule name with its options")
            rule = found
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of options of `{rule.name}`")
            opts = options.setdefault(rule.code, {})
            for opt, opt_value in value.items():
                owhere = f"{where0}`{prefix}.{key}.{opt}`"
                if opt not in rule.options:
                    known = ", ".join(rule.options) or "none"
                    guess = did_you_mean(opt, list(rule.options))
                    hint = f" (did you mean `{guess}`?)" if guess else ""
                    raise ConfigError(f"{owhere}: `{rule.name}` has no option `{opt}`{hint}; "
                                      f"its options: {known}")
                opts[opt] = _option_value(rule.options[opt], opt_value, owhere)
    return LintConfig(select, ignore, severity, options, path)


def find_config_file(start: str | os.PathLike[str]) -> Path | None:
    """The nearest `funnelc.toml`, or `pyproject.toml` with a `[tool.funnelc]` table,
    in the folder of `start` or above it."""
    here = Path(start).resolve()
    folder = here if here.is_dir() else here.parent
    for d in (folder, *folder.parents):
        candidate = d / "funnelc.toml"
        if candidate.is_file():
            return candidate
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and _has_funnelc_table(pyproject):
            return pyproject
    return None


def _has_funnelc_table(path: Path) -> bool:
    try:
        return _text_has_funnelc_table(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # A broken pyproject.toml of some other tool is not our business unless it is
        # ours: look for our table textually, and let load_config report the error.
        try:
            return "[tool.funnelc" in path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False


@functools.lru_cache(maxsize=32)
def _text_has_funnelc_table(text: str) -> bool:
    """Keyed by the text, so an edited file is read afresh: every checked file looks up
    the folders above it, and parsing a project's pyproject.toml each time was a quarter
    of a small `check`."""
    data = tomllib.loads(text)
    return isinstance(data.get("tool"), dict) and "funnelc" in data["tool"]


def load_config(path: str | os.PathLike[str]) -> LintConfig:
    """Read a `funnelc.toml` (`[lint]`) or a `pyproject.toml` (`[tool.funnelc.lint]`);
    any other file name is read as a funnelc.toml."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{p}: is a folder, not a config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the config file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    if p.name == "pyproject.toml":
        tool = data.get("tool", {})
        ours = tool.get("funnelc", {}) if isinstance(tool, dict) else {}
        if not isinstance(ours, dict):
            raise ConfigError(f"{p}: `tool.funnelc` must be a table")
        table, prefix = ours.get("lint", {}), "tool.funnelc.lint"
    else:
        table, prefix = data.get("lint", {}), "lint"
    return config_from_table(table, prefix, str(p))


_CACHE: dict[Path, LintConfig] = {}


def config_for(checked: str | os.PathLike[str] | None, explicit: str | None = None) -> LintConfig:
    """The configuration for one checked file: the `--config` file if given, else the
    nearest one found upward from the file (from the working folder for stdin), else the
    defaults. Files are read once per process."""
    if explicit is not None:
        found: Path | None = Path(explicit)
    else:
        start = Path(checked) if checked not in (None, "-", "<stdin>") else Path.cwd()
        found = find_config_file(start if start.exists() else start.parent)
    if found is None:
        return LintConfig()
    key = found.resolve()
    if key not in _CACHE:
        _CACHE[key] = load_config(found)
    return _CACHE[key]


def all_rules() -> tuple[Rule, ...]:
    return RULES
