"""`funnelc serve`'s page speaks the account's language (issue 16, section 1): its words
come from the catalogs (context `workshop`) for a `language ru` file (cottages) and the
`uk` one (developer). The page's script asks for its words by key (`L("save")`) and by
the machine values the API sends (`control:team_size`, `what:load ρ`, `state:finished`):
every one must have a label, and no Russian or Ukrainian label may keep an English word
of the page's msgids. Counted words take the language's plural forms."""

from __future__ import annotations

import re
import shutil
import typing
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import PIPELINES
from i18n_oracle import english_words, in_context

pytest.importorskip("starlette", reason="the `serve` extra is not installed")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette prefers httpx2 for its test client
    from starlette.testclient import TestClient

from funnelc.serve.app import ServeState, create_app
from funnelc.serve.simjobs import SimPool, State
from funnelc.serve.workspace import Workspace

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STATIC = Path(__file__).resolve().parent.parent / "src" / "funnelc" / "serve" / "static"
KEPT = {"amocrm", "respond", "sla", "noqa", "esc", "tab"}
"""Words the page keeps in every language: the CRM's name, the funnel keywords, the
suppression comment's `noqa` and the keys' names as the keyboard prints them (Esc, Tab)."""


ENGLISH = english_words(in_context("workshop"), min_len=3, kept=KEPT)


@pytest.fixture(scope="module")
def pool() -> Iterator[SimPool]:
    sims = SimPool(1)
    sims.start()
    yield sims
    sims.close()


def _state(tmp_path: Path, pool: SimPool, name: str) -> dict[str, typing.Any]:
    path = tmp_path / f"{name}.funnel"
    shutil.copy(PIPELINES / f"{name}.funnel", path)
    with TestClient(create_app(ServeState(Workspace(str(path)), pool, None))) as client:
        state: dict[str, typing.Any] = client.get("/api/state").json()
        text = path.read_text(encoding="utf-8")
        control = state["controls"][0]
        answer = client.post("/api/whatif", json={"text": text, "changes": [
            {"kind": control["kind"], "subject": control["subject"],
             "pipeline": control["pipeline"], "value": control["high"]}]})
        assert answer.status_code == 200, answer.text
        state["deltas"] = answer.json()["deltas"]
    return state


def _keys_the_script_asks_for() -> set[str]:
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    keys = set(re.findall(r"\bL\(\"([^\"]+)\"\)", script))
    keys |= set(re.findall(r"\bset\(\"[^\"]+\", \"([^\"]+)\"\)", script))
    keys |= set(re.findall(r"plural\(\"([^\"]+)\"", script))
    return keys


@pytest.mark.parametrize(("name", "lang", "phrases"), [
    ("cottages", "ru", {"save": "Сохранить", "days": "дни", "state:finished": "завершена",
                        "control:team_size": "команда {name}: размер",
                        "fix:did-you-mean": "заменить на {guess}"}),
    ("developer", "uk", {"save": "Зберегти", "reps": "прогони", "state:cancelled": "скасована",
                         "what:load ρ": "завантаження ρ", "subject:account": "акаунт"}),
])
def test_the_page_speaks_the_account_language(tmp_path: Path, pool: SimPool, name: str,
                                              lang: str, phrases: dict[str, str]) -> None:
    state = _state(tmp_path, pool, name)
    labels: dict[str, str] = state["labels"]
    assert state["language"] == lang
    for key, text in phrases.items():
        assert labels[key] == text
    wanted = {k for k in _keys_the_script_asks_for() if k not in state["plurals"]}
    wanted |= {f"control:{c['kind']}" for c in state["controls"]}
    wanted |= {f"what:{d['what']}" for d in state["deltas"]}
    wanted |= {f"state:{s}" for s in typing.get_args(State)}
    assert wanted - set(labels) == set()
    english = {k: v for k, v in labels.items()
               if {w.lower() for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", v))}
               & ENGLISH}
    assert english == {}


def test_counted_words_take_the_plural_forms(tmp_path: Path, pool: SimPool) -> None:
    ru = _state(tmp_path, pool, "cottages")["plurals"]["reps_done"]
    assert ru["one"] == "{done} из {total} прогона"  # 21: «из 21 прогона»
    assert ru["few"] == ru["many"] == "{done} из {total} прогонов"
    uk = _state(tmp_path, pool, "developer")["plurals"]["reps_done"]
    assert uk["one"] == "{done} з {total} прогону"
    assert uk["many"] == "{done} з {total} прогонів"


def test_an_english_file_keeps_the_page_english(tmp_path: Path, pool: SimPool) -> None:
    path = tmp_path / "plain.funnel"
    text = (PIPELINES / "courses.funnel").read_text(encoding="utf-8")
    path.write_text(re.sub(r"\n\s*language ru\b", "", text), encoding="utf-8")
    with TestClient(create_app(ServeState(Workspace(str(path)), pool, None))) as client:
        state = client.get("/api/state").json()
    assert state["language"] == "en"
    assert state["labels"]["save"] == "Save" and state["labels"]["days"] == "days"
    assert state["plurals"]["reps_done"]["one"] == "{done} of {total} replication"
    assert state["plurals"]["reps_done"]["other"] == "{done} of {total} replications"
    # The page's copy of each target's description is the exporter's own, word for word.
    assert {t["name"]: state["labels"][f"target:{t['name']}"] for t in state["targets"]} \
        == {t["name"]: t["description"] for t in state["targets"]}


def test_every_english_word_of_the_page_is_replaced_by_its_label() -> None:
    """index.html's own words are English placeholders: each element that holds one is
    relabelled by the script."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    relabelled = set(re.findall(r"\bset\(\"([^\"]+)\"", script))
    worded = re.findall(r"<(?:button|span|h2|h3|label|strong)[^>]*id=\"([^\"]+)\"[^>]*>([A-Za-z][^<]*)<",
                        page)
    missing = [i for i, words in worded if i not in relabelled and words.strip() != "amoCRM"]
    assert missing == []


def test_the_export_tab_describes_every_target_in_the_language(tmp_path: Path,
                                                              pool: SimPool) -> None:
    """The Export tab's line under each target: the exporter's description, said in the
    account's language (the CRM and file-format names as they are)."""
    state = _state(tmp_path, pool, "developer")
    english = {t["name"]: t["description"] for t in state["targets"]}
    said = {name: state["labels"].get(f"target:{name}") for name in english}
    assert said["mermaid"] == "схема Mermaid усіх воронок"
    assert said["playbook-md"] == "регламент для менеджерів (Markdown)"
    assert [n for n, text in said.items() if text is None or text == english[n]
            or not re.search("[а-яіїєґ]", text)] == []
