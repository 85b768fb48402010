"""The `Bash` tool: one allow-listed, read-only command in the workspace, off unless
enabled (`tool`, a provider of `TOOLS` for the catalogue). A command line is split into words
refusing every shell feature we do not run (`lex`), checked against the allow-list
(`specs`, `policy`, with read-only `git` and a conservative reader of `sed` scripts),
confined to the workspace (`confine`), and run without network in a scrubbed environment
with a deadline and capped output (`sandbox`).

May import `tools.errors`, `tools.registry` and `tools.fs` (the path guards); like all of
`tools`, nothing from `agent` or `evals`.
"""

from tools.bash.tool import TOOLS

__all__ = ["TOOLS"]
