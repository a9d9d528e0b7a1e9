"""The `--help` texts that `--lang` translates (`commands.help_i18n`): click's own
headings, and the help of every command and option as the commands define them
(tests/test_diagnostics_lang.py fails when one of them changes and no longer has its
translation: add the new text here, run `python -m funnelc.i18n extract` and translate
it). Context `help`."""

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
    C_("help", 'Print the JSON Schema (draft 2020-12) of the funnel model, or with COMMAND '
       'of\n'
       "that command's `--format json` output (check, fmt, rules, rule, export, "
       'import,\n'
       'apply, analyze, simulate, report, whatif, sweep, staff, history, fit, '
       'forecast,\n'
       'audit, serve).'),
    C_("help", 'What to print: json (the schema is JSON itself; the option is here so that '
       'every command takes it). Goes to stdout, or to -o/--output PATH.'),
    C_("help", 'Exact funnel maths for FILE: per stage expected visits per lead, arrivals, '
       'P(win),\n'
       'mean time in stage, team load, Erlang C wait, respond-breach and '
       'SLA-timeout shares,\n'
       "and occupancy; per pipeline its conversion; the account's expected "
       'revenue.\n'
       '\n'
       'Closed forms are shown only where their assumptions hold; elsewhere the '
       'notes\n'
       'column says why not. Exit code 0 when analysed, 1 when the file has '
       'errors,\n'
       '2 on a usage error.'),
    C_("help", 'What to print (json: schema analyze.schema.json): text (tables or messages '
       'for people), json (data, with a published JSON Schema). Goes to stdout, or '
       'to -o/--output PATH.'),
    C_("help", "Analyse the sources' rate in this month of their profile (default: the "
       'annual mean).'),
    C_("help", "Apply this scenario's overrides first."),
    C_("help", 'Simulate FILE: deals arrive from the sources, queue for team members, get '
       'worked,\n'
       'move on, time out by SLA; every figure is the mean of --reps replications '
       'with its\n'
       '95 % confidence interval.\n'
       '\n'
       'Exit code 0 when simulated (unstable teams are flagged, not refused), 1 '
       'when the\n'
       'file has errors, 2 on a usage error.'),
    C_("help", 'What to print (json: schema `funnelc simulate --schema`): text (tables or '
       'messages for people), json (data, with a published JSON Schema). Goes to '
       'stdout, or to -o/--output PATH.'),
    C_("help", 'Horizon in days, warm-up included (at most 36500).'),
    C_("help", 'Days simulated but left out of every statistic.'),
    C_("help", 'Independent replications, 1 to 10000; every variant of a comparison runs '
       'the same ones (common random numbers). A 95 % confidence interval needs at '
       'least 2: with 1, figures are shown without one.'),
    C_("help", 'Seed of every random stream: the same seed gives the same output.'),
    C_("help", 'Date of day 1 (calendar and monthly profiles) [default: 2018-01-01, a '
       'Monday of a non-leap year].'),
    C_("help", 'Worker processes (default: all cores); results do not depend on it.'),
    C_("help", 'Refuse a run expected to simulate more deals than this in all (replications '
       'and variants together; events: 40 per deal), and stop a replication that '
       'creates more.'),
    C_("help", 'Write one CSV row per deal per stage visit to PATH (`-` prints the CSV '
       'instead of tables).'),
    C_("help", 'Print the JSON Schema of the --format json output and exit.'),
    C_("help", "Language of the client-facing text (ru, uk or en) [default: the account's "
       '`language`, else en].'),
    C_("help", 'Write the report of FILE into DIR: the graveyards in plain words, the '
       'simulation\n'
       '(every figure the mean of --reps replications with its 95 % confidence '
       'interval)\n'
       'beside the exact maths, teams, respond and SLA figures, and plots of the '
       'funnel, the\n'
       'backlog of every stage over time, team utilization and time in stage.\n'
       '\n'
       'Files: report.html, summary.json, stages.csv, funnel, backlog, utilization '
       'and\n'
       'time_in_stage as .png and .svg. Exit code 0 when written, 1 when the file '
       'has\n'
       'errors (nothing is written), 2 on a usage error.'),
    C_("help", 'What to print once the report is written: text (the files written and the '
       'headline) or json (summary.json itself; schema `funnelc report --schema`).'),
    C_("help", 'Folder to write the report into (created if missing; files in it with the '
       "report's names are replaced). The report is a folder, so -o names a folder "
       'here.'),
    C_("help", 'Add a What-if section: every scenario of the file against this run, on '
       'common random numbers (simulates each scenario too).'),
    C_("help", 'Print the JSON Schema of summary.json and exit.'),
    C_("help", 'Export FILE for a CRM, as a diagram, a manager playbook or JSON.\n'
       '\n'
       'Nothing is written when the file has errors or the target cannot hold the '
       'account\n'
       '(the reasons are printed as diagnostics pointing at the funnel source).'),
    C_("help", 'amocrm, bitrix24, pipedrive, hubspot, salesforce, salesforce-sfdx, mermaid, '
       'dot, playbook-md, playbook-html, json'),
    C_("help", "What to print: text (the target's own file as it is) or json (every file of "
       'the target by name, folder targets too; schema export.schema.json). Goes to '
       'stdout, or to -o/--output PATH.'),
    C_("help", 'Output file (or folder for folder targets with --format text); default: stdout.'),
    C_("help", 'Plan and apply FILE to a live CRM account (--to amocrm, bitrix24, '
       'pipedrive, hubspot).\n'
       '\n'
       'Reads the account (pipelines, stages, custom fields), prints what would '
       'change —\n'
       'create, update, leave alone, and with --allow-delete what would be deleted, '
       'listed\n'
       'apart — and changes it only with --yes, one step at a time, stopping at the '
       'first\n'
       'failure and saying what was and was not applied. Applying again plans '
       'nothing.'),
    C_("help", 'What to print (json: the account read, the plan and what was applied; '
       'schema apply.schema.json): text (tables or messages for people), json '
       '(data, with a published JSON Schema). Goes to stdout, or to -o/--output '
       'PATH.'),
    C_("help", 'The CRM to apply to (default: amocrm).'),
    C_("help", 'amoCRM: account subdomain, S.amocrm.ru.'),
    C_("help", "API root instead of the CRM's own (https; plain http only to a loopback "
       "address). Bitrix24: the portal's REST root, with an OAuth token."),
    C_("help", 'Read the credential from this file instead of the environment variable '
       '(AMOCRM_TOKEN, BITRIX24_WEBHOOK, PIPEDRIVE_TOKEN, HUBSPOT_TOKEN).'),
    C_("help", 'Carry the plan out (without it: only print the plan).'),
    C_("help", 'Also delete stages, pipelines and fields the file does not have (listed '
       'apart in the plan).'),
    C_("help", "Turn a CRM's answers back into funnel text (--from amocrm, bitrix24, "
       'pipedrive, hubspot).\n'
       '\n'
       "Pipelines and their stages (in amoCRM's order), colours, descriptions as "
       'hints,\n'
       'custom fields with their options, required fields per stage, and loss '
       'reasons (as a\n'
       'comment). amoCRM keeps no routing, so the stages have no outcomes: `funnelc '
       'check`\n'
       "will say so. Keys amoCRM's documented answers do not have are warnings "
       '(--strict:\n'
       'errors).'),
    C_("help", 'The CRM the answers come from (default: amocrm, whose first ANSWER is '
       'PIPELINES.json). Bitrix24: answers of crm.category.list, crm.status.list '
       'and crm.{deal,contact,company}.userfield.list. Pipedrive, HubSpot: one JSON '
       'object whose keys name the GET requests apply reads (pipelines, stages, '
       'dealFields …; pipelines/deals, properties/deals …). None: read live.'),
    C_("help", 'Live import: read the credential from this file instead of the environment '
       'variable (BITRIX24_WEBHOOK, …).'),
    C_("help", "Live import with an OAuth token: the portal's REST root (https)."),
    C_("help", 'Answer of GET /api/v4/{leads,contacts,companies}/custom_fields (one per '
       'entity and page; repeat the option).'),
    C_("help", 'Answer of GET /api/v4/leads/pipelines/{id}/statuses?with=descriptions, for '
       'the hints (repeat per pipeline).'),
    C_("help", "Answer of GET /api/v4/leads/loss_reasons: listed in the file's header "
       'comment, for the `-> lost "reason"` outcomes (repeat per page).'),
    C_("help", 'What to print: text (the funnel file) or json (the funnel text with what '
       'was imported and the warnings; schema import.schema.json). Goes to stdout, '
       'or to -o/--output PATH.'),
    C_("help", 'Funnel file (or, with --format json, JSON file) to write; default: stdout.'),
    C_("help", "amoCRM and Bitrix24: refuse keys the CRM's documented answers do not have "
       '(exit 1, nothing written); default: a warning for each, and the import goes '
       'on.'),
    C_("help", 'List the lint rules: code, name, kind, default severity, what each flags.'),
    C_("help", 'What to print: text (a table), json (schema rules.schema.json) or markdown '
       '(docs/rules.md). Goes to stdout, or to -o/--output PATH.'),
    C_("help", 'Show the documentation of the lint rule CODE (a code like FN103 or a name '
       'like\n'
       'graveyard-stage): what it flags, why, a bad and a good example, its seed, '
       'options.'),
    C_("help", "What to print: text (the rule's documentation), json (its code, name, kind, "
       'severity, title and options; schema rule.schema.json) or markdown (its '
       'section of docs/rules.md). Goes to stdout, or to -o/--output PATH.'),
    C_("help", 'Compare scenarios of FILE with the file as written.\n'
       '\n'
       'The baseline and every scenario run the same replication indices, so each\n'
       'replication of a scenario sees the same arrivals and draws as the '
       "baseline's wherever\n"
       'the scenario does not change them (common random numbers). Each figure is '
       'shown as\n'
       "the scenario's difference from the baseline with the 95 % confidence "
       'interval of the\n'
       'per-replication differences: conversion, revenue, respond breaches, SLA '
       'timeouts,\n'
       'cycle time, team utilization, plus graveyard verdicts that change.\n'
       '\n'
       'Exit code 0 when compared, 1 when the file has errors, 2 on a usage error.'),
    C_("help", 'What to print (json: schema whatif.schema.json): text (tables or messages '
       'for people), json (data, with a published JSON Schema). Goes to stdout, or '
       'to -o/--output PATH.'),
    C_("help", 'A scenario of the file to compare (repeatable; default: every scenario when '
       'no --set is given).'),
    C_("help", 'One scenario line, e.g. \'team "Менеджеры" size 5\' (repeatable; all --set '
       'lines together form one scenario).'),
    C_("help", 'Date of day 1 [default: 2018-01-01, a Monday].'),
    C_("help", 'Local worker processes (default: all cores; small runs stay in one '
       'process); results do not depend on it.'),
    C_("help", 'Where replications run: local processes (default) or a Dask cluster (needs '
       "--scheduler and `pip install 'funnelc[dask]'`)."),
    C_("help", 'Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies --executor dask).'),
    C_("help", 'Write the comparison plot as PATH.png and PATH.svg.'),
    C_("help", 'Other significant changes listed per scenario (stages, pipelines).'),
    C_("help", 'Run FILE over a grid of variations.\n'
       '\n'
       'Every point uses the same replication indices (common random numbers), so\n'
       'neighbouring points differ by the change, not by luck. Exit code 0 when '
       'swept, 1\n'
       'when the file has errors, 2 on a usage error (a --vary that names nothing, '
       'an empty\n'
       'range, an unknown metric).'),
)
