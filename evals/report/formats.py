"""Render an eval report as text (terminal), JSON (machines, CI) or Markdown (pull requests)."""

from __future__ import annotations

from evals.compare import render_comparison_text
from evals.results import BaselineReport, CaseResult, EvalReport

FORMATS = ("text", "json", "md")


def render(report: EvalReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "md":
        return render_markdown(report)
    return render_text(report)


def render_json(report: EvalReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def headline(report: EvalReport) -> str:
    """`9/10 cases passed (90.0%) with the rules brain in 41.2s; 0 tokens, $0.0000`."""
    who = f"the {report.brain} brain" + (f" ({report.model})" if report.model else "")
    line = (
        f"{report.passed}/{report.total} cases passed ({report.pass_rate:.1%}) with {who} "
        f"in {report.seconds:.1f}s, jobs {report.jobs}; "
        f"{report.tokens} tokens, ${report.cost_usd:.4f}"
    )
    batch = report.batch
    if batch is not None:
        resumed = f", resumed from {batch.resumed_from} stored" if batch.resumed_from else ""
        line += (
            f" (Message Batches at {batch.price_factor:.0%} price: {len(batch.batches)} "
            f"batches in {batch.waves} waves, {batch.sent} calls sent{resumed}, "
            f"{batch.reused} answered from stored batches)"
        )
    return line


def _baseline_verdict(baseline: BaselineReport | None, case_id: str) -> str | None:
    if baseline is None:
        return None
    found = next((c for c in baseline.cases if c.id == case_id), None)
    if found is None:
        return "-"
    return "pass" if found.passed else "FAIL"


def render_text(report: EvalReport) -> str:
    lines = [headline(report), ""]
    for case in report.cases:
        lines += _case_text(case, _baseline_verdict(report.baseline, case.id))
    lines.append("checks: " + ", ".join(_rates(report)))
    if report.baseline is not None:
        base = report.baseline
        lines.append(
            f"baseline ({base.brain} brain): {base.pass_rate:.1%} pass rate "
            f"against {report.pass_rate:.1%} ({_delta(report.pass_rate, base.pass_rate)})"
        )
    if report.comparison is not None:
        lines += render_comparison_text(report.comparison)
    lines += [f"rubric (model-graded, not in the pass rate): {r.case} {r.section} {r.score}/5"
              for r in report.rubric]  # fmt: skip
    return "\n".join(lines) + "\n"


def _case_text(case: CaseResult, baseline: str | None) -> list[str]:
    mark = "PASS" if case.passed else "FAIL"
    extra = f"  baseline {baseline}" if baseline else ""
    lines = [
        f"{mark} {case.id}  {case.seconds:.1f}s  {case.tokens} tokens  "
        f"${case.cost_usd:.4f}  [{case.status}]{extra}"
    ]
    if case.status != "done":  # nothing was graded: say why once, not once per check
        lines.append(f"    {_why_ungraded(case)}")
        lines.append(f"    not graded: {', '.join(c.check for c in case.checks)}")
        return lines
    for check in case.checks:
        flag = "ok  " if check.passed else "FAIL"
        lines.append(f"    {flag} {check.check}: {check.detail}")
    return lines


def _why_ungraded(case: CaseResult) -> str:
    if case.error:
        return f"run error: {case.error}"
    return f"run {case.status}: {case.message or 'no package'}"


def _rates(report: EvalReport) -> list[str]:
    return [f"{name} {p}/{n}" for name, (p, n) in sorted(report.check_rates().items())]


def _delta(value: float, baseline: float) -> str:
    points = (value - baseline) * 100
    return f"{points:+.1f} points"


def render_markdown(report: EvalReport) -> str:
    lines = ["# Eval report", "", headline(report), ""]
    with_base = report.baseline is not None
    header = "| case | result | " + ("baseline | " if with_base else "")
    lines.append(header + "seconds | tokens | cost (USD) | failed checks |")
    lines.append("|---" * (6 + int(with_base)) + "|")
    for case in report.cases:
        verdict = _baseline_verdict(report.baseline, case.id)
        base_cell = f"{verdict} | " if with_base else ""
        failed = ", ".join(f"`{c.check}`" for c in case.checks if not c.passed) or "-"
        lines.append(
            f"| {case.id} | {'pass' if case.passed else '**FAIL**'} | {base_cell}"
            f"{case.seconds:.1f} | {case.tokens} | {case.cost_usd:.4f} | {failed} |"
        )
    lines += ["", "## Checks", "", "| check | passed |", "|---|---|"]
    lines += [f"| `{name}` | {p}/{n} |" for name, (p, n) in sorted(report.check_rates().items())]
    failures = [case for case in report.cases if not case.passed]
    if failures:
        lines += ["", "## Failures"]
    for case in failures:
        lines += ["", f"### {case.id}", ""]
        if case.status != "done":
            lines.append(f"- {_md(_why_ungraded(case))}")
            lines.append("- not graded: " + ", ".join(f"`{c.check}`" for c in case.checks))
        else:
            lines += [f"- `{c.check}`: {_md(c.detail)}" for c in case.checks if not c.passed]
    if report.baseline is not None:
        base = report.baseline
        lines += [
            "",
            f"Baseline ({base.brain} brain): {base.pass_rate:.1%} "
            f"({_delta(report.pass_rate, base.pass_rate)} for {report.brain}).",
        ]
    lines += _comparison_markdown(report) + _rubric_markdown(report)
    return "\n".join(lines) + "\n"


def _comparison_markdown(report: EvalReport) -> list[str]:
    comparison = report.comparison
    if comparison is None:
        return []
    lines = ["", f"## Compared with {comparison.baseline}", "", comparison.summary()]
    if comparison.changes:
        lines += ["", "| case | check | change | found now |", "|---|---|---|---|"]
        lines += [
            f"| {c.case} | {f'`{c.check}`' if c.check else '(case)'} | "
            f"{'**regressed**' if c.change == 'regressed' else c.change} | {_md(c.after or '')} |"
            for c in comparison.changes
        ]
    return lines


def _rubric_markdown(report: EvalReport) -> list[str]:
    if not report.rubric:
        return []
    lines = ["", "## Rubric scores (model-graded, not part of the pass rate)", ""]
    lines += ["| case | section | score | reasons |", "|---|---|---|---|"]
    lines += [f"| {r.case} | {r.section} | {r.score}/5 | {_md(r.reasons)} |" for r in report.rubric]
    return lines


def _md(text: str) -> str:
    """One table- and list-safe line."""
    return " ".join(text.split()).replace("|", "\\|")
