"""Collects migration steps into the order an online migration needs, phase by phase.

expand: new types, tables, columns, constraints NOT VALID, triggers and policies;
backfill: batched data copies, then VALIDATE and SET NOT NULL, then indexes built
CONCURRENTLY over the filled data; contract: column swaps, then drops, newest structures
last. Steps are added in any order and come out in this one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from agent.stages import AcceptedLint, MigrationStep, Phase, SchemaChange

Bucket = Literal[
    "types", "tables", "columns", "constraints", "objects",
    "backfill", "validate", "indexes",
    "switch", "drop", "reindex", "purge",
]  # fmt: skip
BUCKETS: dict[Bucket, Phase] = {
    "types": "expand",
    "tables": "expand",
    "columns": "expand",
    "constraints": "expand",
    "objects": "expand",
    "backfill": "backfill",
    "validate": "backfill",
    "indexes": "backfill",
    "switch": "contract",
    "drop": "contract",
    "reindex": "contract",
    "purge": "contract",  # last: the steps that destroy data, run on purpose
}
NOTHING_TO_UNDO = "-- nothing to undo: {reason}"


class PlanBuilder:
    def __init__(self) -> None:
        self.buckets: dict[Bucket, list[MigrationStep]] = {b: [] for b in BUCKETS}
        self.changes: list[SchemaChange] = []
        self.notes: list[str] = []
        self._names: set[str] = set()

    def add(
        self,
        bucket: Bucket,
        name: str,
        up: Iterable[str],
        down: Iterable[str],
        lock: str,
        why: str,
        *,
        transactional: bool = True,
        risk: Literal["low", "medium", "high"] = "low",
        online: bool = True,
        accepted: dict[str, str] | None = None,
        undo_reason: str = "the step changes nothing a rollback must restore",
        on_purpose: bool = False,
        rollback_loses: str | None = None,
    ) -> None:
        """One step; `down` lists the statements that undo `up`, in the order they run."""
        ups = [s.rstrip().rstrip(";") for s in up if s.strip()]
        downs = [s.rstrip().rstrip(";") for s in down if s.strip()]
        self.buckets[bucket].append(
            MigrationStep(
                name=self._unique(name),
                phase=BUCKETS[bucket],
                up=";\n".join(ups) + ";",
                down=";\n".join(downs) + ";"
                if downs
                else NOTHING_TO_UNDO.format(reason=undo_reason),
                transactional=transactional,
                lock=lock,
                risk=risk,
                online=online,
                why=why,
                accepted_lint=[AcceptedLint(rule=r, reason=w) for r, w in (accepted or {}).items()],
                on_purpose=on_purpose,
                rollback_loses=rollback_loses,
            )
        )

    def change(self, obj: str, change: str, name: str, detail: str = "") -> None:
        self.changes.append(
            SchemaChange.model_validate(
                {"object": obj, "change": change, "name": name, "detail": detail}
            )
        )

    def ordered(self) -> list[MigrationStep]:
        return [step for bucket in BUCKETS for step in self.buckets[bucket]]

    def _unique(self, name: str) -> str:
        base = "_".join(name.lower().replace(".", "_").split())[:60]
        candidate, number = base, 1
        while candidate in self._names:
            number += 1
            candidate = f"{base}_{number}"
        self._names.add(candidate)
        return candidate
