"""`funnelc apply FILE --to bitrix24`: the Bitrix24 `Target` of export/deploy.py.

Reads with `bitrix24_account` (two requests), plans with `bitrix24_plan`, and carries the
plan out in `batch` requests of up to 50 calls with halt 1 (settings/how-to-call-rest-api/
batch.md), so a portal is built in a handful of requests at Bitrix24's 2 requests a
second. A new pipeline is three requests: `crm.category.add` (its id), `crm.status.list`
of the stage list Bitrix24 gave it, and one batch shaping that list (rename `NEW`, add
stages, place WON and LOSE, add the lost stages) — planned by the same
`category_steps` as an existing pipeline, so a run stopped half-way is completed by the
next one.

Credential: `BITRIX24_WEBHOOK`, an incoming webhook URL (https://PORTAL/rest/USER/CODE/,
which holds its secret in the path and so is never printed), or an OAuth access token
with `--base-url https://PORTAL/rest`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import model as m
from ..diagnostics import Diagnostic
from ..jsontypes import JSON
from ..numfmt import counted
from .bitrix24 import build_calls
from .bitrix24_account import (
    Category,
    Snapshot,
    entity_id,
    parse_category,
    parse_stage,
    read_snapshot,
)
from .bitrix24_client import MAX_BATCH, BatchFailure, Bitrix24Client, Call, open_client
from .bitrix24_plan import (
    Action,
    CallAction,
    DeleteDefaults,
    NewCategory,
    Want,
    category_steps,
    make_plan,
)
from .deploy import (
    ApiError,
    BadAnswer,
    Connection,
    Plan,
    Step,
    StepsFailed,
    TargetSpec,
    kind_of,
)

if TYPE_CHECKING:
    from .deploy import Stats

__all__ = ["SPEC", "open_target", "Bitrix24Target"]

SPEC = TargetSpec(
    name="bitrix24", title="Bitrix24", secret_env="BITRIX24_WEBHOOK",
    secret_words="an incoming webhook URL (Bitrix24 → Developer resources → Other → "
                 "Incoming webhook, with the `crm` scope: https://PORTAL/rest/USER/CODE/) or "
                 "an OAuth access token (then give --base-url https://PORTAL/rest)",
    base_url_help="with an OAuth token: https://PORTAL/rest")


class Bitrix24Target:
    def __init__(self, client: Bitrix24Client) -> None:
        self.client = client
        self.where = client.where
        self.secrets = client.secrets
        self._answers: dict[str, JSON] = {}
        self._hidden: list[int] = []
        self._created: dict[str, int] = {}

    @property
    def stats(self) -> Stats:
        return self.client.stats

    def check(self, funnel: m.FunnelFile) -> list[Diagnostic]:
        """What the export bundle refuses (names over 255 characters, stage names with
        no Latin letter or digit for a STATUS_ID, blank names): before any request."""
        return build_calls(funnel)[1]

    def read(self) -> Snapshot:
        snap = read_snapshot(self.client)
        self._answers = dict(snap.answers)
        self._hidden = list(snap.hidden)
        return snap

    def read_warnings(self) -> list[str]:
        """What `funnelc import` reading live does not get: the pipelines the webhook's
        user cannot read (crm.category.list leaves them out, crm.category.get answers
        ACCESS_DENIED: bitrix24_account)."""
        if not self._hidden:
            return []
        one = len(self._hidden) == 1
        ids = ", ".join(str(i) for i in self._hidden)
        return [f"the webhook's user cannot read {counted(len(self._hidden), 'deal pipeline')} "
                f"({'id' if one else 'ids'} {ids}): crm.category.list leaves "
                f"{'it' if one else 'them'} out, so the import does not have "
                f"{'it' if one else 'them'}. Give the webhook's user the right to read every "
                "deal pipeline (CRM access permissions: the user's role, Read on the deals "
                "of each pipeline) and import again"]

    def describe(self, snapshot: Snapshot) -> str:
        deal = sum(1 for f in snapshot.fields if f.entity == "deal")
        return (f"{counted(len(snapshot.categories), 'deal pipeline')}, "
                f"{counted(snapshot.stage_count, 'stage')}, {counted(deal, 'deal field')}, "
                f"{counted(len(snapshot.fields) - deal, 'contact/company field')}")

    def plan(self, funnel: m.FunnelFile, snapshot: Snapshot, *, allow_delete: bool) -> Plan[Action]:
        return make_plan(funnel, snapshot, allow_delete=allow_delete)

    def answers(self) -> dict[str, JSON]:
        return dict(self._answers)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ applying

    def apply_step(self, step: Step[Action]) -> None:
        self.apply_many([step])

    def apply_many(self, steps: list[Step[Action]]) -> int:
        """One batch of the leading plain calls (≤ 50), or one composite step."""
        first = steps[0].action
        if isinstance(first, NewCategory):
            self._new_category(first)
            return 1
        if isinstance(first, DeleteDefaults):
            self._delete_defaults(first.want)
            return 1
        run: list[CallAction] = []
        for step in steps[:MAX_BATCH]:
            if not isinstance(step.action, CallAction):
                break
            run.append(step.action)
        try:
            self._batch(run)
        except BatchFailure as exc:
            raise StepsFailed(exc.done, exc) from None
        return len(run)

    def _batch(self, actions: list[CallAction]) -> None:
        for start in range(0, len(actions), MAX_BATCH):
            chunk = actions[start:start + MAX_BATCH]
            try:
                self.client.batch([Call(f"c{start + k}", a.method, a.params)
                                   for k, a in enumerate(chunk)])
            except BatchFailure as exc:
                raise BatchFailure(str(exc), start + exc.done, exc.results) from None

    def _stages(self, category_id: int) -> list[JSON]:
        return self.client.list_all("crm.status.list", {
            "filter": {"ENTITY_ID": entity_id(category_id)}, "order": {"SORT": "ASC"}})

    def _category(self, category_id: int, name: str) -> Category:
        cat = Category(category_id, name, 0, False)
        what = self.client.label("POST", f"crm.status.list ({cat.entity_id})")
        stages = []
        for k, raw in enumerate(self._stages(category_id)):
            try:
                stages.append(parse_stage(raw, f"result[{k}]"))
            except Exception as exc:  # noqa: BLE001 - _Shape: the path is in the message
                raise BadAnswer(f"{what}: {exc}") from None
        cat.stages = stages
        return cat

    def _new_category(self, action: NewCategory) -> None:
        want = action.want
        result = self.client.call("crm.category.add", {
            "entityTypeId": 2, "fields": {"name": want.pipeline, "sort": action.sort}},
            write=True)
        what = self.client.label("POST", "crm.category.add")
        raw = result.get("category") if isinstance(result, dict) else None
        try:
            created = parse_category(raw, "result.category")
        except Exception:  # noqa: BLE001 - named below
            raise BadAnswer(f"{what}: expected `result.category` with an integer `id`, "
                            f"Bitrix24 answered {kind_of(raw)}") from None
        self._created[want.pipeline] = created.id
        cat = self._category(created.id, want.pipeline)
        plan = category_steps(cat, want, allow_delete=False)
        try:
            self._batch([s.action for s in plan.steps if isinstance(s.action, CallAction)])
        except BatchFailure as exc:
            raise ApiError(f"pipeline `{want.pipeline}` was created (id {created.id}) but "
                           f"shaping its stages stopped: {exc}") from None

    def _delete_defaults(self, want: Want) -> None:
        cid = self._created.get(want.pipeline)
        if cid is None:
            raw = self.client.list_all("crm.category.list", {"entityTypeId": 2}, "categories")
            for k, item in enumerate(raw):
                try:
                    c = parse_category(item, f"result.categories[{k}]")
                except Exception:  # noqa: BLE001
                    continue
                if c.name == want.pipeline and c.id != 0:
                    cid = c.id
                    break
        if cid is None:
            raise ApiError(f"pipeline `{want.pipeline}` was not found to delete its default "
                           "stages")
        plan = category_steps(self._category(cid, want.pipeline), want, allow_delete=True)
        actions = [s.action for s in plan.deletions if isinstance(s.action, CallAction)]
        if actions:
            self._batch(actions)


def open_target(connection: Connection) -> Bitrix24Target:
    """ValueError (a usage problem) when the credential or --base-url do not fit."""
    return Bitrix24Target(open_client(connection))
