"""report.html: one self-contained page (styles and the Mermaid library inlined) with the
pass table by case and check, each case's ERD drawn, failed checks as expected vs found,
time, tokens and cost, the comparison with an earlier run and the rubric scores apart."""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from string import Template
from typing import Any

from evals.checks import CHECKS
from evals.report.formats import headline
from evals.results import CaseResult, CheckResult, EvalReport

_RENDER = """
<script>
(async () => {
  mermaid.initialize({startOnLoad: false, securityLevel: "strict", theme: "neutral"});
  try {
    await mermaid.run({querySelector: "pre.mermaid"});
    document.body.dataset.diagrams = "rendered";
  } catch (error) {
    document.body.dataset.diagrams = "failed: " + error;
  }
})();
</script>"""


def render_html(report: EvalReport, mermaid_js: str | None, mermaid_note: str) -> str:
    template = Template(resources.files("evals").joinpath("templates/report.html").read_text())
    scripts = ""
    if mermaid_js is not None:
        safe = mermaid_js.replace("</script", "<\\/script")  # cannot end the element early
        scripts = f"<script>{safe}</script>{_RENDER}"
    return template.substitute(
        title=escape(report.brain + (f" ({report.model})" if report.model else "")),
        headline=escape(headline(report)),
        comparison=_comparison(report),
        cases_table=_cases(report),
        checks_table=_checks(report),
        matrix=_matrix(report),
        rubric=_rubric(report),
        details="\n".join(_case_detail(case) for case in report.cases),
        diagram_state="pending" if mermaid_js else "unavailable",
        diagram_note=escape(mermaid_note),
        mermaid=scripts,
    )


def _table(header: list[str], rows: list[list[str]], css: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _td(text: object, css: str = "") -> str:
    return f'<td class="{css}">{escape(str(text))}</td>' if css else f"<td>{escape(str(text))}</td>"


def _verdict(passed: bool) -> str:
    return '<td class="pass">pass</td>' if passed else '<td class="fail">FAIL</td>'


def _cases(report: EvalReport) -> str:
    rows = []
    for case in report.cases:
        passed = sum(1 for c in case.checks if c.passed)
        failed = ", ".join(c.check for c in case.checks if not c.passed) or "-"
        link = f'<td><a href="#case-{escape(case.id)}">{escape(case.id)}</a></td>'
        rows.append(
            [link, _td(case.mode), _verdict(case.passed),
             _td(f"{passed}/{len(case.checks)}", "num"), _td(f"{case.seconds:.1f}", "num"),
             _td(case.tokens, "num"), _td(f"{case.cost_usd:.4f}", "num"), _td(failed)]
        )  # fmt: skip
    header = ["case", "mode", "result", "checks", "seconds", "tokens", "cost (USD)", "failed"]
    return _table(header, rows)


def _checks(report: EvalReport) -> str:
    rows = [
        [_td(name), _td(f"{p}/{n}", "num"), _td(f"{p / n:.0%}" if n else "-", "num")]
        for name, (p, n) in sorted(report.check_rates().items())
    ]
    return _table(["check", "passed", "rate"], rows)


def _matrix(report: EvalReport) -> str:
    names = sorted(report.check_rates())
    header = ["case", *(f'<span title="{escape(n)}">{escape(n)}</span>' for n in names)]
    rows = []
    for case in report.cases:
        results = _by_name(case.checks)
        cells = [_td(case.id)]
        for name in names:
            found = results.get(name)
            cells.append(
                "<td></td>" if found is None else
                '<td class="pass">&#10003;</td>' if found else '<td class="fail">&#10007;</td>'
            )  # fmt: skip
        rows.append(cells)
    head = "".join(
        f'<th class="check">{h}</th>' if i else f"<th>{h}</th>" for i, h in enumerate(header)
    )
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return f'<table class="matrix"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _by_name(checks: list[CheckResult]) -> dict[str, bool]:
    """Check name -> passed (all uses of a name must pass)."""
    found: dict[str, bool] = {}
    for check in checks:
        found[check.check] = found.get(check.check, True) and check.passed
    return found


def _comparison(report: EvalReport) -> str:
    comparison = report.comparison
    if comparison is None:
        return ""
    rows = [
        [_td(c.case), _td(c.check or "(the case)"), _td(c.change), _td(c.before or ""),
         _td(c.after or "")]
        for c in comparison.changes
    ]  # fmt: skip
    styled = [
        [cell.replace("<td>", f'<td class="{c.change}">', 1) for cell in row]
        for row, c in zip(rows, comparison.changes, strict=True)
    ]
    table = _table(["case", "check", "change", "before", "after"], styled) if rows else ""
    title = f"<h2>Compared with {escape(comparison.baseline)}</h2>"
    return f"{title}<p>{escape(comparison.summary())}</p>{table}"


def _rubric(report: EvalReport) -> str:
    if not report.rubric:
        return ""
    rows = [
        [_td(r.case), _td(r.section), _td(r.score, "num"), _td(r.reasons)] for r in report.rubric
    ]
    note = '<p class="note">Model-graded per report section; not part of the pass rate.</p>'
    return (
        "<h2>Rubric scores</h2>"
        + note
        + _table(["case", "section", "score (1-5)", "reasons"], rows)
    )


def _case_detail(case: CaseResult) -> str:
    parts = [f'<h3 id="case-{escape(case.id)}">{escape(case.id)}: {_word(case.passed)}</h3>']
    if case.description:
        parts.append(f"<p>{escape(case.description)}</p>")
    parts.append(
        f'<p class="note">mode {escape(case.mode)}, status {escape(case.status)}, '
        f"{case.seconds:.1f}s, {case.tokens} tokens, ${case.cost_usd:.4f}</p>"
    )
    if case.status != "done":
        parts.append(f"<p>{escape(case.error or case.message or 'no package')}</p>")
    failed = [c for c in case.checks if not c.passed]
    if failed and case.status == "done":
        rows = [[_td(c.check), _td(_expected(c)), _td(c.detail)] for c in failed]
        parts.append(_table(["failed check", "expected", "found"], rows))
    erd = case.package.erd if case.package is not None else None
    if erd and erd.strip():
        parts.append(
            f"<details open><summary>ERD</summary>"
            f'<pre class="mermaid">{escape(erd)}</pre></details>'
        )
    return "\n".join(parts)


def _word(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _expected(check: CheckResult) -> str:
    """The case's argument, or for a check without one what the check itself requires."""
    if check.expected is None:
        definition = CHECKS.get(check.check)
        return definition.doc if definition else ""
    return _compact(check.expected)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
