"""The architect personas and stage prompts: files under `prompts/` loaded into checked
models (`load`), and exported as Claude Code subagent files (`export`).

May import `agent.package_folder` (to write the export) and `tools` (the tool catalogue a
persona names); the brains, the service, MCP and the CLI import it.
"""

from agent.personas.export import export_claude_code
from agent.personas.load import Persona, PromptLibrary, default_library

__all__ = ["Persona", "PromptLibrary", "default_library", "export_claude_code"]
