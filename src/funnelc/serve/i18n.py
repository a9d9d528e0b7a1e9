"""The page's own words in the output's language: the account's `language` (ru, uk, en)
through the gettext catalogs (`funnelc.i18n`, context `workshop`), so the workshop says
what the other outputs say and a reviewer finds its words in docs/messages.md.
Diagnostics stay English, as everywhere in funnelc; the names in the file are the file's.

The page gets a flat table of labels (`labels`): plain words, `{name}` templates the
script fills (a slider's or a change's subject), and for a count the language's plural
forms keyed by CLDR category (`one`, `few`, `many`, `other`), which the script picks
with `Intl.PluralRules` of the page's language."""

from __future__ import annotations

from .. import model as m
from ..i18n import C_, LANGUAGES, choose, translator
from ..i18n.figures import CI_ENDS

__all__ = ["LANGUAGES", "language_of", "labels", "plurals", "word"]

_CONTEXT = "workshop"
_TARGETS_CONTEXT = "export target"

_LABELS: dict[str, str] = {
    "title": C_("workshop", "Workshop"),
    "save": C_("workshop", "Save"),
    "saved": C_("workshop", "Saved"),
    "unsaved": C_("workshop", "Unsaved changes"),
    "diagram": C_("workshop", "Diagram"),
    "whatif": C_("workshop", "What if"),
    "simulation": C_("workshop", "Simulation"),
    "export": C_("workshop", "Export"),
    "run": C_("workshop", "Run simulation"),
    "cancel": C_("workshop", "Cancel"),
    "stale": C_("workshop", "Stale: the text changed since this run"),
    "graveyard": C_("workshop", "graveyard"),
    "no_graveyard": C_("workshop", "no graveyard"),
    "stage": C_("workshop", "Stage"),
    "arrivals": C_("workshop", "Arrivals/day"),
    "load": C_("workshop", "Team load ρ"),
    "p_wait": C_("workshop", "P(wait)"),
    "breach": C_("workshop", "Respond breach"),
    "team": C_("workshop", "Team"),
    "size": C_("workshop", "Size"),
    "utilization": C_("workshop", "Utilization"),
    "baseline": C_("workshop", "File"),
    "variant": C_("workshop", "With the sliders"),
    "reset": C_("workshop", "Reset"),
    "save_scenario": C_("workshop", "Save as scenario"),
    "scenario_name": C_("workshop", "Scenario name"),
    "download": C_("workshop", "Download"),
    "amocrm_plan": C_("workshop", "amoCRM plan"),
    "amocrm_apply": C_("workshop", "Apply to amoCRM"),
    "confirm_apply": C_("workshop", "Apply these changes to the live amoCRM account?"),
    "conflict": C_("workshop", "The file changed on disk and here. Keep the page's text "
                               "(overwrite the file)? Cancel loads the file's text."),
    "reloaded": C_("workshop", "Reloaded: the file changed on disk"),
    "errors_keep": C_("workshop", "The text has errors: showing the last valid figures"),
    "sim_legend": C_("workshop", "Counted over {observed} observed days; the first {warmup} "
                                 "days are the warm-up, left out (the funnel starts empty). "
                                 "Each figure is the mean of the runs ± the half-width of its "
                                 "95% interval."),
    "sim_legend_one": C_("workshop", "Counted over {observed} observed days; the first "
                                     "{warmup} days are the warm-up, left out (the funnel "
                                     "starts empty). The figures are those of one run, with "
                                     "no interval: a 95% interval needs two runs or more."),
    "backlog": C_("workshop", "Backlog, deals"),
    "days": C_("workshop", "days"),
    "reps": C_("workshop", "reps"),
    "warmup": C_("workshop", "warm-up, days"),
    "per_day": C_("workshop", "{n}/d"),
    "applied": C_("workshop", "applied"),
    "not_applied": C_("workshop", "not applied"),
    "seconds": C_("workshop", "{n} s"),
    "note:the text did not load": C_("workshop", "the text did not load"),
    "state:running": C_("workshop", "running"),
    "state:finished": C_("workshop", "finished"),
    "state:cancelled": C_("workshop", "cancelled"),
    "state:failed": C_("workshop", "failed"),
    "control:team_size": C_("workshop", "team {name}: size"),
    "control:source_rate": C_("workshop", "source {name}: rate"),
    "control:stage_sla": C_("workshop", "{name}: sla"),
    "what:load ρ": C_("workshop", "load ρ"),
    "what:won per month": C_("workshop", "won per month"),
    "what:respond breach": C_("workshop", "respond breach"),
    "what:revenue per month": C_("workshop", "revenue per month"),
    "subject:account": C_("workshop", "account"),
    "fix:did-you-mean": C_("workshop", "replace with {guess}"),
    "fix:noqa": C_("workshop", "suppress {code} here (noqa)"),
    "error": C_("workshop", "error: {message}"),
    "no_findings": C_("workshop", "no findings"),
    "team_size_note": C_("workshop", "Won deals and revenue here do not change with a team's "
                                     "size: the exact maths assumes every deal is worked, "
                                     "however busy the team. Run the simulation to see what "
                                     "the size changes (the backlog, the graveyards, the "
                                     "deals won)."),
    "stage_sla_note": C_("workshop", "Won deals and revenue here do not change with an SLA: "
                                     "the exact maths has the deals follow the routes' shares "
                                     "and gives only the share of the stage's deals the SLA "
                                     "ends (at least that share where it says «≥»). Run the "
                                     "simulation to see what the SLA changes (the deals it "
                                     "ends, the deals won)."),
    "backlog_scale": C_("workshop", "Backlog, deals: every row on one scale, 0 to {max}"),
    "keyboard": C_("workshop", "In the editor Tab indents: press Esc, then Tab, to leave "
                               "it."),
    "tabs": C_("workshop", "Views"),
    "note_n": C_("workshop", "note {n}"),
}
"""The page's words by the key the script asks for (`L("save")`). `control:KIND`,
`what:WHAT`, `state:STATE` and `note:NOTE` say a slider, a what-if change, a run's state
and the live view's note by the machine values the API sends (which stay English)."""


