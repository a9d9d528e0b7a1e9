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
       '95% confidence interval.\n'
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
       'the same ones (common random numbers). A 95% confidence interval needs at '
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
       '(every figure the mean of --reps replications with its 95% confidence '
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
    C_("help", "Turn a CRM's answers back into funnel text (--from amocrm, bitrix24, pipedrive,\n"
       'hubspot, salesforce).\n'
       '\n'
       "Pipelines and their stages (in the CRM's order), colours, descriptions as hints,\n"
       'custom fields with their options, required fields per stage, and loss reasons (as a\n'
       'comment). No CRM keeps routing, so the stages have no outcomes: `funnelc check`\n'
       "will say so. Keys amoCRM's documented answers do not have are warnings (--strict:\n"
       'errors).'),
    C_("help", 'The CRM the answers come from (default: amocrm, whose first ANSWER is '
       'PIPELINES.json). Bitrix24: answers of crm.category.list, crm.status.list and '
       'crm.{deal,contact,company}.userfield.list. Pipedrive, HubSpot: one JSON object '
       'whose keys name the GET requests apply reads (pipelines, stages, dealFields …; '
       'pipelines/deals, properties/deals …). Salesforce: the folder or zip `sf project '
       'retrieve start` wrote (OpportunityStage, sales processes, record types, custom '
       "fields), its files, or saved REST answers (the OpportunityStage query, an object's "
       'describe). None: read live (not Salesforce).'),
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
       "the scenario's difference from the baseline with the 95% confidence "
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
    C_("help", 'What to print (json: schema sweep.schema.json; csv: one row per point and '
       'metric): text (tables or messages for people), json (data, with a published '
       'JSON Schema), csv (the table, tidy). Goes to stdout, or to -o/--output '
       'PATH.'),
    C_("help", 'A scenario line with a range for its value, e.g. \'team "Менеджеры" size '
       '2..8\' or \'source "Сайт" rate 10..40/day step 10\' (repeatable: the grid is '
       'every combination).'),
    C_("help", 'A metric for the table and plots, e.g. conversion, revenue, '
       'utilization:Менеджеры, respond_breach_pct:Квалификация.Заявка получена '
       '(repeatable; default: the account headline and the utilization of resized '
       'teams).'),
    C_("help", 'Plot each --metric (heat map and lines over two axes, a line over one) as '
       'PATH.png and PATH.svg; several metrics get PATH-METRIC.*.'),
    C_("help", "Apply this scenario of the file first (the sweep's base)."),
    C_("help", 'Find the smallest size of --team meeting every --target.\n'
       '\n'
       'The search starts from the exact answer where one applies (Erlang C / '
       'M/M/c+D for a\n'
       'team serving one stage with exponential work around the clock, Erlang A for '
       'an abandon\n'
       'target with exponential patience; the offered load for utilization), steps '
       'down, or\n'
       'brackets upwards by extrapolating the missed targets and closes in by '
       'interpolation.\n'
       'Each size gets a few replications first, then more until its 95% interval '
       'clears the\n'
       'targets (or --max-reps). Every size runs the same replication indices '
       '(common random\n'
       'numbers). The answer comes with why: where the breaches of a respond target '
       '(or the\n'
       'abandonments of an abandon target) come from (deals arriving outside '
       'working hours,\n'
       'by weekday, by queue priority), which stages load the team, and what a '
       'lever\n'
       '(earlier hours, a FIFO queue) would need, simulated.\n'
       '\n'
       'Exit code 0 when a size meets every target, 1 when none up to --max-size '
       'does (the\n'
       'best size found is printed) or the file has errors, 2 on a usage error.'),
    C_("help", 'What to print (json: schema staff.schema.json; csv: the staffing curve, one '
       'row per size and target): text (tables or messages for people), json (data, '
       'with a published JSON Schema), csv (the table, tidy). Goes to stdout, or to '
       '-o/--output PATH.'),
    C_("help", 'The team to size.'),
    C_("help", '\'respond 15m 90%\' (optionally \'at "P"."S"\'), \'utilization <= 85%\', \'abandon '
       "<= 5%' (at most 5% of deals give up waiting: their `patience` runs out; "
       'optionally \'at "P"."S"\'), \'no graveyard\' (repeatable: every target must '
       'hold; with --objective profit, constraints on the most profitable size).'),
    C_("help", 'targets: the smallest size meeting every --target; profit: the size with '
       "the highest expected profit (revenue less the file's costs) that meets "
       'them, with the sizes within the noise of it.'),
    C_("help", 'Largest size to try (at most 10,000: no CRM account has more users).'),
    C_("help", 'Replications a size may grow to while its 95% interval straddles a target '
       '[default: 40, or 4 times the first replications if more].'),
    C_("help", 'Start the search at this size instead of the exact answer.'),
    C_("help", 'Sizes above the answer also simulated for the curve.'),
    C_("help", "When the answer is far from the file's size, simulate what an earlier "
       'opening or a FIFO queue would need (where the breaches point there).'),
    C_("help", 'Apply this scenario of the file first.'),
    C_("help", 'Plot the staffing curve as PATH.png and PATH.svg.'),
    C_("help", 'Analyse stage history: amoCRM events/leads/pipelines JSON, Bitrix24\n'
       'crm.stagehistory.list/crm.status.list JSON, or a CSV (deal id, timestamp, pipeline,\n'
       'stage, optional value and loss reason), or a deal list (one row per deal: a date\n'
       'per stage, or its creation and close dates, read deal by deal). Files and folders,\n'
       'in any order.\n'
       '\n'
       'Exit code 0 when every input row was used, 1 when a file is not a history funnelc\n'
       'reads, rows had to be dropped or a file was cut off (the data-quality table says\n'
       'which and where), 2 on a usage error.'),
    C_("help", 'What to print: text (the tables) or json (history.json itself; schema '
       'history.schema.json).'),
    C_("help", 'Write history.html, history.json and the plots (PNG, SVG) into DIR (the '
       'product is a folder, so -o names a folder here).'),
    C_("help", 'A funnel file: match names to it and take the stage order from it.'),
    C_("help", 'Time zone of timestamps written without one, and of month boundaries (e.g. '
       'Europe/Moscow).'),
    C_("help", 'Bitrix24: the deal userfield that holds the loss reason (e.g. '
       'UF_CRM_1712345678), instead of the one whose label names a loss reason '
       '(«Причина отказа», "Loss reason"); where it is empty, the failure stage\'s name '
       'is the reason.'),
    C_("help", 'Rows shown per table in the terminal (files hold them all).'),
    C_("help", 'Compare sources and loss reasons over these two periods of months, '
       'FIRST..LAST,FIRST..LAST '
       '(e.g. 2026-01..2026-03,2026-09..2026-11; a period may be one month), instead of '
       'the first and the last third of the months old enough to judge (one to three '
       'months each; the months between are not compared).'),
    C_("help", "Fit FILE's source rates and month profile, outcome shares, `after` delays, time\n"
       'in stage, loss-reason and reopen shares to the history in INPUT (the formats of\n'
       '`funnelc history`). Delays are chosen among exp, lognormal, gamma and empirical by\n'
       'AIC, with a Kolmogorov–Smirnov check; shares carry 95% Wilson intervals.\n'
       '\n'
       'With --backtest N: fit on the first N calendar months of the history (in --tz),\n'
       'simulate the months after the cut with the fitted funnel (every run starts at the\n'
       'cut with the deals the history has open there, each in its stage since its real\n'
       'entry; the fit months are simulated from an empty account, for reference) and print,\n'
       'per month and over the holdout, predicted against observed stage-to-stage\n'
       'conversion, deals won and lost, and deals in each stage at the month ends, with 95%\n'
       "prediction intervals and a verdict. Months after the history's last new deal are\n"
       'not compared when the fitted sources make that silence implausible (an export\n'
       'filtered by creation date). -o then writes the funnel fitted on the N months.\n'
       '\n'
       'Exit code 0 when fitted and written, 1 when the funnel has errors, a file is not a\n'
       'history funnelc reads or rows of the history had to be dropped, 2 on a usage error.'),
    C_("help", 'The funnel whose numbers to fit (names are matched to its stages).'),
    C_("help", 'What to print on stdout: text (the fit report) or json (the fitted funnel '
       'text and its notes, or with --backtest the comparison; schema '
       'fit.schema.json); the report then goes to stderr.'),
    C_("help", 'Write the fitted funnel (or the funnel with the scenario) to PATH (`-` '
       'prints it, and the fit report goes to stderr). PATH may not be --funnel '
       "itself unless --in-place is given. The fitted funnel is fit's product, so "
       '-o names it with either --format.'),
    C_("help", 'Write the fitted funnel over the --funnel file itself (atomically; implies '
       '-o FUNNEL). Without it, -o refuses to overwrite --funnel.'),
    C_("help", 'Write the fit as `scenario NAME { … }` appended to the funnel instead.'),
    C_("help", 'Fit on the first N months only, simulate the months after with the fitted '
       'funnel and compare conversion, won/lost and backlog with what happened (95'
       '% prediction intervals).'),
    C_("help", 'Back-test: Independent replications, 1 to 10000; every variant of a '
       'comparison runs the same ones (common random numbers). A 95% confidence '
       'interval needs at least 2: with 1, figures are shown without one. The '
       "back-test's prediction intervals need at least 2.  [default: 40]"),
    C_("help", 'Back-test: seed of every random stream  [default: 1]'),
    C_("help", 'Back-test: worker processes (default: all cores); results do not depend on it.'),
    C_("help", 'Back-test: refuse runs expected to simulate more deals than this in all '
       "(estimated from the fitted rates over the history's span), and stop a run "
       'that creates more  [default: 5000000]'),
    C_("help", 'Back-test: write the comparison as JSON to PATH.'),
    C_("help", 'Back-test: write the comparison as a self-contained HTML page to PATH.'),
    C_("help", 'Forecast the deals won and the revenue they bring, by week and by month, from\n'
       'the deals open today in HISTORY (the formats of `funnelc history`) plus the new\n'
       "deals the funnel's sources bring: the funnel is simulated --reps times from today's\n"
       'state, each open deal in its stage since its real entry.\n'
       '\n'
       'Every figure has its expected value (the mean over the runs) and its 80% and 95%\n'
       'intervals (the 10th–90th and 2.5th–97.5th percentiles of the runs), for the whole\n'
       'account, each pipeline, and each stage the open deals were in today, new arrivals\n'
       'apart. With --fit-uncertainty the figures are fitted on the history and drawn anew\n'
       "for every run, so the intervals also carry the fit's uncertainty; the output says\n"
       'which kind they are.\n'
       '\n'
       'Exit code 0 when forecast, 1 when the funnel has errors, a file is not a history\n'
       'funnelc reads, history rows had to be dropped or open deals sit in stages the funnel\n'
       'does not have, 2 on a usage error.'),
    C_("help", 'What to print on stdout: text (the tables), json (schema '
       'forecast.schema.json) or csv (one row per figure, period and row, tidy). -o '
       'DIR writes all three and the chart besides.'),
    C_("help", 'Also write forecast.txt, forecast.json, forecast.csv and the fan chart '
       '(forecast.png, forecast.svg) into DIR, all or nothing (the product is a '
       'folder, so -o names a folder here).'),
    C_("help", "The funnel to simulate (a fitted one: `funnelc fit`); the history's names "
       'are matched to its stages.'),
    C_("help", "Today: the history's events to the end of this day count, and the deals "
       "open then start the runs; after the history's last day the runs start at its end "
       "and simulate the days between, counting the wins after today  [default: the day "
       "of the history's last event]"),
    C_("help", 'The last day forecast, after --as-of  [default: the end of the month after '
       "--as-of's]"),
    C_("help", 'Apply this scenario of the funnel first (a source stopped, a bigger team): '
       'the forecast of that variant.'),
    C_("help", "Fit the funnel's figures (shares, delays, source rates and values) on the "
       'history up to --as-of, as `funnelc fit` does, and simulate every run with '
       'its own draw of them, so the intervals also carry how uncertain the fitted '
       "figures are. Without it the funnel's figures are simulated as given and the "
       "intervals are the runs' variation only."),
    C_("help", 'Write the fan chart (cumulative won revenue by week: median, 80% and 95% '
       'bands) as PATH.png and PATH.svg.'),
    C_("help", 'Independent replications, 1 to 10000; every variant of a comparison runs '
       'the same ones (common random numbers). A 95% confidence interval needs at '
       "least 2: with 1, figures are shown without one. The forecast's intervals "
       'are percentiles of the runs: 200 put five runs beyond each 95% bound.'),
    C_("help", 'Colour the tables and the diagnostics.'),
    C_("help", 'Audit HISTORY (the formats of `funnelc history`) against FILE.funnel: the\n'
       'findings in order of money at stake. A manager or source is named only when the\n'
       "difference is statistically clear (Holm's correction, family-wise 5%); loss\n"
       'reasons whose share changed by Benjamini–Hochberg (false discovery rate 5%).\n'
       '\n'
       'Exit code 0 when every input row was used (the findings are the product, as\n'
       "`history`'s tables are), 1 when a file is not a history funnelc reads, rows had to be\n"
       "dropped or the history's names match no stage of the funnel, 2 on a usage error."),
    C_("help", 'What to print (json: schema audit.schema.json): text (tables or messages '
       'for people), json (data, with a published JSON Schema). Goes to stdout, or '
       'to -o/--output PATH.'),
    C_("help", 'Serve FILE as a workshop page: the text with its check and lint findings '
       'as\n'
       'you type, the pipelines as a diagram with the exact figures per stage, '
       'what-if\n'
       'sliders for teams, sources and SLAs, simulations on demand with results as '
       'they\n'
       'come, and the exports.\n'
       '\n'
       'Listens on 127.0.0.1 (this computer only) unless --host says otherwise. '
       'Saving\n'
       'writes FILE atomically; a change made to FILE by another program is picked '
       'up.\n'
       'Exit code 0 when stopped, 2 when it cannot serve.'),
    C_("help", 'What to print once the server listens (json: its address; schema '
       'serve.schema.json): text (tables or messages for people), json (data, with '
       'a published JSON Schema). Goes to stdout, or to -o/--output PATH.'),
    C_("help", 'TCP port to listen on (0: any free port, printed).'),
    C_("help", 'Address to listen on. Anything but loopback shares the page on the network: '
       'a warning is printed and every request needs the token shown.'),
    C_("help", 'Do not open the page in a browser.'),
    C_("help", 'Worker processes for simulations (default: the cores, at most 4).'),
    C_("help", 'Stop serving after SECONDS (for scripts and tests; default: until Ctrl+C).'),
)
