"""Benchmark: the index advisor against naive baselines and postgres-mcp, at one budget.

    .venv/bin/python benchmarks/index_advisor.py [--scale 1.0] [--budget 32MB] [--no-peer]

1. Load speed: 1,000,000 synthetic rows through the generator vs. PostgreSQL's own
   `INSERT ... SELECT ... generate_series` of rows of the same width, side by side.
2. On the embedded PostgreSQL 18: the TPC-H-like schema (8 tables) filled at `--scale`
   (1.0 = 600k lineitems), then the workload's cost with no secondary index, one index
   per foreign key, one single-column index per filtered column, and the advisor's set,
   all under the same budget, plus the advisor's run time.
3. If PostgreSQL 15 + hypopg and postgres-mcp can be installed: both advisors on the same
   PG15 server and data, both index sets then really built and the workload costed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import pg15_hypopg  # noqa: E402

from tools.sql.advise import advise_on, parse_size  # noqa: E402
from tools.sql.datagen import generate_data  # noqa: E402
from tools.sql.parse import parse_schema  # noqa: E402
from tools.sql.query import WorkloadQuery, plan_cost, planning_connection, read_workload  # noqa: E402  # noqa: E402
from tools.sql.server import PgServer, Scratch, connect, resolve_server, scratch_database  # noqa: E402
from tools.sql.validate import apply_statements  # noqa: E402

SCHEMA = HERE / "tpch_like" / "schema.sql"
QUERIES = HERE / "tpch_like" / "queries.sql"
WIDE = HERE / "tpch_like" / "load_speed.sql"
SCALE_1 = {
    "region": 5, "nation": 25, "supplier": 1_000, "customer": 15_000, "part": 20_000,
    "partsupp": 80_000, "orders": 150_000, "lineitem": 600_000,
}  # fmt: skip
PLAIN_INSERT = """
INSERT INTO plain_rows
SELECT g, (g % 1000)::int, ((g % 100000) / 100.0)::numeric(12,2),
       timestamptz '2026-01-01 00:00:00+00' - g * interval '90 seconds',
       'label ' || (g % 1000), (ARRAY['a','b','c','d'])[1 + g % 4]::row_kind
