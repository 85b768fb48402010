"""Loading persona and stage-prompt files (markdown with YAML frontmatter) into checked models.

Prompts live in `prompts/personas/*.md` and `prompts/stages/*.md`. Everything a file
promises is verified at load time: its name matches the file, its tools exist in the
catalogue, its stage names a persona that exists, and the placeholders its body uses are
exactly the inputs it declares, so a typo fails on load rather than mid-design.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.catalog import known_tool_names, toolset_for
from tools.errors import ArchitectError
from tools.registry import ToolContext, Toolset

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
ModelAlias = Literal["sonnet", "opus", "haiku"]
_NAME = r"^[a-z][a-z0-9-]*$"
_M = TypeVar("_M", bound=BaseModel)
_FRONTMATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


class PersonaError(ArchitectError):
    """A persona or stage-prompt file that does not load, or a prompt rendered wrongly."""


class MissingPlaceholder(PersonaError):
    """A stage prompt was rendered without a value its body needs."""

    def __init__(self, stage: str, placeholder: str) -> None:
        self.stage, self.placeholder = stage, placeholder
        super().__init__(f"stage prompt '{stage}' needs a value for ${placeholder}")


class Command(BaseModel):
    """A mode a persona offers (`architect --optimize`), and the stages it runs."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME)
    description: str
    stages: list[str] = Field(default_factory=list)


class Persona(BaseModel):
    """A persona file: who the model is (the body) and what it may call (the tools)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME)
    description: str = Field(min_length=20)
    tools: list[str] = Field(min_length=1)
    model: ModelAlias
    commands: list[Command] = Field(default_factory=list)
    body: str = Field(min_length=200)
    path: Path | None = None

    def toolset(self, context: ToolContext) -> Toolset:
        """Exactly the tools this persona's frontmatter names, bound to `context`."""
        return toolset_for(self.tools, context)


class StagePrompt(BaseModel):
    """A stage prompt: a `string.Template` body and the typed output it must produce."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME)
    persona: str
    output: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    description: str
    inputs: dict[str, str]
    body: str
    path: Path | None = None

    @property
    def placeholders(self) -> list[str]:
        return Template(self.body).get_identifiers()

    def render(self, values: Mapping[str, object]) -> str:
        """Fill every placeholder; a missing one is a `MissingPlaceholder` naming it."""
        for name in self.placeholders:
            if name not in values:
                raise MissingPlaceholder(self.name, name)
        return Template(self.body).substitute({k: str(v) for k, v in values.items()})


def split_frontmatter(path: Path) -> tuple[dict[str, Any], str]:
    """The YAML mapping between the leading `---` lines, and the markdown body after it."""
    text = path.read_text(encoding="utf-8")
    match = _FRONTMATTER.match(text)
    if match is None:
        raise PersonaError(f"{path}: must start with '---' YAML frontmatter '---'")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: frontmatter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise PersonaError(f"{path}: frontmatter must be a mapping")
    return meta, match.group(2).strip() + "\n"


def _validated(model: type[_M], path: Path, data: dict[str, Any]) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise PersonaError(f"{path}: {problems}") from None


def load_persona(path: Path) -> Persona:
    meta, body = split_frontmatter(path)
    persona = _validated(Persona, path, {**meta, "body": body, "path": path})
    if persona.name != path.stem:
        raise PersonaError(f"{path}: name '{persona.name}' must match the file name")
    unknown = [t for t in persona.tools if t not in known_tool_names()]
    if unknown:
        raise PersonaError(f"{path}: unknown tool(s) {', '.join(unknown)}")
    return persona


def load_stage(path: Path) -> StagePrompt:
    meta, body = split_frontmatter(path)
    stage = _validated(StagePrompt, path, {**meta, "body": body, "path": path})
    if stage.name != path.stem:
        raise PersonaError(f"{path}: name '{stage.name}' must match the file name")
    template = Template(stage.body)
    if not template.is_valid():
        raise PersonaError(f"{path}: invalid placeholder (write a literal dollar as $$)")
    used, declared = set(template.get_identifiers()), set(stage.inputs)
    if used != declared:
        raise PersonaError(
            f"{path}: placeholders {sorted(used)} do not match declared inputs {sorted(declared)}"
        )
    return stage


class PromptLibrary(BaseModel):
    """Every persona and stage prompt of one `prompts/` folder, cross-checked."""

    personas: dict[str, Persona]
    stages: dict[str, StagePrompt]

    def persona(self, name: str) -> Persona:
        if name not in self.personas:
            raise PersonaError(f"no persona '{name}'; known: {', '.join(sorted(self.personas))}")
        return self.personas[name]

    def stage(self, name: str) -> StagePrompt:
        if name not in self.stages:
            raise PersonaError(f"no stage prompt '{name}'; known: {', '.join(sorted(self.stages))}")
        return self.stages[name]

    def persona_for_stage(self, name: str) -> Persona:
        return self.persona(self.stage(name).persona)


@functools.cache
def default_library() -> PromptLibrary:
    """The repository's own prompts, loaded once per process."""
    return load_library(PROMPTS_DIR)


def load_library(prompts_dir: Path = PROMPTS_DIR) -> PromptLibrary:
    """Load and cross-check a prompts folder: stage personas and command stages must exist."""
    personas = {p.name: p for p in map(load_persona, sorted(prompts_dir.glob("personas/*.md")))}
    stages = {s.name: s for s in map(load_stage, sorted(prompts_dir.glob("stages/*.md")))}
    if not personas:
        raise PersonaError(f"{prompts_dir}/personas holds no persona files")
    for stage in stages.values():
        if stage.persona not in personas:
            raise PersonaError(f"{stage.path}: persona '{stage.persona}' does not exist")
    for persona in personas.values():
        for command in persona.commands:
            missing = [s for s in command.stages if s not in stages]
            if missing:
                raise PersonaError(
                    f"{persona.path}: command '{command.name}' names unknown stage(s) {missing}"
                )
    return PromptLibrary(personas=personas, stages=stages)
