"""The PostgreSQL major version a design targets, as every stage reads it from the spec.

The requirements stage settles `spec.pg_version` (`agent.nodes.current.with_target`: asked
for, stated in the spec, or read from the gates' server); the stages only read it here, so
no brain needs the run's context to know its target.
"""

from __future__ import annotations

from agent.spec import Requirements
from tools.sql.pg_features import NEWEST, supports


def target_of(spec: Requirements | None) -> int:
    """The spec's target; a spec that never went through the requirements stage is newest."""
    return spec.pg_version if spec is not None and spec.pg_version else NEWEST


def uuid_default(spec: Requirements) -> str:
    """Time-ordered uuidv7() where the target has it (inserts stay local in the key's
    index); the random gen_random_uuid() (v4, PostgreSQL 13+) before 18."""
    return "uuidv7()" if supports(target_of(spec), "uuidv7") else "gen_random_uuid()"
