"""What each mode needs from the caller, and the working spec an existing schema's run reads.

optimize and scale start from an existing schema: a spec is optional there, and without one
the run works on a spec derived from the schema's tables and the workload file. migrate
needs the current schema and a target (a spec or a target schema). A missing input is an
`InputError` that names the option to give, before any stage runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from agent.naming import singular, snake, table_name
from agent.spec import Requirements, parse_spec
from agent.state import DesignRequest, NamedQuery
from tools.errors import InputError
from tools.sql.model import Schema

FROM_SCHEMA = ("optimize", "migrate", "scale")  # modes that start from an existing schema
SPEC_OPTIONAL = ("optimize", "scale")


def schema_from_spec(mode: str, target_schema: bool) -> bool:
    """Whether the run builds its schema from the spec, so patterns are read against its names."""
    return mode not in SPEC_OPTIONAL and not (mode == "migrate" and target_schema)


def check_mode_inputs(request: DesignRequest) -> None:
    """Refuse a request that lacks what its mode needs, naming the option that supplies it."""
    mode, has_spec = request.mode, request.spec is not None or bool(request.text)
    if mode in FROM_SCHEMA and not request.current_schema:
        raise InputError(
            f"--mode {mode} needs the current schema: give --schema FILE|FOLDER "
            "(`current_schema` over HTTP)"
        )
    if mode not in FROM_SCHEMA and request.current_schema:
        raise InputError(f"--schema is for --mode optimize, migrate or scale, not {mode}")
    if request.target_schema and mode != "migrate":
        raise InputError("--target-schema is for --mode migrate")
    if mode == "migrate" and not has_spec and not request.target_schema:
        raise InputError(
            "--mode migrate needs a target: a SPEC the new schema must meet, "
            "or --target-schema FILE|FOLDER (`target_schema` over HTTP)"
        )
    if mode not in SPEC_OPTIONAL and mode != "migrate" and not has_spec:
        raise InputError(f"--mode {mode} needs a SPEC file (or free text with --brain anthropic)")
    if mode == "optimize" and not request.workload and not _patterns(request):
        raise InputError(
            "--mode optimize needs a workload: give --workload FILE (`workload` over HTTP), "
            "or a SPEC with access_patterns"
        )


def _patterns(request: DesignRequest) -> bool:
    return bool(request.text) or (request.spec is not None and bool(request.spec.access_patterns))


def derive_spec(schema: Schema, workload: Sequence[NamedQuery], source: str | None) -> Requirements:
    """A spec standing for an existing schema: one entity per table, the workload as patterns.

    It carries no volumes or rates (those come from `--rows` and stated defaults), so
    every number later stages print says it is assumed. Entity names are the tables'
    singulars; the tables keep the schema's own names.
    """
    tables = [t for t in schema.tables.values() if t.partition_of is None]
    if not tables:
        raise InputError(f"{source or 'the schema'} creates no table")
    names = list(dict.fromkeys(singular(snake(t.name)) for t in tables))
    label = Path(source).stem if source else "current-schema"
    return parse_spec(
        {
            "name": snake(label).replace("_", "-") or "current-schema",
            "description": f"Derived from the existing schema {source or ''} ({len(tables)} "
            "tables); no requirements spec was given.".replace("  ", " "),
            "entities": [{"name": name} for name in names],
            "access_patterns": [{"name": q.name, "sql": q.sql} for q in workload],
        }
    )


def merge_workload(spec: Requirements, workload: Sequence[NamedQuery]) -> Requirements:
    """The spec's access patterns plus the workload file's queries (names must not clash)."""
    if not workload:
        return spec
    known = {p.name: p.sql for p in spec.access_patterns}
    added = []
    for query in workload:
        if query.name in known:
            if " ".join(known[query.name].split()) == " ".join(query.sql.split()):
                continue
            raise InputError(
                f"--workload query '{query.name}' has the name of a different access pattern "
                "of the spec; rename one of them"
            )
        added.append({"name": query.name, "sql": query.sql})
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["access_patterns"] = [*data.get("access_patterns", []), *added]
    return parse_spec(data)


def table_rows(
    spec: Requirements, schema: Schema, overrides: Mapping[str, int], strict: bool = True
) -> dict[str, int]:
    """Rows per table of an existing schema: the spec's entity rows, then `--rows`.

    An entity matches its contract table (`task` -> `tasks`) or, in a schema that names
    tables in the singular, the table of its own name. With `strict`, a `--rows` table the
    schema lacks is an error naming it (a typo would otherwise go unnoticed).
    """
    rows: dict[str, int] = {}
    for entity in spec.entities:
        table = entity_table(entity.name, schema)
        if entity.rows and table is not None:
            rows[table] = entity.rows
    for table, count in overrides.items():
        if strict and table not in schema.tables:
            known = ", ".join(sorted(schema.tables)[:12])
            raise InputError(f"--rows names table '{table}', which the schema lacks ({known})")
        rows[table] = count
    return rows


def entity_table(entity: str, schema: Schema) -> str | None:
    for name in (table_name(entity), entity):
        if name in schema.tables:
            return name
    return None