FROM generate_series(1, {rows}) AS g
"""


def load_speed(server: PgServer, rows: int) -> dict[str, Any]:
    """Our generator vs. a hand-written generate_series INSERT into an identical table."""
    schema = parse_schema(WIDE)
    with scratch_database(server) as db:
        assert apply_statements(schema, db).valid
        with connect(db.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE plain_rows (LIKE synth_rows INCLUDING ALL)")
            started = time.perf_counter()
            conn.execute(PLAIN_INSERT.replace("{rows}", str(int(rows))))
            plain = time.perf_counter() - started
        only_synth = replace(schema, tables={"synth_rows": schema.tables["synth_rows"]})
        report = generate_data(only_synth, db, {"synth_rows": rows}, cap=rows)
        ours = report.tables[0].seconds
        with connect(db.dsn, autocommit=True) as conn:
            conn.execute("ANALYZE plain_rows")
            widths = conn.execute(
                "SELECT relname, pg_relation_size(oid) / greatest(reltuples, 1) FROM pg_class "
                "WHERE relname IN ('synth_rows', 'plain_rows') ORDER BY relname"
            ).fetchall()
    return {
        "rows": rows,
        "generator_seconds": round(ours, 2),
        "plain_insert_seconds": round(plain, 2),
        "ratio": round(ours / plain, 2),
        "bytes_per_row": {name: round(float(w), 1) for name, w in widths},
    }


def fill(db: Scratch, scale: float) -> dict[str, Any]:
    schema = parse_schema(SCHEMA)
    assert apply_statements(schema, db).valid
    rows = {name: max(1, int(count * scale)) for name, count in SCALE_1.items()}
    report = generate_data(schema, db, rows, cap=10**9)
    if report.failures:
        raise SystemExit(f"data generation failed: {report.failures}")
    return {"rows": report.rows, "seconds": round(report.seconds, 2), "notes": report.notes}


def embedded_run(scale: float, budget: int) -> dict[str, Any]:
    queries = read_workload(QUERIES)
    with scratch_database(resolve_server()) as db:
        data = fill(db, scale)
        started = time.perf_counter()
        advice = advise_on(db, queries, budget)
        seconds = time.perf_counter() - started
    baselines = {b.name: b for b in advice.baselines}
    return {
        "data": data,
        "queries": len(queries),
        "budget_bytes": budget,
        "no_secondary_indexes": advice.workload_cost_before,
        "fk_indexes": baselines["fk_indexes"].workload_cost,
        "fk_indexes_bytes": baselines["fk_indexes"].size_bytes,
        "single_column": baselines["single_column"].workload_cost,
        "single_column_bytes": baselines["single_column"].size_bytes,
        "advisor": advice.workload_cost_after,
        "advisor_bytes": advice.used_bytes,
        "advisor_indexes": [a.ddl for a in advice.advice],
        "advisor_seconds": round(seconds, 2),
        "candidates": advice.candidates,
    }


def real_cost(db: Scratch, queries: list[WorkloadQuery], ddls: list[str]) -> tuple[float, int]:
    """Build the indexes for real (rolled back afterwards); workload cost and their size."""
    connection = planning_connection(db.admin_dsn, read_only=False, timeout_ms=600_000)
    with connection as conn, conn.transaction(force_rollback=True):
        for n, ddl in enumerate(ddls):
            conn.execute(_renamed(ddl, n))
        conn.execute("ANALYZE")
        row = conn.execute(
            "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_stat_user_indexes "
            "WHERE indexrelname LIKE 'bench_ix_%'"
        ).fetchone()
        cost = sum(plan_cost(conn, q) for q in queries)
    return round(cost, 2), int(row[0]) if row else 0


def _renamed(ddl: str, n: int) -> str:
    """Give each index a fresh name, whatever the advisor called it."""
    head, _, rest = ddl.partition(" ON ")
    return f"CREATE INDEX bench_ix_{n} ON {rest}" if head.upper().startswith("CREATE") else ddl


def peer_run(scale: float, budget: int) -> dict[str, Any]:
    why = pg15_hypopg.ensure_hypopg() or pg15_hypopg.ensure_pgmcp()
    if why:
        return {"skipped": why}
    queries = read_workload(QUERIES)
    with pg15_hypopg.pg15_cluster() as url, scratch_database(PgServer(url=url)) as db:
        data = fill(db, scale)
        started = time.perf_counter()
        ours = advise_on(db, queries, budget)
        our_seconds = time.perf_counter() - started
        peer = _pgmcp(db, queries, budget)
        if peer.get("error"):
            return {"data": data, "skipped": f"postgres-mcp failed: {peer['error']}"}
        base, _ = real_cost(db, queries, [])
        our_cost, our_bytes = real_cost(db, queries, [a.ddl for a in ours.advice])
        peer_cost, peer_bytes = real_cost(db, queries, list(peer["indexes"]))
    return {
        "data": data,
        "method": ours.method,
        "no_secondary_indexes": base,
        "advisor": our_cost,
        "advisor_bytes": our_bytes,
        "advisor_seconds": round(our_seconds, 2),
        "advisor_indexes": [a.ddl for a in ours.advice],
        "pgmcp": peer_cost,
        "pgmcp_bytes": peer_bytes,
        "pgmcp_seconds": peer["seconds"],
        "pgmcp_indexes": peer["indexes"],
        "cost_ratio": round(our_cost / peer_cost, 3) if peer_cost else None,
    }


def _pgmcp(db: Scratch, queries: list[WorkloadQuery], budget: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([q.sql for q in queries], handle)
    python = pg15_hypopg.PGMCP_VENV / "bin" / "python"
    budget_mb = str(max(1, budget // 1024**2))
    argv = [str(python), str(HERE / "pgmcp_dta.py"), db.admin_dsn, budget_mb, handle.name]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=900)
    Path(handle.name).unlink(missing_ok=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-500:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _print(results: dict[str, Any]) -> None:
    speed = results["load_speed"]
    print(f"\nLoad speed, {speed['rows']:,} rows of the same width {speed['bytes_per_row']}:")
    print(f"  generator {speed['generator_seconds']} s, plain generate_series INSERT "
          f"{speed['plain_insert_seconds']} s: ratio {speed['ratio']} (limit 3)")  # fmt: skip
    emb = results["embedded"]
    data = emb["data"]
    print(f"\nEmbedded PostgreSQL: {data['rows']:,} rows loaded in {data['seconds']} s; "
          f"{emb['queries']} queries; budget {emb['budget_bytes'] / 1024**2:.0f} MiB")  # fmt: skip
    for label, key in (
        ("no secondary indexes", "no_secondary_indexes"),
        ("one index per foreign key", "fk_indexes"),
        ("single-column per filtered column", "single_column"),
        ("advisor", "advisor"),
    ):
        size = emb.get(f"{key}_bytes")
        extra = f"  ({size / 1024**2:.1f} MiB)" if size is not None else ""
        print(f"  {label:36s} {emb[key]:>14,.0f}{extra}")
    print(f"  advisor run time {emb['advisor_seconds']} s over {emb['candidates']} candidates")
    peer = results["peer"]
    if "skipped" in peer:
        print(f"\npostgres-mcp comparison skipped: {peer['skipped']}")
        return
    print("\nPostgreSQL 15 + hypopg, same data and budget (indexes really built to cost them):")
    print(f"  no secondary indexes {peer['no_secondary_indexes']:,.0f}")
    print(f"  advisor ({peer['method']}) {peer['advisor']:,.0f} in {peer['advisor_seconds']} s, "
          f"{peer['advisor_bytes'] / 1024**2:.1f} MiB")  # fmt: skip
    print(f"  postgres-mcp DTA {peer['pgmcp']:,.0f} in {peer['pgmcp_seconds']} s, "
          f"{peer['pgmcp_bytes'] / 1024**2:.1f} MiB")  # fmt: skip
    print(f"  cost ratio advisor / postgres-mcp: {peer['cost_ratio']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 600k lineitems")
    parser.add_argument("--budget", default="32MB", help="index storage budget, e.g. 32MB")
    parser.add_argument("--load-rows", type=int, default=1_000_000)
    parser.add_argument("--no-peer", action="store_true", help="skip the postgres-mcp run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    budget = parse_size(args.budget)
    server = resolve_server()
    results: dict[str, Any] = {"load_speed": load_speed(server, args.load_rows)}
    results["embedded"] = embedded_run(args.scale, budget)
    results["peer"] = {"skipped": "--no-peer"} if args.no_peer else peer_run(args.scale, budget)
    _print(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
