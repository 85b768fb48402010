"""Read-only git for the Bash tool: a few subcommands, listed options, and a vetted repository.

Git runs commands named in configuration (`core.fsmonitor`, `core.pager`, diff drivers'
`textconv`, `filter.*.clean`, `gpg.program` via `log.showSignature`...), so a repository's
own `.git/config` is an attack surface. We refuse global options (`-c`, `-C`, `--git-dir`,
`--exec-path`), ignore system and global config, force inert values for every fixed-name
program key, keep diff drivers out with `--no-ext-diff`/`--no-textconv`, and run git only
when every key of the repository's config is on a short allow-list. That config is read by
git itself (`git config --list`): its comment, quoting and continuation rules are not ours
to re-implement, and a reader that disagrees with git hides live keys from the check.
"""

from __future__ import annotations

import fnmatch

from tools.bash.specs import option_words
from tools.errors import CommandDenied

SUBCOMMANDS = ("log", "show", "diff", "status", "ls-files", "blame")

_HISTORY_FLAGS = option_words(
    "-p -u -s -w -b -M -i -E -F --patch --no-patch --shortstat --numstat --name-only "
    "--name-status --summary --raw --oneline --graph --all --reverse --first-parent --merges "
    "--no-merges --abbrev-commit --no-abbrev --no-color --cached --staged --ignore-all-space "
    "--ignore-space-change --ignore-blank-lines --minimal --patience --histogram --full-diff "
    "--follow --date-order --topo-order --no-renames --find-renames --left-right --cherry-pick "
    "--regexp-ignore-case --all-match --invert-grep --fixed-strings --extended-regexp "
    "--no-walk --compact-summary --exit-code --quiet --check --no-ext-diff --no-textconv"
)
_HISTORY_VALUES = option_words(
    "-n -S -G -U --max-count --skip --since --after --until --before --author --committer "
    "--grep --format --pretty --date --diff-filter --unified"
)
_OPTIONAL_VALUE = option_words(
    "--stat --color --decorate --abbrev --word-diff --relative --dirstat --porcelain "
    "--untracked-files"
)
_PER_SUB_FLAGS = {
    "status": option_words("-s -b -z --short --branch --long --no-renames --ignored"),
    "ls-files": option_words(
        "-c -d -m -o -s -z --cached --deleted --modified --others --stage --full-name "
        "--exclude-standard"
    ),
    "blame": option_words("-w -M -e -s -l -t -f -n --porcelain --line-porcelain --root"),
}
_PER_SUB_VALUES = {"blame": frozenset({"-L", "--date"})}

DENIED = {
    "--output": "writes files",
    "--ext-diff": "runs an external diff program",
    "--textconv": "runs textconv filters",
    "--no-index": "compares files outside the repository",
    "--show-signature": "runs gpg",
    "--upload-pack": "runs programs",
    "--exec": "runs programs",
    "--contents": "reads another file",
    "--ignore-revs-file": "reads another file",
    "--stdin": "reads standard input",
    "--exclude-from": "reads another file",
    "-O": "opens a pager",
    "--open-files-in-pager": "opens a pager",
}
# Forced before the subcommand (command-line config outranks the repository's), one entry
# for every fixed-name key that names a program or a file git would read; system and global
# config are switched off through the env (`sandbox.git_env`). Keys with a free
# subsection (`diff.<driver>.textconv`, `filter.<name>.clean`) cannot be overridden here:
# the allow-list below keeps them out of the repository's config, and the diff switches
# below keep them out of the commands.
OVERRIDES = (
    "--no-pager",
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "core.sshCommand=false",
    "-c", "core.askPass=false",
    "-c", "core.editor=false",
    "-c", "core.attributesFile=/dev/null",
    "-c", "core.excludesFile=/dev/null",
    "-c", "credential.helper=",
    "-c", "gpg.program=false",
    "-c", "gpg.openpgp.program=false",
    "-c", "gpg.x509.program=false",
    "-c", "gpg.ssh.program=false",
    "-c", "log.showSignature=false",
    "-c", "mailmap.file=/dev/null",
    "-c", "mailmap.blob=",
    "-c", "blame.ignoreRevsFile=",
    "-c", "protocol.allow=never",
)  # fmt: skip
# Subcommands that accept the diff-machinery switches that keep external programs out;
# blame runs a driver's textconv too unless told not to.
_NO_EXTERNAL_DIFF = ("--no-ext-diff", "--no-textconv")
_NO_EXTERNAL = {
    "log": _NO_EXTERNAL_DIFF,
    "show": _NO_EXTERNAL_DIFF,
    "diff": _NO_EXTERNAL_DIFF,
    "blame": ("--no-textconv",),
}
# Lists the keys git itself reads from this repository, scope first, NUL-separated; fails
# outside a repository, so the check fails closed. Includes are not followed, so an
# `include.path` shows up as a key (and is refused).
CONFIG_LISTING = (
    "config", "--local", "--list", "--null", "--name-only", "--show-scope", "--no-includes"
)  # fmt: skip

