"""The Bash tool's allow-list: which programs, which of their options, and what each operand is.

Fail closed: an option not listed here is refused, long options must be spelled out in full
(GNU getopt accepts unambiguous prefixes, which would let `--pre` hide behind `--pr`), and
every operand that names a file is confined to the workspace like the file tools' paths.
`find` and `git` have grammars of their own and are checked in `policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Operands = Literal["paths", "pattern+paths", "script+paths", "text"]

WRITES = "writes files"
EXECS = "runs other programs"
FOLLOWS = "follows symlinks out of the workspace"
HANGS = "waits forever"
READS_LIST = "reads a list of file names the policy cannot check"


@dataclass(frozen=True)
class Spec:
    """One allowed program: its short/long options by kind, and how to read its operands."""

    flags: str = ""
    values: str = ""
    paths: str = ""
    long_flags: frozenset[str] = frozenset()
    long_values: frozenset[str] = frozenset()
    long_paths: frozenset[str] = frozenset()
    denied: Mapping[str, str] = field(default_factory=dict)
    operands: Operands = "paths"
    max_operands: int | None = None
    numeric: bool = False  # accepts -NUM, as in `head -5`
    recursive: frozenset[str] = frozenset()  # options that make it read whole folders
    always_recursive: bool = False
    prefix: tuple[str, ...] = ()  # forced options placed right after the program name
    reads_content: bool = True  # False: only metadata (ls, stat, du), so hard links are moot


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


def option_words(text: str) -> frozenset[str]:
    """A set of option names written as one space-separated string (easier to scan)."""
    return frozenset(text.split())


GREP = Spec(
    flags="iyvwxcLloqsnhHbrEFGPIzTUa",
    values="emABC",
    paths="f",
    long_flags=_f(
        "ignore-case", "no-ignore-case", "invert-match", "word-regexp", "line-regexp",
        "count", "files-with-matches", "files-without-match", "only-matching", "quiet",
        "silent", "no-messages", "line-number", "no-filename", "with-filename",
        "byte-offset", "recursive", "extended-regexp", "fixed-strings", "basic-regexp",
        "perl-regexp", "text", "null", "null-data", "initial-tab",
    ),
    long_values=_f(
        "regexp", "max-count", "after-context", "before-context", "context", "include",
        "exclude", "exclude-dir", "color", "colour", "binary-files", "label",
    ),
    long_paths=_f("file", "exclude-from"),
    denied={
        "-R": FOLLOWS, "--dereference-recursive": FOLLOWS, "-d": "may recurse or read devices",
        "--directories": "may recurse", "-D": "reads devices", "--devices": "reads devices",
    },
    operands="pattern+paths",
    numeric=True,
    recursive=_f("-r", "--recursive"),
    prefix=("--devices=skip",),  # a FIFO met while recursing would block
)  # fmt: skip

RG = Spec(
    flags="iSswxclnNHIvFUPo0",
    values="egtTmABCMrj",
    paths="f",
    long_flags=_f(
        "ignore-case", "smart-case", "case-sensitive", "word-regexp", "line-regexp", "count",
        "files-with-matches", "files-without-match", "line-number", "no-line-number",
        "with-filename", "no-filename", "fixed-strings", "invert-match", "hidden",
        "no-ignore", "json", "vimgrep", "only-matching", "files", "multiline", "pcre2",
        "no-heading", "heading", "column", "stats", "count-matches", "null",
    ),
    long_values=_f(
        "regexp", "glob", "iglob", "type", "type-not", "max-count", "after-context",
        "before-context", "context", "max-columns", "replace", "sort", "sortr", "max-depth",
        "max-filesize", "color", "threads",
    ),
    long_paths=_f("file", "ignore-file"),
    denied={
        "--pre": EXECS, "--pre-glob": EXECS, "-z": EXECS, "--search-zip": EXECS,
        "--hostname-bin": EXECS, "-L": FOLLOWS, "--follow": FOLLOWS,
    },
    operands="pattern+paths",
    always_recursive=True,
)  # fmt: skip

SED = Spec(
    flags="nrEsuz",
    values="el",
    long_flags=_f(
        "quiet", "silent", "regexp-extended", "separate", "unbuffered", "null-data",
        "posix", "debug", "sandbox",
    ),
    long_values=_f("expression", "line-length"),
    denied={
        "-i": WRITES, "--in-place": WRITES, "-f": READS_LIST, "--file": READS_LIST,
        "--follow-symlinks": FOLLOWS,
    },
    operands="script+paths",
    prefix=("--sandbox",),
)  # fmt: skip

LS = Spec(
    flags="aAlhRrtS1dFisGgonpXvUcuQ",
    values="Iw",
    long_flags=_f(
        "all", "almost-all", "human-readable", "recursive", "reverse", "classify",
        "full-time", "group-directories-first", "directory", "inode", "size", "numeric-uid-gid",
    ),
    long_values=_f(
        "sort", "time-style", "color", "format", "ignore", "hide", "block-size", "width"
    ),
    denied={"-L": FOLLOWS, "--dereference": FOLLOWS},
    reads_content=False,
)  # fmt: skip

CAT = Spec(
    flags="AbeEnstTuv", long_flags=_f("number", "number-nonblank", "show-all", "squeeze-blank")
)
HEAD = Spec(
    flags="qvz",
    values="nc",
    long_flags=_f("quiet", "silent", "verbose", "zero-terminated"),
    long_values=_f("lines", "bytes"),
    numeric=True,
)
TAIL = Spec(
    flags="qvz",
    values="nc",
    long_flags=_f("quiet", "silent", "verbose", "zero-terminated"),
    long_values=_f("lines", "bytes"),
    denied={"-f": HANGS, "-F": HANGS, "--follow": HANGS, "--retry": HANGS, "--pid": HANGS},
    numeric=True,
)
WC = Spec(
    flags="cmlLw",
    long_flags=_f("bytes", "chars", "lines", "max-line-length", "words"),
    denied={"--files0-from": READS_LIST},
)
SORT = Spec(
    flags="bdfgiMhnRrVusczS",
    values="kt",
    long_flags=_f(
        "ignore-leading-blanks", "dictionary-order", "ignore-case", "general-numeric-sort",
        "month-sort", "human-numeric-sort", "numeric-sort", "reverse", "version-sort",
        "unique", "stable", "check", "zero-terminated",
    ),
    long_values=_f("key", "field-separator"),
    denied={
        "-o": WRITES, "--output": WRITES, "-T": WRITES, "--temporary-directory": WRITES,
        "--compress-program": EXECS, "--files0-from": READS_LIST, "--random-source": FOLLOWS,
    },
)  # fmt: skip
UNIQ = Spec(
    flags="cdDuiz",
    values="fsw",
    long_flags=_f("count", "repeated", "unique", "ignore-case", "zero-terminated"),
    long_values=_f("skip-fields", "skip-chars", "check-chars"),
    max_operands=1,  # a second operand is an output file
)
CUT = Spec(
    flags="snz",
    values="bcfd",
    long_flags=_f("only-delimited", "complement", "zero-terminated"),
    long_values=_f("bytes", "characters", "fields", "delimiter", "output-delimiter"),
)
DIFF = Spec(
    flags="uqiwbBNyrsca",
    values="U",
    long_flags=_f(
        "brief", "ignore-case", "ignore-all-space", "ignore-space-change", "ignore-blank-lines",
        "new-file", "side-by-side", "recursive", "report-identical-files", "text", "unified",
    ),
    long_values=_f("label", "color"),
    long_paths=_f("from-file", "to-file"),
    denied={"--diff-program": EXECS, "-x": READS_LIST, "-X": READS_LIST},
    max_operands=2,
    recursive=_f("-r", "--recursive"),
    prefix=("--no-dereference",),  # GNU diff follows symlinks met while recursing otherwise
)  # fmt: skip
STAT = Spec(
    flags="tf",
    values="c",
    long_flags=_f("terse", "file-system"),
    long_values=_f("format", "printf"),
)
DU = Spec(
    flags="ahsckmbx",
    values="d",
    long_flags=_f("all", "human-readable", "summarize", "total", "apparent-size", "bytes"),
    long_values=_f("max-depth"),
    denied={"-L": FOLLOWS, "--dereference": FOLLOWS, "--files0-from": READS_LIST},
    reads_content=False,
)
NL = Spec(values="bdfhilnsvw", long_values=_f("body-numbering", "number-width", "number-format"))
SUMS = Spec(
    flags="btz",
    long_flags=_f("binary", "text", "tag", "zero"),
    denied={"-c": READS_LIST, "--check": READS_LIST},
)
ECHO = Spec(flags="neE", operands="text")
PWD = Spec(flags="LP", max_operands=0)

PROGRAMS: Mapping[str, Spec] = {
    "ls": LS, "cat": CAT, "head": HEAD, "tail": TAIL, "wc": WC, "grep": GREP, "rg": RG,
    "sed": SED, "sort": SORT, "uniq": UNIQ, "cut": CUT, "diff": DIFF, "stat": STAT, "du": DU,
    "nl": NL, "sha256sum": SUMS, "md5sum": SUMS, "echo": ECHO, "pwd": PWD,
}  # fmt: skip
SPECIAL_PROGRAMS = ("find", "git")
