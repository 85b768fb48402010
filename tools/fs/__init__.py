"""File tools confined to a workspace root: Read, Write, Grep and Glob."""

from __future__ import annotations

from tools.fs.glob import GLOB
from tools.fs.grep import GREP
from tools.fs.read import READ
from tools.fs.write import WRITE
from tools.registry import Tool

TOOLS: list[Tool] = [READ, WRITE, GREP, GLOB]
