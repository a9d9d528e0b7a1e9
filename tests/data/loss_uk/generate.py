"""A Kharkiv industrial-equipment supplier's amoCRM export with a loss-reason story known
in advance (the Ukrainian consultant's pass on loss reasons, issue 14 point 3,
`tests/test_loss_uk_*.py`).

Story (months in Europe/Kyiv, February–October 2026, export of 2026-11-25):
* «Продажі»: Нова заявка → Кваліфікація → КП надіслано → Переговори → Рахунок → won
  (142); lost is 143 with `_embedded.loss_reason` (amoCRM's `with=loss_reason`).
* 70 leads a month; sources «Сайт» (`_embedded.source`, a form), «Дзвінок»
  (`_embedded.source`, telephony) and «prom.ua» (utm_source tracking field).
* Deal values log-uniform over 8 000 – 1 200 000 ₴ (two orders of magnitude), rounded
  to 100 ₴.
* (a) A new price list from 2026-06-01: of the deals that come in from June on and reach
  «КП надіслано» with a value under 40 000 ₴, 60 % more are lost there as «Дорого»
  (before the other draws); so «Дорого» grows from about a fifth to about 45 % of the
  losses, in the smallest band.
* (b) Коваленко Олена writes 70 % of her losses as «Інше» and leaves 10 % without a
  reason (the reason the deal was really lost is drawn first, then replaced); the other
  four managers write 4 % as «Інше» and leave 1 % empty.
* (c) «Не наш профіль» (junk leads) only for prom.ua: 30 % of its leads, at «Нова
  заявка».
* Managers are drawn uniformly per lead (users 3101–3105; 3100 is the head).

`build(seed).deals` holds the generator's own record of every lead: value, source,
manager, created, the final reason as exported (None: no reason), `true_reason` and the
stage it was lost at; the tests count from those, not from funnelc.

Run: python tests/data/loss_uk/generate.py [OUT_DIR]  (default: export/ beside it)
"""

from __future__ import annotations

import json
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=KYIV)
PRICE_LIST = datetime(2026, 6, 1, tzinfo=KYIV)
PIPE = 7700001
ST = {"Неразібране": 66000001, "Нова заявка": 66000002, "Кваліфікація": 66000003,
      "КП надіслано": 66000004, "Переговори": 66000005, "Рахунок": 66000006}
WON, LOST = 142, 143
REASONS = {"Дорого": 901, "Купили в конкурента": 902, "Відклали закупівлю": 903,
           "Не відповідає": 904, "Не наш профіль": 905, "Інше": 906}
HEAD, KOVALENKO = 3100, 3101
USERS = {HEAD: "Керівник Відділу", KOVALENKO: "Коваленко Олена", 3102: "Шевченко Андрій",
         3103: "Бондар Ігор", 3104: "Ткаченко Марина", 3105: "Мельник Сергій"}
MANAGERS = [3101, 3102, 3103, 3104, 3105]
SOURCES = {"Сайт": 0.40, "prom.ua": 0.35, "Дзвінок": 0.25}
EMBEDDED_SOURCE = {"Сайт": {"id": 5501, "name": "Сайт", "type": "form"},
                   "Дзвінок": {"id": 5502, "name": "Дзвінок", "type": "telephony"}}
MONTHS = [(2026, m) for m in range(2, 11)]
PER_MONTH = 70
SMALL = 70_000
HOST = "https://promtech-kh.amocrm.ru"


def ts(d: datetime) -> int:
    return int(d.timestamp())


class Deal:
    """The generator's own record of one lead (no dataclass: the tests load this file as a
    module of no package)."""

    def __init__(self, lid: int, created: datetime, value: int, source: str,
                 manager: int) -> None:
        self.lid, self.created, self.value, self.source = lid, created, value, source
        self.manager = manager
        self.path: list[tuple[datetime, str]] = []
        """(time, to) of each status change: a stage name, "won" or "lost"."""
        self.true_reason: str | None = None
        self.reason: str | None = None
        """The reason as exported (None: lost without one, or not lost)."""
        self.lost_at: str | None = None

    @property
    def lost(self) -> bool:
        return bool(self.path) and self.path[-1][1] == "lost"

    @property
    def manager_name(self) -> str:
        return USERS[self.manager]


def _pick(r: random.Random, weights: dict[str, float]) -> str:
    x = r.random() * sum(weights.values())
    for k, w in weights.items():
        x -= w
        if x < 0:
            return k
    return k


