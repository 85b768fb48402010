"""Read spec YAML/JSON keeping where every key and value sits, so errors can name line and column.

PyYAML's composer gives nodes with marks; we build plain Python data from them ourselves and
record, per key path, the mark of the key and of the value. Validation errors (pydantic `loc`)
and semantic problems (a path into the data) are then mapped back to file positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from tools.errors import SourceLocation, SpecError

Path = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Positions (1-based) of keys and values, by path into the loaded data."""

    file: str | None = None
    text: str = ""
    values: dict[Path, yaml.Node] = field(default_factory=dict)
    keys: dict[Path, yaml.Node] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> SourceLocation:
        """The position of `path`, or of its nearest ancestor we know."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            node = (self.keys if key and end == len(path) else self.values).get(prefix)
            if node is None and end == len(path):
                node = self.values.get(prefix) or self.keys.get(prefix)
            if node is not None:
                mark = node.start_mark
                return SourceLocation(self.file, mark.line + 1, mark.column + 1)
        return SourceLocation(self.file, None, None)

    def alias(self, old: Path, new: Path) -> None:
        """Make positions under `old` also answer for `new` (data reshaped before validation)."""
        for table in (self.values, self.keys):
            for path in [p for p in table if p[: len(old)] == old]:
                table[(*new, *path[len(old) :])] = table[path]

    def locate_in_scalar(self, path: Path, offset: int) -> SourceLocation:
        """Position of character `offset` inside the scalar at `path` (SQL errors, types)."""
        node = self.values.get(path)
        if not isinstance(node, yaml.ScalarNode):
            return self.locate(path)
        start = node.start_mark
        if node.style in ("|", ">"):
            return self._in_block(node, offset)
        raw = self.text[start.index : node.end_mark.index]
        if "\n" in raw:
            return SourceLocation(self.file, start.line + 1, start.column + 1)
        quote = 1 if node.style in ("'", '"') else 0
        return SourceLocation(self.file, start.line + 1, start.column + 1 + quote + offset)

    def _in_block(self, node: yaml.ScalarNode, offset: int) -> SourceLocation:
        """Block scalars keep one source line per content line (folding turns \\n into ' ')."""
        start, end = node.start_mark, node.end_mark
        lines = self.text[start.index : end.index].split("\n")[1:]
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            return SourceLocation(self.file, start.line + 1, start.column + 1)
        indent = min(len(line) - len(line.lstrip(" ")) for line in lines if line.strip())
        remaining = offset
        for number, line in enumerate(lines):
            content = line[indent:]
            if remaining <= len(content):
                return SourceLocation(self.file, start.line + 2 + number, indent + remaining + 1)
            remaining -= len(content) + 1
        last = len(lines) - 1  # past the end ("syntax error at end of input"): its last char
        return SourceLocation(self.file, start.line + 2 + last, len(lines[last]) + 1)


def load_yaml(text: str, file: str | None = None) -> tuple[Any, SourceMap]:
    """Parse YAML (JSON is YAML too) into plain data and its source map."""
    source = SourceMap(file=file, text=text)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else None
        problem = f"not valid YAML/JSON: {exc.problem or exc}"
        raise SpecError(
            f"{where or file or '<input>'}: {problem}",
            [problem_dict((), where or SourceLocation(file), problem)],
        ) from exc
    except RecursionError as exc:  # PyYAML composes nested collections by recursion
        raise _too_deep(file) from exc
    if root is None:
        raise SpecError(f"{file or '<input>'}: the spec is empty")
    try:
        return _build(root, (), source), source
    except RecursionError as exc:
        raise _too_deep(file) from exc


def _too_deep(file: str | None) -> SpecError:
    problem = "not a spec: collections nested hundreds of levels deep"
    where = SourceLocation(file)
    return SpecError(f"{file or '<input>'}: {problem}", [problem_dict((), where, problem)])


def _build(node: yaml.Node, path: Path, source: SourceMap) -> Any:
    source.values[path] = node
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, path, source)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), source) for i, item in enumerate(node.value)]
    return _scalar(node)


def _build_mapping(node: yaml.MappingNode, path: Path, source: SourceMap) -> dict[Any, Any]:
    data: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node)
        if isinstance(key, bool | int | float) or key is None:
            key = str(key_node.value)  # `on: x`, `1: y`: keys are names in a spec
        child = (*path, key)
        if key in data:
            mark = key_node.start_mark
            where = SourceLocation(source.file, mark.line + 1, mark.column + 1)
            message = f"duplicate key {key!r}"
            raise SpecError(
                f"{where}: {dotted(child)}: {message}", [problem_dict(child, where, message)]
            )
        source.keys[child] = key_node
        data[key] = _build(value_node, child, source)
    return data


def _scalar(node: yaml.Node) -> Any:
    """A scalar resolved the way `yaml.safe_load` would (ints, bools, dates, strings)."""
    if not isinstance(node, yaml.ScalarNode):
        mark = node.start_mark
        raise SpecError(f"line {mark.line + 1}: a mapping key must be a plain name")
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def dotted(path: Path) -> str:
    """`("entities", 1, "attributes", "title")` -> `entities[1].attributes.title`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


def problem_dict(path: Path, where: SourceLocation, message: str) -> dict[str, Any]:
    """One entry of `SpecError.problems`: key path, file, line, column, message."""
    return {
        "path": dotted(path),
        "file": where.file,
        "line": where.line,
        "column": where.column,
        "message": message,
    }
