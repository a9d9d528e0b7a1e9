"""A Kharkiv windows maker's account in Ukrainian (tests/data/vikna_uk/vikna.funnel:
sales with a call cadence and two key stages, installation, a nurture pipeline), read
the way its client reads every output: no Russian or English left in Ukrainian text,
Ukrainian units and plural forms. Lint diagnostics stay English by design, but the
stage names, loss reasons and pipelines their help quotes as examples are in the
account's language (a Russian «Долго думает» read as a translation error)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA
from funnelc.cli import cli

ACCOUNT = DATA / "vikna_uk" / "vikna.funnel"
TEXT = ACCOUNT.read_text(encoding="utf-8")

RUSSIAN_ONLY = ("ы", "э", "ъ", "ё", "Долго", "думает", "сделка", "Утепление", "Квалификация",
                "Нецелевой", "Встреча", "проведена", "дозвонились")


def _variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The account with each `old` replaced by `new` (each must be there)."""
    text = TEXT
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "vikna.funnel"
    path.write_text(text, encoding="utf-8")
    return path


def _helps(path: Path, code: str) -> list[str]:
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json",
                                      "--select", code], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    found = [d["help"] for d in json.loads(result.stdout)["diagnostics"] if d["code"] == code]
    assert found, result.stdout
    return found


NO_NURTURE_COPY = (' then copy "Прогрів"."Холодний контакт"', "")
FED_NURTURE = ('source "Рекомендації"',
               'source "База" 2/week -> "Прогрів"."Холодний контакт"\nsource "Рекомендації"')
"""Lost deals no longer copied into warming: the nurture pipeline gets its own source."""
NO_NURTURE = ('pipeline "Прогрів" process nurture', 'pipeline "Прогрів" process delivery')


def test_fn104_help_names_the_accounts_own_warming_pipeline(tmp_path: Path) -> None:
    """With a nurture pipeline in the file, the help copies into its first stage. Its
    lifetime is two weeks of the account's working hours (98h), not `14d`, which its
    `hours` would count as 336 working hours."""
    (help_,) = _helps(_variant(tmp_path, NO_NURTURE_COPY, FED_NURTURE), "FN104")
    assert help_ == ('copy them into a warming pipeline: `sla 98h -> lost "Довго думає" '
                     'then copy "Прогрів"."Холодний контакт"`')


def test_fn104_help_is_ukrainian_without_a_nurture_pipeline(tmp_path: Path) -> None:
    (help_,) = _helps(_variant(tmp_path, NO_NURTURE_COPY, FED_NURTURE, NO_NURTURE), "FN104")
    assert help_ == ('copy them into a warming pipeline: `sla 98h -> lost "Довго думає" '
                     'then copy "Прогрів"."Нова угода"` (a `pipeline "Прогрів" nurture`)')
    assert not any(w in help_ for w in RUSSIAN_ONLY)


def test_fn104_without_language_follows_the_stage_names(tmp_path: Path) -> None:
    """No `language` line: the Ukrainian stage names decide."""
    path = _variant(tmp_path, NO_NURTURE_COPY, FED_NURTURE, NO_NURTURE, ("  language uk\n", ""))
    (help_,) = _helps(path, "FN104")
    assert '"Довго думає"' in help_ and '"Прогрів"."Нова угода"' in help_


def test_fn104_stays_russian_for_a_russian_account(tmp_path: Path) -> None:
    path = tmp_path / "ru.funnel"
    path.write_text('account "Окна" {\n  language ru\n}\n'
                    'source "Сайт" 5/day -> "Продажи"."КП отправлено"\n'
                    'pipeline "Продажи" sales {\n  stage "КП отправлено" {\n'
                    '    -> won 20%\n    -> lost "Дорого" 80%\n  }\n}\n', encoding="utf-8")
    (help_,) = _helps(path, "FN104")
    assert '"Долго думает" then copy "Утепление"."Новая сделка"' in help_


def test_fn112_key_stage_example_is_ukrainian(tmp_path: Path) -> None:
    path = _variant(tmp_path, ('"Замір призначено" key', '"Замір призначено"'),
                    ('"Договір підписано" key', '"Договір підписано"'))
    (help_,) = _helps(path, "FN112")
    assert help_.endswith('`stage "Клієнт прийшов на зустріч" key { … }`')


def test_fn111_qualification_example_is_ukrainian(tmp_path: Path) -> None:
    path = _variant(tmp_path, ('"Кваліфікація"', '"Розмова з клієнтом"'),
                    ('"Нецільовий"', '"Інше"'))
    (help_,) = _helps(path, "FN111")
    assert '`pipeline "Кваліфікація" qualification`' in help_
    assert '`-> lost "Нецільовий" 20%`' in help_
    assert not any(w in help_ for w in RUSSIAN_ONLY)


