"""Eval report renderings (text, JSON, Markdown) and the baseline side by side."""

from __future__ import annotations

import json

from evals.registry import CheckResult
from evals.report import render
from evals.results import CaseResult, EvalReport


def _report(brain: str = "anthropic", second_passes: bool = False) -> EvalReport:
    cases = [
        CaseResult(
            id="saas-tasks",
            passed=True,
            seconds=12.25,
            tokens=48_000,
            cost_usd=0.31,
            checks=[
                CheckResult(check="ddl_applies", passed=True, detail="61 statements applied"),
                CheckResult(check="adrs_min", passed=True, detail="6 ADRs"),
            ],
        ),
        CaseResult(
            id="iot-telemetry",
            passed=second_passes,
            seconds=20.5,
            tokens=52_000,
            cost_usd=0.4,
            checks=[
                CheckResult(check="ddl_applies", passed=True, detail="40 statements applied"),
                CheckResult(
                    check="partitioned",
                    passed=second_passes,
                    detail="readings by RANGE (recorded_at)"
                    if second_passes
                    else "readings is not partitioned",
                ),
            ],
        ),
        CaseResult(
            id="ledger",
            passed=False,
            seconds=1.5,
            status="error",
            error="ModelError: the API failed | twice",
            checks=[CheckResult(check="ddl_applies", passed=False, detail="the run crashed")],
        ),
    ]
    return EvalReport.summarise(brain=brain, model="sonnet", jobs=2, seconds=34.25, cases=cases)


def test_summary_counts_and_totals() -> None:
    report = _report()
    assert (report.passed, report.total, report.pass_rate) == (1, 3, 0.3333)
    assert report.tokens == 100_000 and report.cost_usd == 0.71
    assert report.check_rates() == {
        "ddl_applies": (2, 3),
        "adrs_min": (1, 1),
        "partitioned": (0, 1),
    }


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render(_report(), "json"))
    assert data["pass_rate"] == 0.3333
    case = data["cases"][1]
    assert {"id", "passed", "seconds", "tokens", "cost_usd", "checks"} <= set(case)
    assert case["id"] == "iot-telemetry" and case["passed"] is False
    assert case["checks"][1] == {
        "check": "partitioned",
        "passed": False,
        "detail": "readings is not partitioned",
        "expected": None,  # what the case asked for (here: built without an argument)
    }
    assert data["cases"][2]["error"] == "ModelError: the API failed | twice"
    assert "package" not in case


def test_text_shows_each_check_with_the_failing_detail() -> None:
    text = render(_report(), "text")
    lines = text.splitlines()
    assert lines[0].startswith("1/3 cases passed (33.3%) with the anthropic brain (sonnet)")
    assert "100000 tokens, $0.7100" in lines[0]
    assert "FAIL iot-telemetry  20.5s  52000 tokens  $0.4000  [done]" in text
    assert "    FAIL partitioned: readings is not partitioned" in lines
    assert "    ok   ddl_applies: 61 statements applied" in lines
    assert "    run error: ModelError: the API failed | twice" in lines
    assert "    not graded: ddl_applies" in lines
    assert "checks: adrs_min 1/1, ddl_applies 2/3, partitioned 0/1" in lines


def test_baseline_side_by_side() -> None:
    report = _report().with_baseline(_report(brain="rules", second_passes=True))
    assert report.baseline is not None and report.baseline.pass_rate == 0.6667
    assert report.baseline.cases[2].failed_checks == ["ddl_applies"]
    text = render(report, "text")
    assert "FAIL iot-telemetry  20.5s  52000 tokens  $0.4000  [done]  baseline pass" in text
    assert "baseline (rules brain): 66.7% pass rate against 33.3% (-33.3 points)" in text
    data = json.loads(render(report, "json"))
    assert data["baseline"]["cases"][1] == {
        "id": "iot-telemetry",
        "passed": True,
        "failed_checks": [],
    }
    md = render(report, "md")
    assert "| iot-telemetry | **FAIL** | pass | 20.5 | 52000 | 0.4000 | `partitioned` |" in md


def test_markdown_lists_failures_with_escaped_details() -> None:
    md = render(_report(), "md")
    assert md.startswith("# Eval report\n")
    assert "| saas-tasks | pass | 12.2 | 48000 | 0.3100 | - |" in md
    assert "| `ddl_applies` | 2/3 |" in md
    assert "### iot-telemetry\n\n- `partitioned`: readings is not partitioned" in md
    assert "- run error: ModelError: the API failed \\| twice\n- not graded: `ddl_applies`" in md
    assert "### saas-tasks" not in md
