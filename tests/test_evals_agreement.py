"""Case files the suite has never seen are graded in agreement with PostgreSQL itself.

Each test writes a new case (a spec generated from a seed, and expectations of which some
hold and some do not), runs it through the eval runner with the rules brain, then applies
the package to a scratch database of its own and decides every expectation with its own
catalog queries. Every grade must agree with that independent verdict."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.config import Settings
from evals.cases import load_cases
from evals.results import CaseResult
from evals.runner import run_cases
from tools.sql.server import Conn, PgServer, connect, scratch_database

pytestmark = pytest.mark.timeout(600)

NAMES = ["widget", "ticket", "invoice", "shipment", "parcel", "voucher", "booking", "lesson"]
TYPES = {  # spec type -> what PostgreSQL stores, as format_type() prints it
    "text!": "text", "int": "integer", "money!": "numeric(19,4)", "bool! default false": "boolean",
    "timestamp!": "timestamp with time zone", "date": "date", "json": "jsonb",
    "numeric(10,2)": "numeric(10,2)", "uuid": "uuid", "bigint!": "bigint",
}  # fmt: skip
WRONG = {"text": "integer", "numeric(19,4)": "double precision", "integer": "text"}
ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


def _spec(rng: random.Random) -> dict[str, Any]:
    names = rng.sample(NAMES, 3)
    tenant = rng.random() < 0.5
    entities: list[dict[str, Any]] = [
        {"name": "org", "rows": 200, "attributes": {"title": "text!"}}
    ]
    for index, name in enumerate(names):
        attributes = {f"{name}_{n}": t for n, t in enumerate(rng.sample(list(TYPES), 3))}
        attributes["code"] = "text! unique"
        entity: dict[str, Any] = {
            "name": name,
            "rows": rng.choice([2000, 20000]),
            "attributes": attributes,
        }
        parent = "org" if index == 0 else names[index - 1]
        entity["belongs_to"] = [
            {"entity": parent, "on_delete": rng.choice(["cascade", "restrict"])}
        ]
        entities.append(entity)
    entities.append({
        "name": "reading", "rows": 50000, "growth_per_month": 400000000, "time_series": True,
        "time_column": "recorded_at", "retention": "30 days", "belongs_to": [names[-1]],
        "attributes": {"recorded_at": "timestamp!", "value": "float!"},
    })  # fmt: skip
    child = f"{names[1]}s"
    pattern = f"SELECT id FROM {child} WHERE {names[0]}_id = $1 LIMIT 10"
    spec: dict[str, Any] = {
        "name": f"unseen-{rng.randrange(10**6)}",
        "consistency": "strong",
        "entities": entities,
        "access_patterns": [{"name": "children", "per_second": 10, "sql": pattern}],
    }
    if tenant:
        spec |= {"tenancy": "shared-schema", "tenant": "org"}
    return spec


def _expectations(spec: dict[str, Any], rng: random.Random) -> list[Any]:
    tables = [f"{e['name']}s" for e in spec["entities"]]
    typed = {
        f"{e['name']}s.{column}": TYPES[kind]
        for e in spec["entities"][1:4]
        for column, kind in e["attributes"].items()
        if kind in TYPES
    }
    picked = dict(rng.sample(sorted(typed.items()), 4))
    if rng.random() < 0.5:  # one wrong type
        column, kind = next(iter(picked.items()))
        picked[column] = WRONG.get(kind, "text" if kind != "text" else "integer")
    first, second = tables[1], tables[2]
    parent_column = f"{second}.{spec['entities'][1]['name']}_id"
    return [
        "ddl_applies",
        {"tables": tables + (["ghosts"] if rng.random() < 0.5 else [])},
        {"columns": [f"{first}.code", f"{second}.created_at"]},
        {"columns": [f"{first}.nope"]},  # never there: every case has a grade that must fail
        {"column_type": picked},
        {"rls": [first, rng.choice([second, "orgs"])]},
        {"partitioned": ["readings"] + ([first] if rng.random() < 0.5 else [])},
        {"unique_keys": {first: [["code"]] + ([["created_at"]] if rng.random() < 0.5 else [])}},
        {"primary_key": {first: ["id"] if rng.random() < 0.7 else ["id", "code"]}},
        {"on_delete": {parent_column: rng.choice(["cascade", "restrict", "set null"])}},
    ]  # fmt: skip


def _truth(conn: Conn, check: str, arg: Any) -> bool:
    return all(VERDICTS[check](conn, item, arg) for item in _items(check, arg))


def _items(check: str, arg: Any) -> list[Any]:
    if check == "ddl_applies":
        return [None]
    return list(arg.items()) if isinstance(arg, dict) else list(arg)


def _exists(conn: Conn, table: str, _: Any = None) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone() == (True,)


def _column_type(conn: Conn, table: str, column: str) -> str | None:
    row = conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped",
        (table, column),
    ).fetchone()
    return str(row[0]) if row else None


def _column(conn: Conn, dotted: str, _: Any) -> bool:
    table, _, column = dotted.rpartition(".")
    return _exists(conn, table) and _column_type(conn, table, column) is not None


def _typed(conn: Conn, item: tuple[str, str], _: Any) -> bool:
    table, _, column = item[0].rpartition(".")
    found = _column_type(conn, table, column) if _exists(conn, table) else None
    probe = conn.execute(
        "SELECT format_type(%s::regtype, NULL)", (item[1].split("(")[0],)
    ).fetchone()
    if found is None or probe is None:
        return False
    return found == item[1] if "(" in item[1] else found.split("(")[0] == probe[0]


def _rls(conn: Conn, table: str, _: Any) -> bool:
    row = conn.execute(
        "SELECT c.relrowsecurity AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) "
        "FROM pg_class c WHERE c.oid = to_regclass(%s)",
        (table,),
    ).fetchone()
    return bool(row and row[0])


def _partitioned(conn: Conn, table: str, _: Any) -> bool:
    row = conn.execute(
        "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (table,)
    ).fetchone()
    return row == ("p",)


def _unique(conn: Conn, item: tuple[str, list[list[str]]], _: Any) -> bool:
    table, sets = item
    found = conn.execute(
        "SELECT array_agg(a.attname::text) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indpred IS NULL "
        "GROUP BY i.indexrelid",
        (table,),
    ).fetchall()
    keys = [set(row[0]) for row in found]
    return all(set(columns) in keys for columns in sets)


def _primary(conn: Conn, item: tuple[str, list[str]], _: Any) -> bool:
    row = conn.execute(
        "SELECT array_agg(a.attname::text) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = to_regclass(%s) AND i.indisprimary",
        (item[0],),
    ).fetchone()
    return bool(row and row[0] is not None and set(row[0]) == set(item[1]))


def _on_delete(conn: Conn, item: tuple[str, str], _: Any) -> bool:
    table, _, column = item[0].rpartition(".")
    row = conn.execute(
        "SELECT c.confdeltype FROM pg_constraint c JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
        "WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s) AND a.attname = %s",
        (table, column),
    ).fetchone()
    return bool(row) and ACTIONS[str(row[0])] == item[1]


def _applies(conn: Conn, _: Any, __: Any) -> bool:
    return True  # the package applied in _apply, or the test failed there


VERDICTS: dict[str, Callable[[Conn, Any, Any], bool]] = {
    "ddl_applies": _applies, "tables": _exists, "columns": _column, "column_type": _typed,
    "rls": _rls, "partitioned": _partitioned, "unique_keys": _unique, "primary_key": _primary,
    "on_delete": _on_delete,
}  # fmt: skip


def _run_unseen(tmp: Path, seed: int) -> CaseResult:
    rng = random.Random(seed)
    spec = _spec(rng)
    case = {"id": f"unseen-{seed}", "spec": spec, "expect": _expectations(spec, rng)}
    path = tmp / f"unseen-{seed}.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False))
    report = asyncio.run(
        run_cases(load_cases([path]), "rules", settings=Settings(home=tmp / "home"))
    )
    return report.cases[0]


@pytest.mark.parametrize("seed", [11, 23, 37])
def test_unseen_cases_are_graded_as_postgresql_sees_the_package(
    pg: PgServer, tmp_path: Path, seed: int
) -> None:
    result = _run_unseen(tmp_path, seed)
    assert result.status == "done" and result.package is not None, result.message or result.error
    package = result.package
    assert package.schema_design is not None and package.indexes is not None
    with scratch_database(pg) as scratch, connect(scratch.admin_dsn, autocommit=True) as conn:
        conn.execute(package.schema_design.ddl)  # one script, exactly as a user would apply it
        conn.execute(package.indexes.ddl)
        disagreements = [
            (check.check, check.expected, check.passed, check.detail)
            for check in result.checks
            if _truth(conn, check.check, check.expected) != check.passed
        ]
    assert disagreements == []
    assert {check.passed for check in result.checks} == {True, False}