SAFE_CONFIG_KEYS = (
    "core.repositoryformatversion", "core.filemode", "core.bare", "core.logallrefupdates",
    "core.ignorecase", "core.precomposeunicode", "core.symlinks", "core.autocrlf", "core.eol",
    "remote.*.url", "remote.*.fetch", "remote.*.pushurl", "remote.*.tagopt",
    "branch.*.remote", "branch.*.merge", "branch.*.rebase", "user.name", "user.email",
    "init.defaultbranch", "extensions.objectformat", "gc.auto", "pull.rebase", "push.default",
    "fetch.prune",
)  # fmt: skip


def _allowed(sub: str) -> tuple[frozenset[str], frozenset[str]]:
    if sub in ("log", "show", "diff"):
        return _HISTORY_FLAGS, _HISTORY_VALUES
    return _PER_SUB_FLAGS.get(sub, frozenset()), _PER_SUB_VALUES.get(sub, frozenset())


def parse_git(args: list[str]) -> tuple[list[str], list[str]]:
    """Check `git <args>`; returns the argv to run and the operands to confine as paths.

    Operands before `--` may be revisions or paths; both are checked as paths (a revision
    such as `HEAD~2..main` passes that check), so nothing names a file outside the root.
    """
    if not args or args[0].startswith("-"):
        raise CommandDenied(
            "git global options (-c, -C, --git-dir, --work-tree, --exec-path...) are refused; "
            f"start with a subcommand: {', '.join(SUBCOMMANDS)}"
        )
    sub, rest = args[0], args[1:]
    if sub not in SUBCOMMANDS:
        raise CommandDenied(f"git {sub}: only {', '.join(SUBCOMMANDS)} are allowed (read-only)")
    flags, values = _allowed(sub)
    operands: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        i += 1
        if arg == "--":
            operands.extend(rest[i:])
            break
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        i += _check_option(sub, arg, rest[i] if i < len(rest) else None, flags, values)
    argv = ["git", *OVERRIDES, sub, *_NO_EXTERNAL.get(sub, ()), *rest]
    return argv, operands


def _check_option(
    sub: str, arg: str, following: str | None, flags: frozenset[str], values: frozenset[str]
) -> int:
    """Vet one option; returns how many following words it consumed as its value."""
    name, eq, _ = arg.partition("=")
    for denied, reason in DENIED.items():
        if name == denied or (len(denied) == 2 and arg.startswith(denied)):
            raise CommandDenied(f"git {sub} {denied}: {reason}; refused")
    if name in _OPTIONAL_VALUE or (name in flags and not eq):
        return 0
    if name in values:
        return 0 if eq else _value(sub, name, following)
    short, attached = arg[:2], arg[2:]
    if short in values and attached and not arg.startswith("--"):
        return 0  # -n5, -Sneedle, -U3
    if short in ("-U", "-M") and attached.isdigit():
        return 0
    raise CommandDenied(f"git {sub}: option {arg} is not on the allow-list")


def _value(sub: str, name: str, following: str | None) -> int:
    if following is None:
        raise CommandDenied(f"git {sub} {name}: missing value")
    return 1


def config_listing_argv(git: str) -> list[str]:
    """`git config --list` under exactly the overrides the vetted command will run with."""
    return [git, *OVERRIDES, *CONFIG_LISTING]


def listed_repo_keys(listing: str) -> list[str]:
    """Key names from `CONFIG_LISTING` output, minus the ones our own `-c` overrides set."""
    fields = listing.split("\0")[:-1]  # every field ends with a NUL
    if len(fields) % 2:
        raise CommandDenied("git refused: unexpected `git config --list` output")
    pairs = zip(fields[0::2], fields[1::2], strict=True)
    return [key for scope, key in pairs if scope != "command"]


def check_config_keys(names: list[str]) -> None:
    """Refuse a repository whose config sets anything beyond plain, inert keys."""
    for name in names:
        key = name.strip().lower()
        if key and not any(fnmatch.fnmatchcase(key, pat) for pat in SAFE_CONFIG_KEYS):
            raise CommandDenied(
                f"git refused: the repository's config sets '{key}', which is not on the "
                "allow-list of inert keys (config can make git run programs)"
            )
