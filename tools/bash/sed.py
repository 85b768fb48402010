"""A conservative reader of sed scripts: refuses the commands that execute, read or write files.

GNU sed's `e` command and `s///e` flag run shell commands, `w`/`W` and `s///w` write files,
`r`/`R` read arbitrary files. The tool also passes `--sandbox` (GNU sed then rejects those
itself), but the policy refuses first, with a clear message, and refuses any script it
cannot read rather than guess.
"""

from __future__ import annotations

from tools.errors import CommandDenied

_DANGEROUS = {
    "e": "executes commands",
    "w": "writes files",
    "W": "writes files",
    "r": "reads other files",
    "R": "reads other files",
}
_SIMPLE = set("pPdDnNgGhHxlLqQz=F")  # commands without arguments (l, q, Q: optional number)
_TEXT = set("aic")  # GNU one-liners: the rest of the script is text
_LABEL = set(":btT")
_S_FLAGS = set("gpiImM0123456789")


class _Reader:
    def __init__(self, script: str) -> None:
        self.s, self.i = script, 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_blanks(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def delimited(self) -> None:
        """Skip one `<d>...<d>` section whose delimiter is the current character."""
        delim = self.peek()
        if delim in ("", "\\", "\n"):
            raise CommandDenied("sed: unreadable delimiter")
        self.i += 1
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "\\":
                self.i += 2
                continue
            self.i += 1
            if ch == delim:
                return
        raise CommandDenied("sed: unterminated regular expression or replacement")


def _address(r: _Reader) -> None:
    ch = r.peek()
    if ch.isdigit():
        while r.peek().isdigit() or r.peek() == "~":
            r.i += 1
    elif ch == "$":
        r.i += 1
    elif ch in ("/", "\\"):
        if ch == "\\":
            r.i += 1
        r.delimited()
        while r.peek() in ("I", "M"):
            r.i += 1


def _addresses(r: _Reader) -> None:
    _address(r)
    r.skip_blanks()
    if r.peek() == ",":
        r.i += 1
        r.skip_blanks()
        if r.peek() in ("+", "~"):
            r.i += 1
        _address(r)
    r.skip_blanks()
    while r.peek() == "!":
        r.i += 1
        r.skip_blanks()


def _substitute(r: _Reader) -> None:
    r.delimited()
    r.i -= 1  # the closing delimiter of the regex opens the replacement
    r.delimited()
    while r.peek() and r.peek() not in ";} \t#":
        flag = r.peek()
        if flag in _DANGEROUS:
            raise CommandDenied(f"sed: the s///{flag} flag {_DANGEROUS[flag]}; refused")
        if flag not in _S_FLAGS:
            raise CommandDenied(f"sed: unknown s/// flag {flag!r}")
        r.i += 1


def _command(r: _Reader, depth: int) -> int:
    cmd = r.peek()
    r.i += 1
    if cmd in _DANGEROUS:
        raise CommandDenied(f"sed: the '{cmd}' command {_DANGEROUS[cmd]}; refused")
    if cmd == "{":
        return depth + 1
    if cmd == "}":
        if depth == 0:
            raise CommandDenied("sed: unmatched '}'")
        return depth - 1
    if cmd == "s":
        _substitute(r)
    elif cmd == "y":
        r.delimited()
        r.i -= 1
        r.delimited()
    elif cmd in _TEXT or cmd == "#":
        r.i = len(r.s)
    elif cmd in _LABEL:
        while r.peek() and r.peek() not in ";}":
            r.i += 1
    elif cmd in _SIMPLE:
        r.skip_blanks()
        while r.peek().isdigit():
            r.i += 1
    else:
        raise CommandDenied(f"sed: command {cmd!r} is not allowed by the policy")
    return depth


def check_sed_script(script: str) -> None:
    """Walk the whole script; any command outside the safe set raises `CommandDenied`."""
    r = _Reader(script)
    depth = 0
    while True:
        while r.peek() in (" ", "\t", ";"):
            r.i += 1
        if not r.peek():
            break
        _addresses(r)
        if not r.peek():
            raise CommandDenied("sed: address without a command")
        depth = _command(r, depth)
    if depth:
        raise CommandDenied("sed: unmatched '{'")