def simulate(r: random.Random, d: Deal) -> None:
    t = d.created

    def go(to: str, lo: float, hi: float) -> None:
        nonlocal t
        t += timedelta(days=r.uniform(lo, hi))
        d.path.append((t, to))

    def lose(stage: str, reason: str, lo: float, hi: float) -> None:
        go("lost", lo, hi)
        d.true_reason, d.lost_at = reason, stage

    if d.source == "prom.ua" and r.random() < 0.30:
        return lose("Нова заявка", "Не наш профіль", 0.1, 2)
    if r.random() < 0.10:
        return lose("Нова заявка", "Не відповідає", 0.5, 4)
    go("Кваліфікація", 0.2, 2)
    if r.random() < 0.15:
        return lose("Кваліфікація", _pick(r, {"Не відповідає": 2, "Відклали закупівлю": 1}),
                    1, 6)
    go("КП надіслано", 1, 5)
    if d.created >= PRICE_LIST and d.value < SMALL and r.random() < 0.90:
        return lose("КП надіслано", "Дорого", 2, 12)
    if r.random() < 0.35:
        return lose("КП надіслано", _pick(r, {"Дорого": 6, "Купили в конкурента": 3,
                                              "Відклали закупівлю": 2, "Не відповідає": 1}),
                    2, 14)
    go("Переговори", 2, 10)
    if r.random() < 0.30:
        return lose("Переговори", _pick(r, {"Купили в конкурента": 3,
                                            "Відклали закупівлю": 2, "Дорого": 2}), 3, 20)
    go("Рахунок", 2, 8)
    if r.random() < 0.10:
        return lose("Рахунок", "Відклали закупівлю", 3, 15)
    go("won", 1, 10)


def written(r: random.Random, d: Deal) -> str | None:
    """What the manager wrote: Коваленко hides most reasons, the others a few."""
    x = r.random()
    if d.manager == KOVALENKO:
        return "Інше" if x < 0.70 else None if x < 0.80 else d.true_reason
    return "Інше" if x < 0.04 else None if x < 0.05 else d.true_reason


def build(seed: int = 11) -> list[Deal]:
    r = random.Random(seed)
    deals: list[Deal] = []
    lid = 52000001
    for y, m in MONTHS:
        start = datetime(y, m, 1, tzinfo=KYIV)
        end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=KYIV)
        span = (end - start).total_seconds()
        for t in sorted(start + timedelta(seconds=r.uniform(3600, span - 3600))
                        for _ in range(PER_MONTH)):
            source = _pick(r, SOURCES)
            value = round(math.exp(r.uniform(math.log(8_000), math.log(1_200_000))), -2)
            d = Deal(lid, t, int(value), source, r.choice(MANAGERS))
            lid += 1
            simulate(r, d)
            d.path = [p for p in d.path if p[0] <= NOW]
            if d.lost:
                d.reason = written(r, d)
            else:
                d.true_reason = d.lost_at = None
            deals.append(d)
    return deals


def event(eid: int, lead: int, who: int, when: datetime, frm: int, to: int) -> dict:
    key = f"01kh{eid:022d}"
    return {"id": key, "type": "lead_status_changed", "entity_id": lead,
            "entity_type": "lead", "created_by": who, "created_at": ts(when),
            "value_after": [{"lead_status": {"id": to, "pipeline_id": PIPE}}],
            "value_before": [{"lead_status": {"id": frm, "pipeline_id": PIPE}}],
            "account_id": 30770001,
            "_links": {"self": {"href": f"{HOST}/api/v4/events/{key}"}},
            "_embedded": {"entity": {"id": lead, "_links": {"self": {
                "href": f"{HOST}/api/v4/leads/{lead}"}}}}}


def sid(to: str) -> int:
    return WON if to == "won" else LOST if to == "lost" else ST[to]


