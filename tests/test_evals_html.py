"""report.html opened in a real headless browser (Debian's chromium): every ERD is drawn by
the inlined Mermaid library with no network, and the comparison with a baseline shows."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXTURES

from evals.report.mermaid import mermaid_script

pytestmark = pytest.mark.timeout(600)

CASES = FIXTURES / "evals" / "cases"
DBARCH = Path(sys.executable).parent / "dbarch"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "this test needs Debian's chromium (apt-get install -y chromium; .ci/run does)"
    return found


def _dom(browser: str, page: Path, tmp: Path) -> str:
    """The page's DOM once its scripts have run (virtual time lets the async render finish)."""
    done = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}",
         "--virtual-time-budget=30000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Diagrams(HTMLParser):
    """Per `<pre class="mermaid">`: how many svg elements ended up inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[int] = []
        self.depth = 0
        self.state = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "body":
            self.state = values.get("data-diagrams") or ""
        if tag == "pre" and "mermaid" in (values.get("class") or "").split():
            self.svgs.append(0)
            self.depth = 1
        elif self.depth:
            self.depth += tag != "br"
            if tag == "svg":
                self.svgs[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag != "br":
            self.depth -= 1


def _baseline(tmp: Path) -> Path:
    """An earlier run in which tiny-wrong's `tables` passed and tiny-notes failed `mentions`."""
    cases = [
        {"id": "tiny-notes", "passed": False,
         "checks": [{"check": "ddl_applies", "passed": True}, {"check": "mentions", "passed": False,
                     "detail": "the report does not mention: PostgreSQL"}]},
        {"id": "tiny-wrong", "passed": False,
         "checks": [{"check": "ddl_applies", "passed": True}, {"check": "tables", "passed": True}]},
        {"id": "tiny-gone", "passed": True, "checks": []},
    ]  # fmt: skip
    path = tmp / "baseline.json"
    path.write_text(json.dumps({"pass_rate": 0.3333, "brain": "rules", "cases": cases}))
    return path


def test_report_html_draws_every_erd_offline_and_shows_the_comparison(
    chromium: str, tmp_path: Path
) -> None:
    script, source = mermaid_script()  # from the npm package, installed into the cache once
    assert script is not None, source
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    done = subprocess.run(
        [str(DBARCH), "eval", str(CASES / "tiny-notes.yaml"), str(CASES / "tiny-wrong.yaml"),
         "--out", str(out), "--compare", str(_baseline(tmp_path)), "--min-pass", "0"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**env, "DBARCH_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # tiny-wrong's `tables` regressed
    assert "REGRESSED tiny-wrong tables: missing table(s): ghosts" in done.stdout
    assert "IMPROVED  tiny-notes mentions" in done.stdout
    assert "DROPPED   tiny-gone" in done.stdout
    assert {p.name for p in out.iterdir()} >= {"results.json", "report.md", "report.html"}
    page = out / "report.html"
    html = page.read_text()
    assert "<script src" not in html and "https://" not in html.split("<script>", 1)[0]
    dom = _dom(chromium, page, tmp_path)
    diagrams = _Diagrams()
    diagrams.feed(dom)
    assert diagrams.state == "rendered"
    assert len(diagrams.svgs) == 2  # one ERD per case that produced a schema
    assert all(count >= 1 for count in diagrams.svgs), diagrams.svgs
    shown = re.sub(r"<script>.*?</script>", "", dom, flags=re.DOTALL)  # the page, not the library
    assert "Syntax error" not in shown
    assert "Compared with baseline.json" in shown and 'class="regressed">tiny-wrong' in shown
    assert "missing table(s): ghosts" in shown  # found, beside the expected argument
    assert "[&quot;notebooks&quot;, &quot;ghosts&quot;]" in html
    results = json.loads((out / "results.json").read_text())
    assert results["comparison"]["baseline"] == "baseline.json"
    tables = next(c for c in results["cases"][1]["checks"] if c["check"] == "tables")
    assert tables["expected"] == ["notebooks", "ghosts"]
