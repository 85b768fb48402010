"""The Bash tool's policy: argv allow-list with per-option denies, failing closed.

`plan_command` turns a command line into a `Plan` (argv plus the operands that name files)
or raises `CommandDenied`. It knows nothing about the file system; `confine` checks
the file operands against the workspace before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.bash.git import parse_git
from tools.bash.sed import check_sed_script
from tools.bash.specs import EXECS, FOLLOWS, PROGRAMS, READS_LIST, WRITES, Spec, option_words
from tools.errors import CommandDenied


@dataclass(frozen=True)
class PathArg:
    """An operand that names a file; `recursive` when the program reads the tree under it."""

    text: str
    recursive: bool = False
    content: bool = True  # the program reads the file's bytes, not only its metadata


@dataclass
class Plan:
    argv: list[str]
    paths: list[PathArg] = field(default_factory=list)
    git: bool = False

    @property
    def program(self) -> str:
        return self.argv[0]


@dataclass
class _Seen:
    """What the option scan found that decides how operands are read."""

    pattern_given: bool = False
    recursive: bool = False
    scripts: list[str] = field(default_factory=list)
    path_values: list[str] = field(default_factory=list)


_PATTERN_OPTIONS = {"-e", "--regexp", "-f", "--file"}
_SCRIPT_OPTIONS = {"-e", "--expression"}


def _record(spec: Spec, seen: _Seen, option: str, value: str | None, is_path: bool) -> None:
    seen.pattern_given |= option in _PATTERN_OPTIONS
    seen.recursive |= option in spec.recursive
    if value is not None and option in _SCRIPT_OPTIONS and spec.operands == "script+paths":
        seen.scripts.append(value)
    if value is not None and is_path:
        seen.path_values.append(value)


def _long(prog: str, spec: Spec, arg: str, rest: list[str], seen: _Seen) -> int:
    name, eq, value = arg[2:].partition("=")
    option = "--" + name
    if option in spec.denied:
        raise CommandDenied(f"{prog} {option}: {spec.denied[option]}; refused")
    if name in spec.long_flags:
        if eq:
            raise CommandDenied(f"{prog} {option} takes no value")
        _record(spec, seen, option, None, False)
        return 0
    if name not in spec.long_values and name not in spec.long_paths:
        raise CommandDenied(
            f"{prog}: option {option} is not on the allow-list (long options must be "
            "spelled in full)"
        )
    used = 0
    if not eq:
        if not rest:
            raise CommandDenied(f"{prog} {option}: missing value")
        value, used = rest[0], 1
    _record(spec, seen, option, value, name in spec.long_paths)
    return used


def _short(prog: str, spec: Spec, arg: str, rest: list[str], seen: _Seen) -> int:
    cluster = arg[1:]
    if spec.numeric and cluster.isdigit():
        return 0
    for j, ch in enumerate(cluster):
        option = "-" + ch
        if option in spec.denied:
            raise CommandDenied(f"{prog} {option}: {spec.denied[option]}; refused")
        if ch in spec.flags:
            _record(spec, seen, option, None, False)
            continue
        if ch not in spec.values and ch not in spec.paths:
            raise CommandDenied(f"{prog}: option {option} is not on the allow-list")
        attached = cluster[j + 1 :]
        if not attached and not rest:
            raise CommandDenied(f"{prog} {option}: missing value")
        _record(spec, seen, option, attached or rest[0], ch in spec.paths)
        return 0 if attached else 1
    return 0


def _generic(prog: str, spec: Spec, args: list[str]) -> Plan:
    seen, operands = _Seen(), []
    i, options_done = 0, False
    while i < len(args):
        arg = args[i]
        i += 1
        if options_done or arg == "-" or not arg.startswith("-"):
            operands.append(arg)
        elif arg == "--":
            options_done = True
        elif arg.startswith("--"):
            i += _long(prog, spec, arg, args[i:], seen)
        else:
            i += _short(prog, spec, arg, args[i:], seen)
    return Plan([prog, *spec.prefix, *args], _operand_paths(prog, spec, operands, seen))


def _operand_paths(prog: str, spec: Spec, operands: list[str], seen: _Seen) -> list[PathArg]:
    if spec.operands == "text":
        return []
    if spec.operands == "pattern+paths" and not seen.pattern_given and operands:
        operands = operands[1:]
    if spec.operands == "script+paths":
        if not seen.scripts and operands:
            seen.scripts.append(operands[0])
            operands = operands[1:]
        for script in seen.scripts:
            check_sed_script(script)
    if spec.max_operands is not None and len(operands) > spec.max_operands:
        raise CommandDenied(f"{prog}: at most {spec.max_operands} file operand(s) allowed")
    recursive = spec.always_recursive or seen.recursive
    if recursive and not operands:
        operands = ["."]
    files = [PathArg(p, recursive, spec.reads_content) for p in operands if p != "-"]
    return files + [PathArg(p) for p in seen.path_values]


_FIND_DENIED = {
    "-exec": EXECS, "-execdir": EXECS, "-ok": EXECS, "-okdir": EXECS,
    "-delete": "deletes files", "-fprint": WRITES, "-fprint0": WRITES, "-fprintf": WRITES,
    "-fls": WRITES, "-follow": FOLLOWS, "-L": FOLLOWS, "-H": FOLLOWS,
    "-files0-from": READS_LIST,
}  # fmt: skip
_FIND_NO_ARG = option_words(
    "! ( ) , -not -a -and -o -or -true -false -empty -print -print0 -prune -quit -ls "
    "-readable -writable -executable -depth -xdev -mount -daystart -noleaf -nouser "
    "-nogroup"
)
_FIND_ONE_ARG = option_words(
    "-name -iname -path -ipath -wholename -iwholename -regex -iregex -regextype -type "
    "-xtype -size -mtime -mmin -atime -amin -ctime -cmin -maxdepth -mindepth -printf -perm "
    "-links -inum -user -group -uid -gid -newermt -lname -ilname"
)
_FIND_PATH_ARG = frozenset({"-newer", "-anewer", "-cnewer", "-samefile"})


def _find(args: list[str]) -> Plan:
    """`find [-P] [paths...] [expression]`: only listed tests and actions; no exec, no writes."""
    i = 1 if args[:1] == ["-P"] else 0
    starts: list[str] = []
    while i < len(args) and not (args[i].startswith("-") or args[i] in ("!", "(", ")", ",")):
        starts.append(args[i])
        i += 1
    extra: list[str] = []
    while i < len(args):
        token = args[i]
        i += 1
        if token in _FIND_DENIED:
            raise CommandDenied(f"find {token}: {_FIND_DENIED[token]}; refused")
        if token in _FIND_NO_ARG:
            continue
        if token not in _FIND_ONE_ARG and token not in _FIND_PATH_ARG:
            raise CommandDenied(f"find: {token} is not on the allow-list")
        if i >= len(args):
            raise CommandDenied(f"find {token}: missing argument")
        if token in _FIND_PATH_ARG:
            extra.append(args[i])
        i += 1
    listed = [PathArg(p, content=False) for p in starts or ["."]]
    return Plan(["find", *args], listed + [PathArg(p, content=False) for p in extra])


def plan_command(argv: list[str]) -> Plan:
    """Check an argv (after glob expansion) against the allow-list."""
    prog, args = argv[0], argv[1:]
    if "/" in prog:
        raise CommandDenied(f"{prog}: run programs by name; paths to executables are refused")
    if prog == "find":
        return _find(args)
    if prog == "git":
        git_argv, operands = parse_git(args)
        return Plan(git_argv, [PathArg(p) for p in operands], git=True)
    spec = PROGRAMS.get(prog)
    if spec is None:
        allowed = ", ".join(sorted([*PROGRAMS, "find", "git"]))
        raise CommandDenied(f"{prog}: not an allowed program; allowed: {allowed}")
    return _generic(prog, spec, args)
