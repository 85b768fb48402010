# syntax=docker/dockerfile:1
# db-architect's HTTP API (MCP at /mcp) with the embedded PostgreSQL 18 inside, as a
# non-root user. Dependencies come hash-checked from requirements/runtime.lock, the same
# versions CI tests. Binding beyond loopback needs tokens: run it with DBARCH_API_TOKENS.
#
#   docker build -t db-architect .
#   docker run -p 8080:8080 -e DBARCH_API_TOKENS=s3cret db-architect
#
# Several replicas share runs, jobs and sessions through DBARCH_STATE_URL (compose.yaml).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/dbarch
COPY requirements/runtime.lock /tmp/runtime.lock
RUN /opt/dbarch/bin/pip install --require-hashes -r /tmp/runtime.lock
WORKDIR /app
COPY pyproject.toml README.md server.py langgraph.json ./
COPY agent agent
COPY tools tools
COPY evals evals
COPY prompts prompts
COPY examples examples
# Editable, as the README installs it: personas and eval cases are read from /app.
RUN /opt/dbarch/bin/pip install --no-deps -e .

FROM ${PYTHON_IMAGE}
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin dbarch
COPY --from=build /opt/dbarch /opt/dbarch
COPY --from=build /app /app
ENV PATH=/opt/dbarch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DBARCH_HOME=/home/dbarch/.dbarch \
    XDG_CACHE_HOME=/home/dbarch/.cache
USER dbarch
WORKDIR /home/dbarch
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=8)"]
CMD ["dbarch", "serve", "--host", "0.0.0.0", "--port", "8080"]