def lead(d: Deal) -> dict:
    last = d.path[-1] if d.path else (d.created, "Нова заявка")
    closed = last[0] if last[1] in ("won", "lost") else None
    rec: dict = {
        "id": d.lid, "name": f"Угода #{d.lid}", "price": d.value,
        "responsible_user_id": d.manager, "group_id": 0, "status_id": sid(last[1]),
        "pipeline_id": PIPE, "loss_reason_id": REASONS[d.reason] if d.reason else None,
        "created_by": 0, "updated_by": d.manager, "created_at": ts(d.created),
        "updated_at": ts(last[0]), "closed_at": ts(closed) if closed else None,
        "closest_task_at": None, "is_deleted": False, "custom_fields_values": None,
        "score": None, "account_id": 30770001, "labor_cost": None,
        "_links": {"self": {"href": f"{HOST}/api/v4/leads/{d.lid}"}},
        "_embedded": {"tags": [], "companies": []}}
    if d.reason:
        rec["_embedded"]["loss_reason"] = [{
            "id": REASONS[d.reason], "name": d.reason, "sort": 100000,
            "created_at": 1577836800, "updated_at": 1577836800,
            "_links": {"self": {"href": f"{HOST}/api/v4/leads/loss_reasons/{REASONS[d.reason]}"}}}]
    if d.source in EMBEDDED_SOURCE:
        rec["_embedded"]["source"] = dict(EMBEDDED_SOURCE[d.source])
    else:
        rec["custom_fields_values"] = [{
            "field_id": 811001, "field_name": "utm_source", "field_code": "UTM_SOURCE",
            "field_type": "tracking_data", "values": [{"value": d.source}]}]
    return rec


def pipelines() -> dict:
    sts = [{"id": ST[n], "name": n, "sort": 10 * (i + 1), "is_editable": n != "Неразібране",
            "pipeline_id": PIPE, "color": "#99ccff", "type": int(n == "Неразібране"),
            "account_id": 30770001} for i, n in enumerate(ST)]
    sts += [{"id": WON, "name": "Успішно реалізовано", "sort": 10000, "is_editable": False,
             "pipeline_id": PIPE, "color": "#CCFF66", "type": 0, "account_id": 30770001},
            {"id": LOST, "name": "Закрито і не реалізовано", "sort": 11000,
             "is_editable": False, "pipeline_id": PIPE, "color": "#D5D8DB", "type": 0,
             "account_id": 30770001}]
    return {"_total_items": 1, "_links": {"self": {"href": f"{HOST}/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": [{
                "id": PIPE, "name": "Продажі", "sort": 1, "is_main": True,
                "is_unsorted_on": True, "is_archive": False, "account_id": 30770001,
                "_links": {"self": {"href": f"{HOST}/api/v4/leads/pipelines/{PIPE}"}},
                "_embedded": {"statuses": sts}}]}}


def pages(kind: str, items: list[dict], limit: int, path: str) -> list[dict]:
    out = []
    for i in range(0, len(items), limit):
        page = i // limit + 1
        base = f"{HOST}/api/v4/{path}?limit={limit}"
        links = {"self": {"href": f"{base}&page={page}"}}
        if i + limit < len(items):
            links["next"] = {"href": f"{base}&page={page + 1}"}
        if page > 1:
            links["prev"] = {"href": f"{base}&page={page - 1}"}
        out.append({"_page": page, "_links": links, "_embedded": {kind: items[i:i + limit]}})
    return out


def write(out: Path, seed: int = 11) -> list[Deal]:
    """The export (events newest first, 250 a page; leads 250 a page; pipelines; users)
    into `out`; returns the generator's records."""
    deals = build(seed)
    events, n = [], 0
    for d in deals:
        cur = ST["Нова заявка"]
        for when, to in d.path:
            n += 1
            events.append(event(n, d.lid, d.manager, when, cur, sid(to)))
            cur = sid(to)
    events.sort(key=lambda e: (-e["created_at"], e["id"]))
    out.mkdir(parents=True, exist_ok=True)
    line = lambda p: json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n"  # noqa: E731
    (out / "events.jsonl").write_text("".join(map(line, pages("events", events, 250, "events"))),
                                      encoding="utf-8")
    (out / "leads.jsonl").write_text(
        "".join(map(line, pages("leads", [lead(d) for d in deals], 250, "leads"))),
        encoding="utf-8")
    (out / "pipelines.json").write_text(line(pipelines()), encoding="utf-8")
    (out / "users.json").write_text(line({"_total_items": len(USERS), "_page": 1, "_links": {
        "self": {"href": f"{HOST}/api/v4/users?page=1&limit=250"}}, "_embedded": {"users": [
            {"id": uid, "name": name, "email": f"user{uid}@promtech-kh.example", "lang": "uk",
             "rights": {}, "_links": {"self": {"href": f"{HOST}/api/v4/users/{uid}"}}}
            for uid, name in USERS.items()]}}), encoding="utf-8")
    return deals


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "export"
    written_deals = write(target)
    print(f"{len(written_deals)} leads into {target}")
