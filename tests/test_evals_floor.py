"""A rule of the rules brain deliberately broken is caught twice: `--compare` against the
last good results.json names the regressed case and check, and the pass-rate floor kept in
evals/floor.json fails the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_evals_cli import dbarch_here

from agent.brains.rules.schema import stage as rules_schema
from agent.brains.rules.schema.plan import SchemaPlan
from agent.cli import exits
from agent.spec import Requirements
from evals.cases import SUITE
from evals.floor import FLOOR, read_floor

pytestmark = pytest.mark.timeout(600)

CASES = [str(SUITE / "cms-revisions.yaml"), str(SUITE / "contact-form.yaml")]


def _no_append_only_guard(spec: Requirements, plan: SchemaPlan) -> list[str]:
    return []  # the broken rule: append-only entities no longer refuse UPDATE and DELETE


def test_the_floor_file_is_what_ci_holds_the_rules_brain_to() -> None:
    floor = read_floor(FLOOR)
    assert floor.brain == "rules" and 0.9 <= floor.min_pass_rate <= 1.0


def test_a_broken_rule_is_caught_by_compare_and_by_the_floor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DBARCH_HOME", str(tmp_path / "home"))
    good = tmp_path / "good"
    code, _, err = dbarch_here(
        monkeypatch, capsys, *CASES, "--floor", str(FLOOR), "--out", str(good)
    )
    assert code == exits.OK, err
    assert json.loads((good / "results.json").read_text())["pass_rate"] == 1.0

    monkeypatch.setattr(rules_schema, "apply_append_only", _no_append_only_guard)
    baseline = str(good / "results.json")
    code, out, err = dbarch_here(
        monkeypatch,
        capsys,
        *CASES,
        "--compare",
        baseline,
        "--floor",
        str(FLOOR),
        "--format",
        "json",
    )
    assert code == exits.FINDINGS
    report = json.loads(out)
    regressed = [
        (c["case"], c["check"])
        for c in report["comparison"]["changes"]
        if c["change"] == "regressed"
    ]
    assert regressed == [("cms-revisions", None), ("cms-revisions", "app_append_only")]
    assert report["pass_rate"] == 0.5
    assert f"pass rate 50.0% is below {read_floor(FLOOR).min_pass_rate:.1%}" in err
    assert "2 regression(s) against results.json" in err