_TARGETS: dict[str, str] = {
    "amocrm": C_("export target", "amoCRM API v4 bundle: pipelines, statuses, custom fields, "
                                  "required statuses"),
    "bitrix24": C_("export target", "Bitrix24 REST calls (crm.category.add, "
                                    "crm.status.add/update)"),
    "pipedrive": C_("export target", "Pipedrive API v2 requests (pipelines, stages with "
                                     "probability and rotting, fields)"),
    "hubspot": C_("export target", "HubSpot CRM v3 deal pipelines with stage probabilities"),
    "salesforce": C_("export target", "Salesforce metadata folder (opportunity stages, sales "
                                      "processes, package.xml)"),
    "salesforce-sfdx": C_("export target", "Salesforce sfdx project in source format (the same "
                                           "metadata: sfdx-project.json, force-app/, "
                                           "manifest/package.xml)"),
    "mermaid": C_("export target", "Mermaid flowchart of all pipelines"),
    "dot": C_("export target", "Graphviz DOT graph of all pipelines"),
    "playbook-md": C_("export target", "manager playbook (Markdown)"),
    "playbook-html": C_("export target", "manager playbook (HTML)"),
    "json": C_("export target", "the typed model as JSON (see `funnelc schema`)"),
}
"""What the Export tab says of each target (`target:NAME`): the exporters' own
descriptions, which `funnelc export --help` keeps in English."""


def _np(context: str, singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural message with a context for extraction (`npgettext`)."""
    return singular, plural


_PLURALS: dict[str, tuple[str, str]] = {
    "reps_done": _np("workshop", "{done} of {total} replication",
                     "{done} of {total} replications"),
}
"""Words that agree with a count (here the run's replications, `{total}`)."""

_SAMPLES = {"one": 1, "few": 2, "many": 5, "other": 5}
"""A count of each CLDR category for the plural forms the page needs (whole counts:
English one/other, Russian and Ukrainian one/few/many)."""


def language_of(funnel: m.FunnelFile | None) -> str:
    """The page's language: `--lang`, else the account's `language`, else English."""
    account_language = None
    if funnel is not None:
        for account in funnel.accounts:
            if account.language in LANGUAGES:
                account_language = account.language
                break
    return choose(account_language)


_REPORT_WORDS: dict[str, str] = {
    "p_win": "P(win)",
    "figures": "Exact analysis",
    "entered": "entered",
    "verdict": "verdict",
    "sla_ends": "SLA cut",
    "wait": "wait",
    "pipeline": "pipeline",
    "sim_started": "started",
    "sim_won": "won",
    "sim_lost": "lost",
    "sim_conversion": "conversion (simulated)",
    "ci_ends": CI_ENDS,
}
"""Words the page shares with the report (`report/html.py`, `sim/table.py`): the same
msgid, so the page says «P(успеха)», «Точный расчёт», «вошло» as the report does, and
the simulation's pipelines table has the report's columns («начато», «выиграно»,
«отказы», «конверсия (симуляция)») and its legend of an interval printed by its ends."""

_UNITS = {"": "{n}", "h": "{n} working h"}
"""A slider's value by its unit: an SLA counts the account's working hours («27 раб. ч»,
as the report says a limit; the msgid of `i18n.figures`)."""
_RATE_UNITS = {"/hour": "{count}/hour", "/day": "{count}/day", "/week": "{count}/week",
               "/month": "{count}/month"}
"""A source's rate as the diagram says it («150/нед.»; the msgids of `export.graph`)."""
_DIAGRAM = "diagram"


def word(language: str, key: str) -> str:
    """One of the page's words (`_LABELS`) in `language`, for the server's own answers."""
    return translator(language).pgettext(_CONTEXT, _LABELS[key])


def labels(language: str) -> dict[str, str]:
    """The page's words in `language`."""
    tr = translator(language)
    words = {key: tr.pgettext(_CONTEXT, text) for key, text in _LABELS.items()}
    words.update({f"target:{name}": tr.pgettext(_TARGETS_CONTEXT, text)
                  for name, text in _TARGETS.items()})
    words.update({key: tr.gettext(text) for key, text in _REPORT_WORDS.items()})
    # A what-if change of the SLA's share, or of the wait, is named as the exact table's
    # column: the wait row read «среднее ожидание, ч» beside «25,2 мин → 12,7 мин» (its
    # cells carry their unit, as analyze's do).
    words["what:SLA cut"] = words["sla_ends"]
    words["what:mean wait, h"] = words["wait"]
    words.update({f"unit:{unit}": tr.gettext(text) for unit, text in _UNITS.items()})
    words.update({f"unit:{unit}": tr.pgettext(_DIAGRAM, text).replace("{count}", "{n}")
                  for unit, text in _RATE_UNITS.items()})
    return words


def plurals(language: str) -> dict[str, dict[str, str]]:
    """The plural forms of the page's counted words in `language`, by CLDR category."""
    tr = translator(language)
    return {key: {category: tr.npgettext(_CONTEXT, one, many, n)
                  for category, n in _SAMPLES.items()}
            for key, (one, many) in _PLURALS.items()}
