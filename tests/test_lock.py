"""The dependency locks: what is installed is what is locked, and the locks honour pyproject."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
LOCKS = REPO / "requirements"
PIN = re.compile(r"^(?P<req>[A-Za-z0-9][^\s\\]*==[^\s\\;]+(?:\s*;[^\\]*)?)")


def _pins(lock: Path) -> dict[str, tuple[str, Requirement]]:
    """name -> (version, requirement) for every pinned line of a lock, markers kept."""
    pins: dict[str, tuple[str, Requirement]] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            req = Requirement(match["req"].strip())
            version = next(iter(req.specifier)).version
            pins[canonicalize_name(req.name)] = (version, req)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r)
        for r in [*project["dependencies"], *project["optional-dependencies"]["test"]]
    ]


def test_every_locked_requirement_is_exact_and_hashed() -> None:
    for lock in ("runtime.lock", "test.lock"):
        blocks = re.split(r"\n(?=\S)", (LOCKS / lock).read_text())
        requirements = [b for b in blocks if not b.startswith("#")]
        assert len(requirements) > 50
        for block in requirements:
            head = block.splitlines()[0]
            assert PIN.match(head), f"{lock}: not pinned exactly: {head}"
            assert "--hash=sha256:" in block, f"{lock}: no hash for {head}"


def test_locks_honour_every_declared_range_and_security_floor() -> None:
    pins = _pins(LOCKS / "test.lock")
    for req in _declared():
        version, _ = pins[canonicalize_name(req.name)]
        assert req.specifier.contains(version, prereleases=True), f"{req} but locked {version}"
    floors = {str(r) for r in _declared()}
    assert "langgraph-checkpoint>=4.0" in floors  # deserialisation RCE fixed in 4.0
    assert "langgraph-checkpoint-sqlite>=3.0.1" in floors  # SQL injection in the filter


def test_runtime_lock_agrees_with_the_test_lock() -> None:
    test = _pins(LOCKS / "test.lock")
    for name, (version, _) in _pins(LOCKS / "runtime.lock").items():
        assert test[name][0] == version, f"{name}: runtime {version}, test {test[name][0]}"


def test_installed_versions_equal_the_lock() -> None:
    """CI and users install from the lock; a venv that drifted from it tests something else."""
    drift = []
    for name, (version, req) in _pins(LOCKS / "test.lock").items():
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            drift.append(f"{name}: locked {version}, installed {installed}")
    if drift:
        pytest.fail(
            "the environment is not the lock (install with the README's test command, or run "
            "`bash .ci/refresh-lock` to move the lock):\n" + "\n".join(drift)
        )


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"```bash\n(python3 -m venv \.venv .*)\n```", readme)
    assert len(commands) == 2, "the quick start holds exactly two set-up commands"
    main, test = commands
    assert "requirements/runtime.lock" in main and "requirements/test.lock" in test
    assert test in (REPO / ".ci" / "run").read_text()
