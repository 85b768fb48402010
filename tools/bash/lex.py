"""Splitting a Bash tool command line into words, refusing every shell feature we do not run.

No shell ever sees the command: the words become an argv for `execve`. So the splitter
only has to agree with `sh` on quoting, and must refuse anything whose meaning in `sh`
would differ from a plain word: operators, expansions, substitutions, comments, tildes.
Unquoted glob characters are kept as a pattern the policy expands itself, inside the root.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.errors import CommandDenied

_OPERATORS = {
    ";": "command lists (;)",
    "&": "background jobs and && lists",
    "|": "pipes and || lists",
    "<": "input redirection",
    ">": "output redirection",
    "(": "subshells",
    ")": "subshells",
    "{": "brace groups and brace expansion",
    "}": "brace groups and brace expansion",
}
_GLOB_CHARS = "*?["


@dataclass(frozen=True)
class Word:
    """One argv word; `pattern` is set when it holds unquoted glob characters to expand."""

    text: str
    pattern: str | None = None


class _Builder:
    def __init__(self) -> None:
        self.words: list[Word] = []
        self.text: list[str] = []
        self.pattern: list[str] = []
        self.started = False
        self.globbing = False

    def add(self, ch: str, *, quoted: bool) -> None:
        self.started = True
        self.text.append(ch)
        if quoted and ch in _GLOB_CHARS:
            self.pattern.append(f"[{ch}]")  # a literal inside a pattern
        else:
            self.pattern.append(ch)
        if not quoted and ch in _GLOB_CHARS:
            self.globbing = True

    def end(self) -> None:
        if self.started:
            pattern = "".join(self.pattern) if self.globbing else None
            self.words.append(Word("".join(self.text), pattern))
        self.text, self.pattern, self.started, self.globbing = [], [], False, False


def _refuse_anywhere(line: str) -> None:
    for ch in line:
        if ch in "\n\r":
            raise CommandDenied("newlines are not allowed: run one command per call")
        if (ord(ch) < 32 and ch != "\t") or ord(ch) == 127:
            raise CommandDenied("control characters are not allowed in commands")
    if "`" in line or "$(" in line or "${" in line:
        raise CommandDenied("command and parameter substitution (`...`, $(...), ${...}) is refused")


def _single(line: str, i: int, out: _Builder) -> int:
    end = line.find("'", i + 1)
    if end == -1:
        raise CommandDenied("unterminated single quote")
    out.started = True
    for ch in line[i + 1 : end]:
        out.add(ch, quoted=True)
    return end + 1


def _double(line: str, i: int, out: _Builder) -> int:
    out.started = True
    i += 1
    while i < len(line):
        ch = line[i]
        if ch == '"':
            return i + 1
        if ch == "$":
            raise CommandDenied("'$' inside double quotes would expand; use single quotes")
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in '"\\$`':
            i += 1
            ch = line[i]
        out.add(ch, quoted=True)
        i += 1
    raise CommandDenied("unterminated double quote")


def _unquoted(ch: str, out: _Builder) -> None:
    if ch in _OPERATORS:
        raise CommandDenied(f"'{ch}' ({_OPERATORS[ch]}) is not supported: run one command")
    if ch == "$":
        raise CommandDenied("'$' expansion is not supported; write values literally")
    if not out.started and ch in "~#":
        what = "tilde expansion" if ch == "~" else "comments"
        raise CommandDenied(f"'{ch}' at the start of a word ({what}) is not supported")
    out.add(ch, quoted=False)


def split_command(line: str) -> list[Word]:
    """Words of one simple command, POSIX quoting rules; refusals name what was refused."""
    _refuse_anywhere(line)
    out = _Builder()
    i = 0
    while i < len(line):
        ch = line[i]
        if ch in " \t":
            out.end()
            i += 1
        elif ch == "'":
            i = _single(line, i, out)
        elif ch == '"':
            i = _double(line, i, out)
        elif ch == "\\":
            if i + 1 >= len(line):
                raise CommandDenied("trailing backslash")
            out.add(line[i + 1], quoted=True)
            i += 2
        else:
            _unquoted(ch, out)
            i += 1
    out.end()
    if not out.words:
        raise CommandDenied("empty command")
    return out.words
