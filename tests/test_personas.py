"""Persona and stage-prompt files: they load, name real tools, render, export and list."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from conftest import REPO
from typer.testing import CliRunner

from agent.cli import exits
from agent.cli import personas as personas_cli
from agent.personas import default_library
from agent.personas.export import claude_code_markdown, claude_code_tool
from agent.personas.load import MissingPlaceholder, PersonaError, load_library
from tools.catalog import (
    SQL_TOOLS,
    ToolUnavailableError,
    UnknownToolError,
    all_tools,
    known_tool_names,
    toolset_for,
)
from tools.registry import ToolContext

SEEDS = REPO.parent / "shared" / "seeds"
SEED_GRAMS = Path(__file__).parent / "fixtures" / "seed_grams.txt"
STAGES = {
    "requirements", "technology", "schema", "indexes", "scaling", "adr",
    "optimize", "migrate", "scale", "compare",
}  # fmt: skip
LIB = default_library()


def test_five_personas_and_every_stage_load() -> None:
    assert len(LIB.personas) == 5  # one per seed persona
    if SEEDS.is_dir():
        assert len(list(SEEDS.glob("*.txt"))) == 5
    assert set(LIB.stages) == STAGES
    for stage in LIB.stages.values():
        assert stage.persona in LIB.personas
        assert stage.output[0].isupper()


@pytest.mark.parametrize("name", sorted(LIB.personas))
def test_persona_names_only_catalogue_tools(name: str) -> None:
    persona = LIB.persona(name)
    assert persona.model in ("sonnet", "opus", "haiku")
    assert set(persona.tools) <= known_tool_names()
    assert len(persona.tools) == len(set(persona.tools))
    for heading in re.findall(r"^## (.+)$", persona.body, flags=re.MULTILINE):
        assert heading.strip()
    assert len(persona.body.split()) > 400  # responsibilities, workflow, rules, output


def test_only_the_subagent_persona_may_write_or_run_commands() -> None:
    writers = {p.name for p in LIB.personas.values() if {"Write", "Bash"} & set(p.tools)}
    assert writers == {"schema-specialist"}


def test_architect_offers_the_seed_commands_mapped_to_stages() -> None:
    commands = {c.name: c.stages for c in LIB.persona("architect").commands}
    assert commands["model"] == [
        "requirements",
        "technology",
        "schema",
        "indexes",
        "scaling",
        "adr",
    ]
    for mode in ("optimize", "migrate", "scale", "compare"):
        assert commands[mode] == [mode]


@pytest.mark.parametrize("name", sorted(LIB.personas))
def test_persona_gets_exactly_its_tools(name: str, tmp_path: Path) -> None:
    persona = LIB.persona(name)
    missing = [t for t in persona.tools if t not in all_tools()]
    context = ToolContext(workspace=tmp_path)
    if missing:  # SQL providers land separately; until then the request fails loudly
        assert set(missing) <= set(SQL_TOOLS)
        with pytest.raises(ToolUnavailableError, match=missing[0]):
            persona.toolset(context)
    else:
        assert persona.toolset(context).names == persona.tools
    present = [t for t in persona.tools if t not in missing]
    assert toolset_for(present, context).names == present


def test_unknown_tool_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownToolError, match="Rm"):
        toolset_for(["Read", "Rm"], ToolContext(workspace=tmp_path))


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_renders_with_all_inputs(name: str) -> None:
    stage = LIB.stage(name)
    values = {key: f"<<{key} value>>" for key in stage.inputs}
    text = stage.render(values)
    for key in stage.inputs:
        assert f"<<{key} value>>" in text
    assert not re.search(r"\$[A-Za-z_{]", text)  # nothing left unfilled
    assert stage.output in text  # the body names the model it must return


def test_missing_placeholder_is_named() -> None:
    stage = LIB.stage("schema")
    with pytest.raises(MissingPlaceholder, match=r"\$findings") as info:
        stage.render({"spec": "s", "technology": "t", "draft": "d"})
    assert info.value.placeholder == "findings"


def _grams(text: str, n: int = 10) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _digest(gram: tuple[str, ...]) -> str:
    return hashlib.sha256(" ".join(gram).encode()).hexdigest()[:16]


def _seed_digests() -> set[str]:
    """Digests of the seeds' 10-word runs; the seeds themselves are not part of this repo."""
    if SEEDS.is_dir():
        return {_digest(g) for seed in SEEDS.glob("*.txt") for g in _grams(seed.read_text())}
    lines = SEED_GRAMS.read_text().splitlines()
    return {line for line in lines if line and not line.startswith("#")}


