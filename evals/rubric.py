"""The optional rubric grader: a model scores each report section against evals/rubric.yaml.

It runs only when a model is configured, and its scores are reported apart from the pass
rate: a check is a measurement anyone can repeat, a rubric score is a model's opinion.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

import yaml
from pydantic import BaseModel, ConfigDict, Field

from agent.brains.anthropic.stage_call import UsageMeter
from agent.config import Settings
from agent.llm.budget import Budget
from agent.llm.events import EventSink
from agent.llm.loop import LoopOptions, run_tool_loop
from agent.llm.messages import ChatModel
from agent.llm.usage import Usage
from agent.package import DesignPackage
from agent.report import render_report
from evals.results import RubricScore

RUBRIC = Path(__file__).resolve().parent / "rubric.yaml"
_HEADING = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)


class RubricVerdict(BaseModel):
    """The grader's answer for one section."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, description="1 poor .. 5 what a senior architect would write")
    reasons: str = Field(description="Two or three sentences: what earned or cost points.")


def load_rubric(path: Path = RUBRIC) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(section): [str(c) for c in criteria] for section, criteria in data.items()}


def sections(report: str) -> dict[str, str]:
    """`## Heading` -> the text up to the next `## ` heading."""
    found: dict[str, str] = {}
    matches = list(_HEADING.finditer(report))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(report)
        found[match["title"].strip()] = report[match.end() : end].strip()
    return found


def _template(name: str) -> str:
    return resources.files("evals").joinpath(f"templates/{name}").read_text(encoding="utf-8")


async def grade_report(
    case: str,
    report: str,
    model: ChatModel,
    rubric: dict[str, list[str]],
    on_event: EventSink | None = None,
    max_tokens: int = 1024,
) -> list[RubricScore]:
    """One scored section per rubric heading the report has, in rubric order."""
    system, user = _template("rubric_system.md"), Template(_template("rubric_user.md"))
    found = sections(report)
    scores: list[RubricScore] = []
    for heading, criteria in rubric.items():
        text = found.get(heading)
        if not text:
            continue
        prompt = user.substitute(
            case=case, section=heading, criteria="\n".join(f"- {c}" for c in criteria), text=text
        )
        options = LoopOptions(max_tokens=max_tokens, output=RubricVerdict, force_output=True)
        messages = [{"role": "user", "content": prompt}]
        result = await run_tool_loop(
            model, system, messages, None, Budget(max_turns=4), on_event, options
        )
        assert isinstance(result.output, RubricVerdict)  # the loop raises when none came
        scores.append(RubricScore(case=case, section=heading, **result.output.model_dump()))
    return scores


async def rubric_for(
    case: str, package: DesignPackage, settings: Settings, chat: ChatModel | None = None
) -> tuple[list[RubricScore], Usage]:
    """The package's report graded through `chat` (a batching run's model) or a client of
    its own; what the grading cost comes back with the scores."""
    meter = UsageMeter()
    report = render_report(package)
    if chat is not None:
        scores = await grade_report(case, report, chat, load_rubric(), meter)
        return scores, meter.total
    from agent.llm.client import ClientConfig, ModelClient  # the SDK import takes seconds

    async with ModelClient(ClientConfig.from_settings(settings)) as client:
        scores = await grade_report(case, report, client, load_rubric(), meter)
    return scores, meter.total
