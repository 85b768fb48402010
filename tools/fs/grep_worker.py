"""Runs one regex over texts handed in on stdin; a separate process so a runaway regex is killable.

Python's `re` backtracks, and a pattern like `(a+)+$` can take exponential time; a thread
cannot be interrupted mid-match, a process can. Standard library only: it runs as a script.
"""

from __future__ import annotations

import json
import re
import sys


def main() -> None:
    job = json.load(sys.stdin)
    regex = re.compile(job["pattern"], re.IGNORECASE if job["ignore_case"] else 0)
    limit, width = job["max_matches"], job["max_line_chars"]
    matches: list[list[object]] = []
    total = 0
    for path, text in job["files"]:
        for number, line in enumerate(text.splitlines(), start=1):
            if regex.search(line):
                total += 1
                if len(matches) < limit:
                    matches.append([path, number, line[:width]])
    json.dump({"matches": matches, "total": total}, sys.stdout)


if __name__ == "__main__":
    main()
