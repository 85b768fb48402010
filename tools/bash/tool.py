"""The `Bash` tool: one allow-listed, read-only command in the workspace, off unless enabled.

Despite the name no shell runs: the command line is split into words (`lex`), checked
against the allow-list (`policy`), its file operands confined (`confine`), and the
argv executed without network, with a scrubbed environment, a timeout and an output cap
(`sandbox`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tools.bash.confine import confine_plan, expand_words
from tools.bash.git import check_config_keys, config_listing_argv, listed_repo_keys
from tools.bash.lex import split_command
from tools.bash.policy import plan_command
from tools.bash.sandbox import RunOutput, base_env, find_program, git_env, isolation, run_argv
from tools.errors import CommandDenied, ToolError
from tools.registry import Tool, ToolContext

MAX_OUTPUT_BYTES = 30_000
MAX_COMMAND_CHARS = 4_000


class BashInput(BaseModel):
    """One command, no shell features: no pipes, redirections, ;, &&, $(...), or variables."""

    model_config = ConfigDict(extra="forbid")

    command: str = Field(
        description=(
            "A single command such as `grep -rn 'CREATE TABLE' db/` or `git log --oneline -n 5`."
        ),
        max_length=MAX_COMMAND_CHARS,
    )
    timeout_s: float | None = Field(
        default=None, gt=0, description="Seconds before the command is killed (capped)."
    )


class BashResult(BaseModel):
    exit_code: int | None = Field(description="None when the command was killed.")
    stdout: str
    stderr: str
    truncated: bool = Field(description="Output passed the cap; the command was stopped.")
    timed_out: bool
    isolation: str = Field(description="'unshare-net': ran without network access.")
    seconds: float


def run_bash(args: BashInput, ctx: ToolContext) -> BashResult:
    if not ctx.bash_enabled:
        raise ToolError(
            "the Bash tool is disabled here (enable it with DBARCH_ENABLE_BASH=1, or `dbarch chat "
            "--bash`)"
        )
    root = Path(ctx.workspace).resolve(strict=True)
    plan = plan_command(expand_words(ctx, split_command(args.command)))
    confine_plan(ctx, plan)
    program = find_program(plan.program)
    sandbox = isolation(ctx.bash_allow_unsandboxed)
    env = base_env(root) | (git_env(root) if plan.git else {})
    timeout = min(args.timeout_s or ctx.bash_timeout_s, ctx.bash_timeout_s)

    def run(argv: list[str]) -> RunOutput:
        return run_argv(
            [*sandbox.prefix, *argv], cwd=root, env=env, timeout_s=timeout,
            max_bytes=MAX_OUTPUT_BYTES,
        )  # fmt: skip

    if plan.git:
        _vet_git_config(run, program)
    done = run([program, *plan.argv[1:]])
    return BashResult(
        exit_code=done.exit_code,
        stdout=done.stdout,
        stderr=done.stderr,
        truncated=done.truncated,
        timed_out=done.timed_out,
        isolation=sandbox.name,
        seconds=done.seconds,
    )


def _vet_git_config(run: Callable[[list[str]], RunOutput], git: str) -> None:
    """Ask git which keys it reads for this repository, in the environment it will run in."""
    listed = run(config_listing_argv(git))
    if listed.exit_code != 0 or listed.truncated:
        reason = listed.stderr.strip() or "no listing"
        raise CommandDenied(f"git refused: git could not list the repository's config: {reason}")
    check_config_keys(listed_repo_keys(listed.stdout))


BASH = Tool(
    name="Bash",
    description=(
        "Run ONE read-only command in the workspace, without a shell and without network: "
        "ls, cat, head, tail, wc, grep, rg, find, sed (no -i, no w/e/r), sort, uniq, cut, "
        "diff, stat, du, nl, sha256sum, md5sum, echo, pwd, and git log/show/diff/status/"
        "ls-files/blame. No pipes, redirections, ;, &&, $(...), backticks or variables; "
        "unquoted globs are expanded inside the workspace. Paths must stay inside the "
        "workspace. Output is capped and the command is killed at its timeout."
    ),
    input_model=BashInput,
    func=run_bash,
)

TOOLS: list[Tool] = [BASH]
