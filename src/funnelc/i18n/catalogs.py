"""The catalogs' upkeep: extract the messages from the source (Babel's extractor), merge
them into `ru.po`, `uk.po` and `en.po`, find what a catalog lacks, and write the review
table `docs/messages.md`. A developer's tool (`python -m funnelc.i18n extract|table`) and
the tests' oracle; nothing on a command's path imports it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from . import DOMAIN, LANGUAGES, LOCALE_DIR, catalog_path, placeholders

__all__ = ["KEYWORDS", "SOURCE_DIR", "extract", "read_catalog", "update_catalogs",
           "problems", "messages_table", "Entry"]

SOURCE_DIR = LOCALE_DIR.parent
"""The package's source, where the messages are."""

KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {
    "_": None, "gettext": None, "N_": None,
    "_n": (1, 2), "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2), "C_": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "_np": ((1, "c"), 2, 3),
}
"""The marker functions, as Babel's extractor reads them (also in babel.cfg's comment
for `pybabel extract`)."""

NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}

HEADER = """\
# {language} messages of funnelc's client-facing outputs.
# The English source text is the msgid; `python -m funnelc.i18n extract` adds new
# messages, `python -m funnelc.i18n table docs/messages.md` writes the review table."""


def _sources() -> list[Path]:
    """The modules that speak to the client: those that use `funnelc.i18n`."""
    found = []
    for path in sorted(SOURCE_DIR.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "i18n" in text or path.parent == LOCALE_DIR.parent / "i18n":
            found.append(path)
    return found


def extract() -> Catalog:
    """Every message marked in the source, as a template catalog."""
    template = Catalog(domain=DOMAIN, project="funnelc", charset="utf-8")
    for path in _sources():
        rel = path.relative_to(SOURCE_DIR.parent).as_posix()
        for lineno, message, comments, context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
            template.add(message, None, [(rel, lineno)], auto_comments=comments,
                         context=context)
    return template


def read_catalog(lang: str) -> Catalog:
    """The catalog of `lang` as it is in the package."""
    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def update_catalogs() -> str:
    """Merge the source's messages into the three catalogs: new messages are added
    untranslated, gone ones dropped, translations kept. Returns what changed."""
    template = extract()
    lines = []
    for lang in LANGUAGES:
        path = catalog_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="funnelc", charset="utf-8")
        before = {_key(m) for m in catalog if m.id}
        created = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        # A stable header: a re-extraction that changes no message changes no line.
        catalog.creation_date = created
        catalog.revision_date = created
        catalog.fuzzy = False
        catalog.header_comment = HEADER.format(language=NAMES[lang])
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "funnelc developers"
        catalog.language_team = NAMES[lang]
        after = {_key(m) for m in catalog if m.id}
        # Written beside and moved over: a catalog opened for writing is empty until it is
        # written, and a second extraction (or an editor) reading it then kept nothing.
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            write_po(fh, catalog, width=100, include_lineno=False, ignore_obsolete=True)
        os.replace(tmp, path)
        lines.append(f"{lang}: {len(after)} messages ({len(after - before)} new, "
                     f"{len(before - after)} gone, {len(untranslated(catalog))} untranslated)")
    return "\n".join(lines)


def _key(message: Message) -> tuple[str, str | None]:
    mid = message.id
    return (mid if isinstance(mid, str) else mid[0], message.context)


def untranslated(catalog: Catalog) -> list[Message]:
    """Messages whose translation is empty (English needs none)."""
    return [m for m in catalog if m.id and not _forms(m.string)]


