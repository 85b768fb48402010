"""The eval report model: per-case results, totals, and the rules-brain baseline beside them.

Its JSON form is the contract DESIGN.md fixes (`pass_rate`, `cases[].id/passed/seconds/
tokens/cost_usd/checks[].check/passed/detail`); the extra keys are for people and CI.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.package import DesignPackage, Mode
from evals.compare import Comparison
from evals.registry import CheckResult

__all__ = [
    "BaselineCase",
    "BaselineReport",
    "BatchSummary",
    "CaseResult",
    "CheckResult",
    "EvalReport",
    "RubricScore",
]

Status = Literal["done", "failed", "interrupted", "error"]


class RubricScore(BaseModel):
    """A model's score of one report section against its rubric (reported apart: it is an
    opinion, the pass rate is a measurement)."""

    model_config = ConfigDict(extra="forbid")

    case: str
    section: str
    score: int = Field(ge=1, le=5)
    reasons: str = ""


class CaseResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    passed: bool
    seconds: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0
    checks: list[CheckResult] = Field(default_factory=list)
    file: str | None = None
    description: str | None = None
    mode: Mode = "design"
    status: Status = "done"
    message: str | None = None  # why the run did not finish (failed gate, questions)
    error: str | None = None  # what the run raised, when it crashed
    thread_id: str | None = None
    package: DesignPackage | None = Field(default=None, exclude=True)  # written by --out
    rubric: list[RubricScore] = Field(default_factory=list, exclude=True)  # EvalReport.rubric


class BaselineCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    passed: bool
    failed_checks: list[str] = Field(default_factory=list)


class BaselineReport(BaseModel):
    """The rules brain's result on the same cases: what a model brain has to beat."""

    model_config = ConfigDict(extra="forbid")

    brain: str
    pass_rate: float
    cases: list[BaselineCase]


class BatchSummary(BaseModel):
    """How a `--batch` run reached the model: the Message Batches API, at half price."""

    model_config = ConfigDict(extra="forbid")

    journal: str  # where the batch ids were kept (moved aside once the run finished)
    resumed_from: int = 0  # batches a killed earlier process had created
    batches: list[str] = Field(default_factory=list)  # created by this process
    waves: int = 0
    sent: int = 0
    reused: int = 0  # calls answered from the earlier process's batches
    resent: int = 0
    price_factor: float = 0.5


class EvalReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pass_rate: float
    cases: list[CaseResult]
    brain: str = "rules"
    model: str | None = None
    jobs: int = 1
    passed: int = 0
    total: int = 0
    seconds: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0
    baseline: BaselineReport | None = None
    comparison: Comparison | None = None  # against an earlier results.json (--compare)
    batch: BatchSummary | None = None  # --batch: the Message Batches API was used
    rubric: list[RubricScore] = Field(default_factory=list)  # model-graded, apart from pass_rate

    @classmethod
    def summarise(
        cls, brain: str, model: str | None, jobs: int, seconds: float, cases: list[CaseResult]
    ) -> EvalReport:
        passed = sum(1 for case in cases if case.passed)
        return cls(
            pass_rate=round(passed / len(cases), 4) if cases else 0.0,
            cases=cases,
            brain=brain,
            model=model,
            jobs=jobs,
            passed=passed,
            total=len(cases),
            seconds=round(seconds, 3),
            tokens=sum(case.tokens for case in cases),
            cost_usd=round(sum(case.cost_usd for case in cases), 6),
            rubric=[score for case in cases for score in case.rubric],
        )

    def with_baseline(self, baseline: EvalReport) -> EvalReport:
        """This report with `baseline`'s per-case verdicts attached for side-by-side display."""
        summary = BaselineReport(
            brain=baseline.brain,
            pass_rate=baseline.pass_rate,
            cases=[
                BaselineCase(
                    id=case.id,
                    passed=case.passed,
                    failed_checks=[c.check for c in case.checks if not c.passed],
                )
                for case in baseline.cases
            ],
        )
        return self.model_copy(update={"baseline": summary})

    def check_rates(self) -> dict[str, tuple[int, int]]:
        """Check name -> (passed, run) over all cases: which graders the brain struggles with."""
        rates: dict[str, tuple[int, int]] = {}
        for case in self.cases:
            for result in case.checks:
                passed, run = rates.get(result.check, (0, 0))
                rates[result.check] = (passed + int(result.passed), run + 1)
        return rates
