"""The container: a Dockerfile (small, non-root, embedded PostgreSQL inside, installed from
the runtime lock) and a compose file with a PostgreSQL for DBARCH_STATE_URL and two replicas.

No Docker engine runs on the CI machine (`docker` is only a client there, without the
compose plugin), so both files are checked statically: compose.yaml against the Compose
Specification's own JSON Schema plus its references, the Dockerfile instruction by
instruction. Where an engine answers, the image is also built and run.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import FIXTURES, REPO

from agent.service.guards import OPEN_PATHS

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
SCHEMA = yaml.safe_load((FIXTURES / "compose" / "compose-spec.json").read_text())
IGNORED = [
    line.strip()
    for line in (REPO / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        pending += " " + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            keyword, _, rest = pending.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
            pending = ""
    return found


STEPS = instructions(REPO / "Dockerfile")


def _final_stage() -> list[tuple[str, str]]:
    last_from = max(i for i, (keyword, _) in enumerate(STEPS) if keyword == "FROM")
    return STEPS[last_from:]


def _ignored(path: str) -> bool:
    return any(fnmatch.fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in IGNORED)


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(COMPOSE)
    broken = {**COMPOSE, "services": {"api": {"replicas": "two"}}}
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))  # the schema bites


def test_compose_references_resolve() -> None:
    services = COMPOSE["services"]
    api, state = services["api"], services["state"]
    assert (REPO / api["build"]["context"] / api["build"]["dockerfile"]).is_file()
    assert set(api["depends_on"]) <= set(services)
    assert api["depends_on"]["state"]["condition"] == "service_healthy" and state["healthcheck"]
    url = api["environment"]["DBARCH_STATE_URL"]
    match = re.fullmatch(r"postgresql://(\w+):(\w+)@(\w+):5432/(\w+)", url)
    assert match and match[3] == "state" and state["image"].startswith("postgres:")
    assert (match[1], match[4]) == (state["environment"]["POSTGRES_USER"],
                                    state["environment"]["POSTGRES_DB"])  # fmt: skip
    assert api["environment"]["DBARCH_API_TOKENS"].startswith("${DBARCH_API_TOKENS:?")
    replicas = api["deploy"]["replicas"]
    host_ports, _, container_port = api["ports"][0].rpartition(":")
    first, _, last = host_ports.partition("-")
    assert replicas == 2 and int(last) - int(first) + 1 == replicas
    assert f"EXPOSE {container_port}" in {f"{k} {a}" for k, a in _final_stage()}


def test_dockerfile_installs_from_the_lock_and_runs_unprivileged() -> None:
    keywords = [k for k, _ in STEPS]
    assert keywords.count("FROM") == 2  # a build stage, and a slim runtime without pip caches
    base = next(a for k, a in STEPS if k == "ARG" and a.startswith("PYTHON_IMAGE="))
    assert base.endswith("-slim-bookworm")
    assert all(a.startswith("${PYTHON_IMAGE}") for k, a in STEPS if k == "FROM")
    runs = " ".join(a for k, a in STEPS if k == "RUN")
    assert "--require-hashes -r /tmp/runtime.lock" in runs
    assert "COPY requirements/runtime.lock /tmp/runtime.lock" in {f"{k} {a}" for k, a in STEPS}
    final = _final_stage()
    user = [a for k, a in final if k == "USER"]
    assert user and user[-1] not in ("root", "0")
    command = shlex.split(next(a for k, a in final if k == "CMD").replace('"', "'"))
    command = [c.strip("[],'") for c in command if c.strip("[],'")]
    assert command[:2] == ["dbarch", "serve"] and "0.0.0.0" in command
    health = next(a for k, a in final if k == "HEALTHCHECK")
    path = re.search(r"http://127\.0\.0\.1:\d+(/\w+)", health)
    assert path and path[1] in OPEN_PATHS  # the probe needs no token
    env = " ".join(a for k, a in final if k == "ENV")
    assert "XDG_CACHE_HOME=/home/dbarch/.cache" in env  # the embedded server's home, writable


def test_every_copied_path_exists_and_is_not_ignored() -> None:
    for keyword, arguments in STEPS:
        if keyword != "COPY" or arguments.startswith("--from"):
            continue
        *sources, _ = arguments.split()
        for source in sources:
            assert (REPO / source).exists(), source
            assert not _ignored(source), f"{source} is excluded by .dockerignore"
    assert _ignored("tests") and _ignored(".venv") and not _ignored("prompts")


def _engine() -> str | None:
    """Why no image can be built here, or None when a Docker engine answers."""
    docker = shutil.which("docker")
    if docker is None:
        return "no docker client on PATH"
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"no Docker engine answers `docker info` ({reason})"
    return None


@pytest.mark.slow
def test_the_image_builds_and_runs_as_a_non_root_user() -> None:
    reason = _engine()
    if reason is not None:
        pytest.skip(f"image not built: {reason}; the files are checked statically above")
    tag = "db-architect:test"
    subprocess.run(["docker", "build", "-t", tag, str(REPO)], check=True, timeout=1800)
    done = subprocess.run(
        ["docker", "run", "--rm", tag, "sh", "-c", "id -u && dbarch --version"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    uid, version = done.stdout.split()[:2]
    assert uid != "0" and version == "dbarch"
