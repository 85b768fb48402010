"""Peak memory and time of `dbarch review` on large schemas, against two named baselines.

Baselines: time against `psql -f` applying the same file to a fresh database plus squawk
on it (what a review must at least do); memory against parsing the file whole into
libpg_query's JSON tree, which is what review did before it parsed a slice at a time (the
issue's 184k-table, 20 MB dump took 5 min 38 s and 2.9 GB that way, with no progress).
Each review runs as a user runs it, a child process with stderr piped, so the progress
lines a log would show are counted too.

Targets (exit 1 when missed): from 4 MiB of SQL on, the whole review peaks below the
whole-file parse alone (below that both are mostly the interpreter); the issue's dump
(`--shape narrow --sizes 184000`: 184,000 small tables, 20 MB) peaks below 1 GiB; and a
review that runs longer than a few seconds prints progress lines.

    .venv/bin/python benchmarks/review_memory.py [--sizes 1000,5000,20000] [--no-psql]
    .venv/bin/python benchmarks/review_memory.py --shape narrow --sizes 184000 --no-psql
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.review_scale import Sample, dbarch_binary, time_psql, time_squawk  # noqa: E402
from benchmarks.schema_gen import write_schema  # noqa: E402
from tools.sql.server import resolve_server  # noqa: E402

# The parse the review used to do: the whole file's JSON tree, loaded at once.
WHOLE_PARSE = (
    "import json, sys\n"
    "from pglast.parser import parse_sql_json\n"
    "tree = json.loads(parse_sql_json(open(sys.argv[1], encoding='utf-8').read()))\n"
    "print(len(tree['stmts']))\n"
)
MEMORY_TARGET_FROM_MIB = 4.0
# Issue 14's dump: 184k tables in 20 MB took 2.9 GB and 5 min 38 s with no progress.
ISSUE_TABLES, ISSUE_PEAK_MIB, ISSUE_SECONDS, ISSUE_TARGET_MIB = 184_000, 2.9 * 1024, 338, 1024
QUIET_SECONDS = 5.0  # a review shorter than this prints no progress (and need not)


@dataclass
class Run:
    seconds: float
    peak_mib: float
    stdout: str
    stderr: str


@dataclass
class Row:
    shape: str
    tables: int
    mib: float
    review: Run
    timings: dict[str, float]
    whole_parse: Run
    baseline_s: float | None  # psql -f + squawk

    @property
    def is_issue_dump(self) -> bool:
        return self.shape == "narrow" and self.tables >= ISSUE_TABLES

    @property
    def progress_lines(self) -> int:
        return sum(1 for line in self.review.stderr.splitlines() if line.strip())


# Linux keeps the peak RSS of the memory a process had before exec: a child forked from a
# large parent (pytest, a long benchmark) reports the parent's size as its own peak. A small
# launcher is forked instead; it starts the command and reports that grandchild's wait4.
_LAUNCHER = """
import os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(command: list[str]) -> Run:
    """Wall time and peak RSS of one command, from wait4 (that process's own rusage)."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as peak,
    ):
        started = time.perf_counter()
        launcher = [sys.executable, "-c", _LAUNCHER, peak.name, *command]
        proc = subprocess.run(launcher, stdout=out, stderr=err, text=True, check=False)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        run = Run(seconds, int(peak.read() or 0) / 1024, out.read(), err.read())
    if proc.returncode not in (0, 1):  # review's 1 means "found something"
        raise SystemExit(f"{command[:3]} exited {proc.returncode}: {run.stderr[-500:]}")
    return run


def measure(tables: int, folder: Path, with_psql: bool, shape: str = "wide") -> Row:
    schema = write_schema(folder, tables, shape=shape)
    review = measured([str(dbarch_binary()), "review", str(schema), "--format", "json"])
    report = json.loads(review.stdout)
    if not report["valid"]:
        raise SystemExit(f"generated schema {schema} did not apply: {report['counts']}")
    whole = measured([sys.executable, "-c", WHOLE_PARSE, str(schema)])
    baseline = None
    if with_psql:
        sample = Sample(tables)
        time_psql(resolve_server(os.environ.get("DATABASE_URL")), schema, sample)
        time_squawk(schema, sample)
        baseline = sample.best("psql") + sample.best("squawk")
    mib = schema.stat().st_size / 2**20
    return Row(shape, tables, mib, review, report["timings"], whole, baseline)


def report(rows: list[Row]) -> list[str]:
    """Print the table; return the targets that were missed."""
    print(
        f"{'tables':>7} {'SQL MiB':>8} {'review s':>9} {'peak MiB':>9} {'psql+squawk s':>14} "
        f"{'whole-parse MiB':>16} {'ratio':>6} {'progress lines':>15}"
    )
    missed: list[str] = []
    for row in rows:
        baseline = f"{row.baseline_s:14.1f}" if row.baseline_s is not None else f"{'-':>14}"
        print(
            f"{row.tables:>7} {row.mib:>8.1f} {row.review.seconds:>9.1f} "
            f"{row.review.peak_mib:>9.0f} {baseline} {row.whole_parse.peak_mib:>16.0f} "
            f"{row.review.peak_mib / row.whole_parse.peak_mib:>6.2f} {row.progress_lines:>15}"
        )
        if row.is_issue_dump:
            print(
                f"  the issue's dump: {row.review.peak_mib:.0f} MiB against the issue's "
                f"{ISSUE_PEAK_MIB:.0f} MiB (ratio {row.review.peak_mib / ISSUE_PEAK_MIB:.2f}), "
                f"{row.review.seconds:.0f} s against {ISSUE_SECONDS} s "
                f"(ratio {row.review.seconds / ISSUE_SECONDS:.2f})"
            )
        missed += _missed(row)
    if len(rows) > 1 and rows[-1].mib > rows[0].mib:
        first, last = rows[0], rows[-1]
        span = last.mib - first.mib
        review_slope = (last.review.peak_mib - first.review.peak_mib) / span
        parse_slope = (last.whole_parse.peak_mib - first.whole_parse.peak_mib) / span
        print(
            f"memory per MiB of SQL: review {review_slope:.0f} MiB, "
            f"whole-file parse alone {parse_slope:.0f} MiB"
        )
    for row in rows:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in row.timings.items())
        print(f"  {row.tables} tables, seconds by step: {steps}")
    return missed


def _missed(row: Row) -> list[str]:
    missed = []
    # Below a few MiB of SQL both are dominated by the interpreter and the imports.
    if row.mib >= MEMORY_TARGET_FROM_MIB and row.review.peak_mib >= row.whole_parse.peak_mib:
        missed.append(
            f"{row.tables} tables: review peaked at {row.review.peak_mib:.0f} MiB, not below "
            f"the whole-file parse's {row.whole_parse.peak_mib:.0f} MiB"
        )
    if row.is_issue_dump and row.review.peak_mib >= ISSUE_TARGET_MIB:
        missed.append(
            f"the issue's dump ({row.tables} tables): review peaked at "
            f"{row.review.peak_mib:.0f} MiB, not below {ISSUE_TARGET_MIB} MiB"
        )
    if row.review.seconds > 2 * QUIET_SECONDS and row.progress_lines == 0:
        missed.append(f"{row.tables} tables: {row.review.seconds:.0f} s with no progress line")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="comma-separated tables")
    parser.add_argument("--no-psql", action="store_true", help="skip the psql + squawk timing")
    parser.add_argument(
        "--shape",
        choices=("wide", "narrow"),
        default="wide",
        help="wide: ~580 B application tables; narrow: ~110 B tables, as in the issue's dump",
    )
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="dbarch-bench-") as tmp:
        rows = []
        for n in sizes:
            print(f"{n} tables", file=sys.stderr, flush=True)
            rows.append(measure(n, Path(tmp), not args.no_psql, args.shape))
    missed = report(rows)
    for miss in missed:
        print(f"TARGET MISSED: {miss}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