def test_the_stored_seed_digests_match_the_seeds_when_present() -> None:
    stored = {ln for ln in SEED_GRAMS.read_text().splitlines() if ln and not ln.startswith("#")}
    assert len(stored) > 1000
    if SEEDS.is_dir():
        assert stored == _seed_digests()


def test_prompts_are_written_in_the_projects_own_words() -> None:
    seeds = _seed_digests()
    assert seeds
    for path in sorted((REPO / "prompts").glob("*/*.md")):
        copied = [g for g in _grams(path.read_text()) if _digest(g) in seeds]
        assert not copied, f"{path.name} copies: {' '.join(copied[0])}"


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(text)


def _persona(name: str, tools: str = "[Read]", model: str = "sonnet") -> str:
    body = "A persona body that is long enough to pass validation. " * 5
    meta = f"name: {name}\ndescription: A test persona used by the suite.\ntools: {tools}\n"
    return f"---\n{meta}model: {model}\n---\n{body}\n"


def _stage(body: str, inputs: str = "{spec: the spec}") -> str:
    return f"---\nname: s\npersona: p\noutput: Out\ndescription: d\ninputs: {inputs}\n---\n{body}\n"


@pytest.mark.parametrize(
    ("persona", "stage", "message"),
    [
        (_persona("p", tools="[Read, Rm]"), None, "unknown tool"),
        (_persona("other"), None, "must match the file name"),
        (_persona("p", model="gpt"), None, "model"),
        ("no frontmatter here\n", None, "frontmatter"),
        (_persona("p"), _stage("Uses $spec and $extra."), "do not match declared inputs"),
        (_persona("p"), _stage("Costs $1 and $spec."), "invalid placeholder"),
        (_persona("p"), _stage("Uses $spec.").replace("persona: p", "persona: ghost"), "ghost"),
    ],
)
def test_broken_prompt_files_fail_on_load(
    tmp_path: Path, persona: str, stage: str | None, message: str
) -> None:
    _write(tmp_path / "personas", "p", persona)
    if stage is not None:
        _write(tmp_path / "stages", "s", stage)
    with pytest.raises(PersonaError, match=message):
        load_library(tmp_path)


@pytest.mark.parametrize("name", sorted(LIB.personas))
def test_claude_code_export_has_valid_frontmatter(name: str) -> None:
    persona = LIB.persona(name)
    text = claude_code_markdown(persona)
    match = re.match(r"\A---\n(.*?)\n---\n\n(.+)\Z", text, flags=re.DOTALL)
    assert match is not None
    meta = yaml.safe_load(match.group(1))
    assert list(meta) == ["name", "description", "tools", "model"]
    assert meta["name"] == name and re.fullmatch(r"[a-z][a-z0-9-]*", meta["name"])
    assert isinstance(meta["description"], str) and "\n" not in meta["description"]
    assert meta["model"] in ("sonnet", "opus", "haiku")
    tools = meta["tools"].split(", ")
    assert tools == [claude_code_tool(t) for t in persona.tools]
    for tool in tools:
        assert tool in ("Read", "Write", "Grep", "Glob", "Bash") or tool.startswith("mcp__dbarch__")
    assert persona.body.strip()[:200] in match.group(2)


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return typer_app_with_personas()


def test_cli_lists_and_shows(cli: typer.Typer) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["personas", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == sorted(LIB.personas)
    assert rows[1]["tools"] == LIB.persona(rows[1]["name"]).tools
    table = runner.invoke(cli, ["personas"])
    assert table.exit_code == 0 and "greenfield-architect" in table.stdout
    shown = runner.invoke(cli, ["personas", "show", "schema-specialist"])
    assert shown.exit_code == 0 and "# Schema specialist" in shown.stdout
    unknown = runner.invoke(cli, ["personas", "show", "nobody"])
    assert isinstance(unknown.exception, PersonaError) and exits.code_for(unknown.exception) == 2


def test_cli_export_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    """Through the real entry point, so the exit code is the one a user sees."""
    out = tmp_path / "agents"
    argv = [sys.executable, "-c", "from agent.cli import main; main()", "personas", "export"]
    argv += ["--format", "claude-code", str(out)]
    first = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    assert sorted(p.stem for p in out.glob("*.md")) == sorted(LIB.personas)
    again = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = CliRunner().invoke(
        typer_app_with_personas(), ["personas", "export", "--force", str(out)]
    )
    assert forced.exit_code == 0 and forced.stdout.count(".md") == 5


def typer_app_with_personas() -> typer.Typer:
    app = typer.Typer()
    personas_cli.register(app)
    return app