def test_fn118_endless_cadence_example_is_ukrainian(tmp_path: Path) -> None:
    path = _variant(tmp_path, ('on exhausted -> lost "Не вийшли на зв\'язок" then copy '
                               '"Прогрів"."Холодний контакт"', 'on exhausted -> "Нова заявка"'))
    (help_,) = _helps(path, "FN118")
    assert '`on exhausted -> lost "Не додзвонилися"`' in help_


@pytest.mark.parametrize("lang, reason", [("en", "Thinking it over"), ("ru", "Долго думает")])
def test_fn104_follows_the_declared_language(tmp_path: Path, lang: str, reason: str) -> None:
    """The account's `language` wins over the names' own language."""
    path = _variant(tmp_path, NO_NURTURE_COPY, FED_NURTURE, NO_NURTURE, ("language uk", f"language {lang}"))
    (help_,) = _helps(path, "FN104")
    assert f'lost "{reason}"' in help_


# --------------------------------------------------------------------------- outputs
def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


_ENGLISH_NUMBER = re.compile(r"\d\.\d|\d,\d{3}(?!\d)")
"""`72.5` or `1,176`: an English decimal point or thousands comma (`1,176%` reads as
1.176 % to a Ukrainian client)."""


def test_simulate_return_on_cost_is_written_the_ukrainian_way() -> None:
    out = _run("simulate", str(ACCOUNT), "--reps", "2", "--days", "150", "--warmup", "10",
               "--seed", "7")
    rows = [line for line in out.splitlines() if "джерело" in line and "%" in line]
    assert len(rows) == 3, out  # the three sources with a cost
    returns = [re.findall(r"[+-]\d[\d\u00a0 ]*(?:,\d+)?% ±[\d\u00a0 ]+(?:,\d+)?", r)
               for r in rows]
    assert all(len(r) == 1 for r in returns), rows
    assert any(re.search(r"\d[\u00a0 ]\d{3}%", r[0]) for r in returns), returns  # ≥ 1 000 %
    assert not any(_ENGLISH_NUMBER.search(r[0]) for r in returns), returns


def test_simulate_return_on_cost_stays_english_with_lang_en() -> None:
    out = _run("simulate", str(ACCOUNT), "--reps", "2", "--days", "150", "--warmup", "10",
               "--seed", "7", "--lang", "en")
    assert re.search(r"\+\d,\d{3}% ±\d", out), out


def test_analyze_says_a_working_hours_sla_in_ukrainian_units() -> None:
    """`sla 16h` / `sla 21d` with a calendar: «SLA 16 роб. год», «SLA 504 роб. год» (21
    working days would be wrong: the engine counts 504 working hours), not the file's
    `16h`, `21d`; English keeps the file's text."""
    out = _run("analyze", str(ACCOUNT))
    assert "SLA 16 роб. год — у середньому" in out
    assert "SLA 504 роб. год — у середньому" in out
    assert not re.search(r"SLA \d+[hd]\b", out), out
    # The work's distribution in words: «(fixed)», then «(`fixed`)», named the model's
    # distribution where the file writes a bare duration.
    assert "робота сталої тривалості, а не експоненційна" in out and "fixed" not in out
    assert "; `simulate` рухає їх за SLA" in " ".join(out.split())
    english = _run("analyze", str(ACCOUNT), "--lang", "en")
    assert "SLA 16h counts working hours:" in english
    assert "SLA 21d counts working hours:" in english


def _playbook(path: Path, *extra: str) -> str:
    return _run("export", str(path), "--to", "playbook-md", *extra)


def test_playbook_condition_and_shares_in_ukrainian(tmp_path: Path) -> None:
    """A `when` says its operator as a sign and its value in the client's units and
    currency (`≥ 10 000 ₴`, not `\\>= 10k`); a share written `2.5%` reads `2,5%`."""
    path = _variant(tmp_path,
                    ('-> lost "Рекламація" 5% after exp(3d)',
                     '-> lost "Рекламація" 2.5% after exp(3d)\n    stay 2.5%'),
                    ('when "Сума договору" >= 10k',
                     'when "Сума договору" >= 10k and "Профіль" != "WDS"'))
    text = _playbook(path)
    assert "якщо «Сума договору» ≥ 10\u00a0000\u00a0₴ і «Профіль» ≠ «WDS»" in text, text
    assert "- 2,5%: закривається як неуспішна («Рекламація»)" in text
    assert "- залишається на етапі: 2,5%" in text
    assert "10k" not in text and ">=" not in text and "2.5%" not in text
    english = _playbook(path, "--lang", "en")
    assert "when “Сума договору” \\>= 10k and “Профіль” != \"WDS\"" in english
    assert "stay here: 2.5%" in english


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vikna") / "report"
    _run("report", str(ACCOUNT), "-o", str(out), "--reps", "2", "--days", "150",
         "--warmup", "10", "--seed", "7", "-q")
    return out


