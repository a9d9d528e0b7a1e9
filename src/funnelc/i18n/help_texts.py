"""The `--help` texts that `--lang` translates (`commands.help_i18n`): click's own
headings, and the help of `check`, `fmt` and the options they share, as the commands
define them (tests/test_diagnostics_lang.py fails when one of them changes and no
longer has its translation). Context `help`."""

from __future__ import annotations

from . import C_

__all__ = ["HELP_TEXTS"]

HELP_TEXTS: tuple[str, ...] = (
    C_("help", 'Usage:'),
    C_("help", 'Options'),
    C_("help", 'Show this message and exit.'),
    C_("help", 'default'),
    C_("help", 'required'),
    C_("help", 'Check FILES (use - for stdin) and report every problem found.\n'
       '\n'
       'Exit code 0 when clean, 1 when any file has problems, 2 on a usage error\n'
       '(a missing file) or an internal failure.'),
    C_("help", 'What to print: text (the problems, for people, on stderr), json (on stdout; '
       'schema: diagnostics.schema.json) or sarif (SARIF 2.1.0, on stdout); '
       '-o/--output PATH writes it to a file instead.'),
    C_("help", 'Write the --format output to PATH instead of stdout (`-`: stdout; never '
       'over an input; written atomically).'),
    C_("help", 'Print only the product, warnings and errors (no notes on stderr).'),
    C_("help", 'Also print what is being done, step by step, on stderr.'),
    C_("help", 'Language of the text report and of --help: ru, uk or en (the default); json '
       'and sarif stay English.'),
    C_("help", 'Colour the text output.'),
    C_("help", 'Run only these lint rules: codes, prefixes (FN1), names, or ALL; '
       "comma-separated, repeatable. Replaces the config's `select`."),
    C_("help", "Skip these lint rules (added to the config's `ignore`)."),
    C_("help", "Set a lint rule's severity: error, warning or note (FN106=warning)."),
    C_("help", 'Lint config file (funnelc.toml or pyproject.toml) instead of the one found '
       'upward from each file.'),
    C_("help", 'Report only syntax and semantic errors.'),
    C_("help", 'Format FILES in the canonical layout (use - for stdin).\n'
       '\n'
       'Without an option, print the formatted text of one file to stdout. A file '
       'with\n'
       'syntax errors is never changed: its errors are printed as `check` prints '
       'them.\n'
       '\n'
       'Exit code 0 when done (with --check or --diff: when nothing would change), '
       '1 when a\n'
       'file has syntax errors or would change, 2 on a usage error or an internal '
       'failure.'),
    C_("help", "What to print (json: every file's status, and the formatted text or diff "
       'where printed; schema fmt.schema.json): text (tables or messages for '
       'people), json (data, with a published JSON Schema). Goes to stdout, or to '
       '-o/--output PATH.'),
    C_("help", 'Change nothing; list the files that would change and exit 1 if any would.'),
    C_("help", 'Change nothing; print a unified diff and exit 1 if any file would change.'),
    C_("help", 'Rewrite, atomically, the files not already in the canonical layout.'),
    C_("help", 'Language of the diagnostics and of --help: ru, uk or en (the default); json '
       'stays English.'),
    C_("help", 'Colour the diagnostics.'),
)