def _forms(string: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if string is None:
        return []
    if isinstance(string, str):
        return [string] if string else []
    return [s for s in string if s]


def _ids(message: Message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def problems(template: Catalog | None = None) -> list[str]:
    """What keeps the catalogs from being complete: a message of the source missing from
    a catalog, an empty or fuzzy translation in ru or uk, a plural without all the
    language's forms, a `{placeholder}` that differs between msgid and msgstr."""
    template = template if template is not None else extract()
    found: list[str] = []
    wanted = {_key(m) for m in template if m.id}
    for lang in LANGUAGES:
        catalog = read_catalog(lang)
        have = {_key(m): m for m in catalog if m.id}
        for key in sorted(wanted - set(have), key=str):
            found.append(f"{lang}.po lacks {key[0]!r}" + (f" (context {key[1]!r})"
                                                          if key[1] else "")
                         + ": run `python -m funnelc.i18n extract` and translate it")
        for key in sorted(set(have) - wanted, key=str):
            found.append(f"{lang}.po has {key[0]!r}, which the source no longer uses")
        for key, message in have.items():
            found += _message_problems(lang, catalog, key, message)
    return found


def _message_problems(lang: str, catalog: Catalog, key: tuple[str, str | None],
                      message: Message) -> list[str]:
    where = f"{lang}.po {key[0]!r}"
    if message.fuzzy:
        return [f"{where} is marked fuzzy: check the translation and remove the flag"]
    forms = _forms(message.string)
    if lang == "en" and not forms:
        return []
    if not forms:
        return [f"{where} is not translated"]
    ids = _ids(message)
    out = []
    if len(ids) > 1 and len(forms) != catalog.num_plurals:
        out.append(f"{where} has {len(forms)} plural forms, {lang} needs {catalog.num_plurals}")
    expected = placeholders(ids[-1])
    for form in forms:
        if placeholders(form) != expected:
            out.append(f"{where}: the translation {form!r} has the placeholders "
                       f"{placeholders(form)}, the message {expected}")
    return out


@dataclass(frozen=True)
class Entry:
    """One row of the review table."""

    context: str | None
    english: str
    translations: dict[str, str]


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def entries() -> list[Entry]:
    """Every message with its translations, in the catalogs' order (the source's)."""
    catalogs = {lang: read_catalog(lang) for lang in LANGUAGES}
    rows = []
    for message in catalogs["en"]:
        if not message.id:
            continue
        ids = _ids(message)
        english = " / ".join(ids)
        translations = {}
        for lang in ("ru", "uk"):
            other = catalogs[lang].get(message.id, context=message.context)
            translations[lang] = " / ".join(_forms(other.string)) if other is not None else ""
        rows.append(Entry(message.context, english, translations))
    return rows


def messages_table(rows: Iterable[Entry] | None = None) -> str:
    """docs/messages.md: every client-facing message in English, Russian and Ukrainian,
    plural forms separated by ` / ` (ru and uk: one, few, many), for a native review."""
    rows = list(rows) if rows is not None else entries()
    out = [
        "# Messages in the three languages",
        "",
        "<!-- Generated by `python -m funnelc.i18n table docs/messages.md` from",
        "     src/funnelc/locale/*/LC_MESSAGES/funnelc.po; tests/test_i18n.py fails when it",
        "     is stale. Edit the catalogs, not this page. -->",
        "",
        "Every message that the client reads (the playbook, the graveyard headline, the",
        "forecast, the audit, staffing, history's report and the plots), as the catalogs",
        "hold it. Plural messages list their forms separated by ` / `: English one / other;",
        "Russian and Ukrainian one / few / many (1 день / 2 дня / 5 дней). `{name}` is filled",
        "in by the program. The English column quotes names «so», as the templates are",
        "written; English output writes those marks “so” (`Translator`). A native speaker",
        "reviewing the texts edits the `.po` files in `src/funnelc/locale/` and regenerates",
        "this page.",
        "",
        f"{len(rows)} messages.",
        "",
        f"| # | context | {NAMES['en']} | {NAMES['ru']} | {NAMES['uk']} |",
        "| --: | --- | --- | --- | --- |",
    ]
    for i, row in enumerate(rows, 1):
        out.append(f"| {i} | {_cell(row.context or '')} | {_cell(row.english)} | "
                   f"{_cell(row.translations['ru'])} | {_cell(row.translations['uk'])} |")
    return "\n".join(out) + "\n"
