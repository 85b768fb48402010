"""`dbarch review --workload`: the workload analysis as a review step, and how it prints.

The analysis runs inside the review's own scratch database (already applied), so the
schema is applied once; its plans and index advice are added to the review's JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tools.sql.advise import IndexAdvice, WorkloadReport, analyze_applied, parse_size
from tools.sql.model import Schema
from tools.sql.query import read_workload
from tools.sql.review import ReviewReport, ReviewRequest
from tools.sql.server import Scratch


class WorkloadStep:
    """A review step that analyses the workload and keeps the result for the output."""

    def __init__(self, path: Path, rows: dict[str, int], budget: str | None, cap: int) -> None:
        self.queries = read_workload(path)  # bad input fails before anything is applied
        self.rows, self.cap = rows, cap
        self.budget = parse_size(budget) if budget else None
        self.result: WorkloadReport | None = None

    def __call__(
        self, request: ReviewRequest, schema: Schema, scratch: Scratch, report: ReviewReport
    ) -> None:
        if not report.valid:
            return  # the schema did not apply: nothing to fill or plan
        self.result = analyze_applied(
            schema, self.queries, scratch, self.rows, self.budget, self.cap
        )

    @property
    def failed(self) -> bool:
        return self.result is None or bool(self.result.errors)

    def json_fields(self) -> dict[str, Any]:
        """`plans[]` and `index_advice[]` for the review JSON, plus a `workload` summary."""
        if self.result is None:
            return {"plans": [], "index_advice": [], "workload": None}
        data = self.result.model_dump(mode="json", exclude={"data"})
        return {
            "plans": data.pop("plans"),
            "index_advice": data.pop("index_advice"),
            "workload": data,
        }


def print_workload(console: Console, step: WorkloadStep) -> None:
    result = step.result
    if result is None:
        console.print(Text("Workload not analysed: the schema did not apply.", style="yellow"))
        return
    if result.sampling_note:
        console.print(Text(result.sampling_note, style="cyan"))
    for error in result.errors:
        console.print(Text(error, style="bold red"))
    console.print(_plans_table(result))
    if result.index_advice:
        console.print(_advice_table(result))
    console.print(
        f"Workload cost {result.workload_cost_before:,.0f} -> {result.workload_cost_after:,.0f} "
        f"with the advised indexes (budget {result.budget_bytes / 1024**2:,.1f} MiB; "
        + ", ".join(f"{b.name}: {b.workload_cost:,.0f}" for b in result.baselines)
        + ")"
    )


def _plans_table(result: WorkloadReport) -> Table:
    table = Table(title="Query plans", show_lines=False)
    for column in ("query", "cost", "findings"):
        table.add_column(column)
    for plan in result.plans:
        cost = f"{plan.total_cost:,.1f}" if plan.total_cost is not None else "failed"
        table.add_row(plan.name, cost, ", ".join(f.rule for f in plan.findings))
    return table


def _size(item: IndexAdvice) -> str:
    """The size at the stated rows, and by how much the sample's measurement was scaled."""
    text = f"{item.size_bytes / 1024:,.0f} kB"
    if item.size_method == "scaled" and item.stated_rows and item.sample_rows:
        text += f" (sample's x{item.stated_rows / item.sample_rows:,.4g})"
    return text


def _advice_table(result: WorkloadReport) -> Table:
    table = Table(title="Index advice", show_lines=False)
    for column in ("index", "queries", "cost before", "after", "size at stated rows"):
        table.add_column(column)
    for item in result.index_advice:
        table.add_row(
            item.ddl,
            ", ".join(item.queries),
            f"{item.cost_before:,.1f}",
            f"{item.cost_after:,.1f}",
            _size(item),
        )
    return table