def test_report_page_in_ukrainian(report_dir: Path) -> None:
    """report.html: the sources' return on cost with the Ukrainian digits (`+1 176%`,
    not `+1,176%`), and the notes' backticked keywords as <code>, not raw backticks
    («вичікують `after`» on the client's page)."""
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    page = re.sub(r"<style>.*?</style>|<svg.*?</svg>|<script.*?</script>", " ", page,
                  flags=re.S)
    assert not re.search(r"`[^`<>]+`", page), re.findall(r".{40}`[^`<>]+`.{10}", page)[:3]
    assert "<code>after</code>" in page
    returns = re.findall(r"[+-]\d[\d\u00a0 ]*(?:,\d+)?%", page)
    assert any(re.search(r"\d[\u00a0 ]\d{3}%", r) for r in returns), returns
    assert not re.search(r"[+-]\d{1,3},\d{3}%", page)
    assert "SLA 504 роб. год — у середньому" in page
    assert "робота сталої тривалості, а не експоненційна" in page and "fixed" not in page


def test_sweep_run_line_says_processes_not_workers() -> None:
    """«воркери» is programmers' slang a client does not read: «паралельні процеси»."""
    out = _run("sweep", str(ACCOUNT), "--vary", 'team "Замірники" size 1..2', "--reps", "2",
               "--days", "60", "--warmup", "10")
    line = " ".join(out.split())
    assert "1 процес (замало роботи, щоб запускати паралельні процеси)" in line, out
    assert "воркер" not in out


@pytest.mark.parametrize("target", ["mermaid", "dot"])
def test_diagram_source_rates_say_their_unit_in_ukrainian(target: str) -> None:
    """A source's node read «Сайт: 14/week»: an English word on the client's diagram."""
    text = _run("export", str(ACCOUNT), "--to", target)
    assert "Сайт: 14/тиж." in text and "Рекомендації: 3/тиж." in text
    assert "/week" not in text
    assert "Сайт: 14/week" in _run("export", str(ACCOUNT), "--to", target, "--lang", "en")


def test_diagram_limits_are_working_time_in_ukrainian() -> None:
    """«SLA 16h» / «тайм-аут 21d» / «реакція ≤ 15m» put the file's English units on the
    client's diagram, and `21d` of a calendar is 504 working hours, not 21 days."""
    text = _run("export", str(ACCOUNT), "--to", "mermaid")
    assert "реакція ≤ 15 роб. хв" in text
    assert "SLA 16 роб. год → відмова «Не вийшли на зв'язок»" in text
    assert "SLA 504 роб. год → відмова «Зрив виробництва»" in text
    assert '"тайм-аут 504 роб. год"' in text
    assert not re.search(r"\b\d+[mhd]\b", re.sub(r"\w+\([^()]*\)", "", text)), text
    english = _run("export", str(ACCOUNT), "--to", "mermaid", "--lang", "en")
    assert "SLA 21d" in english and "тайм-аут" not in english


def test_time_in_stage_legend_stays_on_the_figure(report_dir: Path) -> None:
    """The legend was centred under the axes, which the long stage names («Монтаж ›
    Замовлення у виробництві») push right: its last label ran off the figure at
    «очікування в черзі невідо». Its glyphs (drawn as paths) must end inside the SVG."""
    svg = (report_dir / "time_in_stage.svg").read_text(encoding="utf-8")
    width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', svg)[1])  # type: ignore[index]
    label = "точна нижня межа (очікування в черзі невідоме)"
    at = svg.index(f"<!-- {label} -->")
    group = re.search(r'<g transform="translate\(([\d.]+) [\d.]+\) scale\(([\d.]+) -[\d.]+\)">'
                      r"(.*?)</g>", svg[at:], flags=re.S)
    assert group is not None
    x, scale = float(group[1]), float(group[2])
    last = max(float(v) for v in re.findall(r'translate\(([\d.]+) 0\)', group[3]))
    assert x + (last + 65) * scale <= width, (x, last, scale, width)


def test_whatif_shows_the_scenario_lines_as_code() -> None:
    """«Весняний пік: source "Facebook" 15/week; team …» put the file's English keywords
    bare in the Ukrainian run; they are the file's lines, marked as code as the report
    marks them."""
    out = _run("whatif", str(ACCOUNT), "--reps", "2", "--days", "60", "--warmup", "10")
    assert 'Весняний пік: `source "Facebook" 15/week`; `team "Замірники" size 3`' in out, out
