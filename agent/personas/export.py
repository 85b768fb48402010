"""Export personas as Claude Code subagent files (`.claude/agents/<name>.md`).

Claude Code reads YAML frontmatter with `name`, `description`, `tools` (one
comma-separated string) and `model`. Its users have Read, Write, Grep, Glob and Bash
built in; our SQL tools reach them through the `dbarch` MCP server, so they are exported
under Claude Code's MCP naming, `mcp__dbarch__<tool>`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from agent.package_folder import check_out_dir
from agent.personas.load import Persona, PersonaError
from tools.errors import InputError

CLAUDE_CODE_BUILTINS = frozenset({"Read", "Write", "Grep", "Glob", "Bash"})
MCP_SERVER = "dbarch"


def claude_code_tool(name: str) -> str:
    return name if name in CLAUDE_CODE_BUILTINS else f"mcp__{MCP_SERVER}__{name}"


def _commands_section(persona: Persona) -> str:
    if not persona.commands:
        return ""
    lines = ["", "## Modes", "", "Start a request with one of these words to pick a mode:", ""]
    lines += [f"- `{c.name}` - {c.description}" for c in persona.commands]
    return "\n".join(lines) + "\n"


def _mcp_note(persona: Persona) -> str:
    if all(t in CLAUDE_CODE_BUILTINS for t in persona.tools):
        return ""
    return (
        "\n## Tools from the dbarch MCP server\n\n"
        "The `mcp__dbarch__*` tools come from this project's MCP server; register it once "
        "with `claude mcp add dbarch -- dbarch mcp`.\n"
    )


def claude_code_markdown(persona: Persona) -> str:
    """The subagent file's full text: frontmatter, then the persona body."""
    meta = {
        "name": persona.name,
        "description": " ".join(persona.description.split()),
        "tools": ", ".join(claude_code_tool(t) for t in persona.tools),
        "model": persona.model,
    }
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    body = persona.body.rstrip() + "\n" + _commands_section(persona) + _mcp_note(persona)
    return f"---\n{front}---\n\n{body}"


def export_claude_code(personas: list[Persona], out_dir: Path, *, force: bool) -> list[Path]:
    """Write `<name>.md` per persona; refuses to overwrite an existing file unless `force`."""
    targets = [out_dir / f"{p.name}.md" for p in personas]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        shown = ", ".join(str(t) for t in existing)
        raise PersonaError(f"refusing to overwrite {shown} (use --force)")
    check_out_dir(out_dir, force=True)  # a file, or a folder we may not write: say so now
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for persona, target in zip(personas, targets, strict=True):
            target.write_text(claude_code_markdown(persona), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the persona files: {exc}") from exc
    return targets
