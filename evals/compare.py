"""Compare an eval run with an earlier one (`--compare BASELINE.json`): per case and check,
what improved and what regressed.

A check that passed in the baseline and fails now is a regression, and so is a case that
passed and fails now; the CLI exits 1 on any. Cases or checks only one side has are listed
as added or dropped, never counted as regressions: a case file edited between runs says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import InputError

Verdict = Literal["improved", "regressed", "added", "dropped"]


class CheckChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: str
    check: str | None = None  # None: the case as a whole
    change: Verdict
    before: str | None = None  # the baseline's detail
    after: str | None = None  # this run's detail


class Comparison(BaseModel):
    """This run against `baseline` (a results.json of an earlier run)."""

    model_config = ConfigDict(extra="forbid")

    baseline: str  # the file compared with
    baseline_brain: str
    baseline_pass_rate: float
    pass_rate: float
    changes: list[CheckChange] = Field(default_factory=list)

    def of(self, change: Verdict) -> list[CheckChange]:
        return [c for c in self.changes if c.change == change]

    @property
    def regressed(self) -> bool:
        return bool(self.of("regressed"))

    def summary(self) -> str:
        """`+3.4 points against baseline.json: 2 improved, 1 regressed, 0 added, 0 dropped`."""
        counts = ", ".join(f"{len(self.of(v))} {v}" for v in _VERDICTS)
        points = (self.pass_rate - self.baseline_pass_rate) * 100
        return f"{points:+.1f} points against {self.baseline}: {counts}"


_VERDICTS: tuple[Verdict, ...] = ("improved", "regressed", "added", "dropped")


class ResultCheck(BaseModel):
    check: str
    passed: bool
    detail: str = ""


class ResultCase(BaseModel):
    id: str
    passed: bool
    checks: list[ResultCheck] = Field(default_factory=list)


class ResultsFile(BaseModel):
    """The part of a results.json a comparison reads (older files may carry more keys)."""

    pass_rate: float
    brain: str = "rules"
    cases: list[ResultCase]


def load_results(path: Path) -> ResultsFile:
    try:
        return ResultsFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"cannot read baseline {path}: {exc}") from exc
    except (ValueError, ValidationError) as exc:
        raise InputError(f"{path} is not an eval results.json: {exc}") from exc


def compare_with(report: BaseModel, path: Path) -> Comparison:
    """`report` (an EvalReport) against the results.json at `path`."""
    current = ResultsFile.model_validate(report.model_dump())
    return compare(current, load_results(path), path.name)


def compare(current: ResultsFile, baseline: ResultsFile, name: str) -> Comparison:
    """Per case, then per check of cases both runs have (matched by check name and order)."""
    before = {case.id: case for case in baseline.cases}
    changes: list[CheckChange] = []
    for case in current.cases:
        old = before.pop(case.id, None)
        if old is None:
            changes.append(CheckChange(case=case.id, change="added"))
            continue
        if case.passed != old.passed:
            verdict: Verdict = "improved" if case.passed else "regressed"
            changes.append(CheckChange(case=case.id, change=verdict))
        changes += _check_changes(case, old)
    changes += [CheckChange(case=case_id, change="dropped") for case_id in before]
    return Comparison(
        baseline=name,
        baseline_brain=baseline.brain,
        baseline_pass_rate=baseline.pass_rate,
        pass_rate=current.pass_rate,
        changes=changes,
    )


def _check_changes(case: ResultCase, old: ResultCase) -> list[CheckChange]:
    found: list[CheckChange] = []
    earlier = _keyed(old.checks)
    for key, check in _keyed(case.checks).items():
        was = earlier.pop(key, None)
        if was is None:
            found.append(CheckChange(case=case.id, check=check.check, change="added"))
        elif was.passed != check.passed:
            verdict: Verdict = "improved" if check.passed else "regressed"
            found.append(
                CheckChange(
                    case=case.id,
                    check=check.check,
                    change=verdict,
                    before=was.detail,
                    after=check.detail,
                )
            )
    found += [CheckChange(case=case.id, check=c.check, change="dropped") for c in earlier.values()]
    return found


def _keyed(checks: list[ResultCheck]) -> dict[tuple[str, int], ResultCheck]:
    """(name, n-th use of that name): a case may expect the same check twice."""
    seen: dict[str, int] = {}
    keyed = {}
    for check in checks:
        seen[check.check] = seen.get(check.check, 0) + 1
        keyed[(check.check, seen[check.check])] = check
    return keyed


def render_comparison_text(comparison: Comparison) -> list[str]:
    lines = [f"compared: {comparison.summary()}"]
    for change in comparison.changes:
        where = f"{change.case}" + (f" {change.check}" if change.check else "")
        detail = f": {change.after}" if change.change == "regressed" and change.after else ""
        lines.append(f"    {change.change.upper():<9} {where}{detail}")
    return lines
