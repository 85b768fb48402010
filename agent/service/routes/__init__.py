"""The HTTP routes, one module per resource: /v1/designs (`designs`), /v1/evals (`evals`),
/v1/review (`review`), /v1/sessions (`sessions`), and /healthz and /metrics (`ops`).

May import everything else in the service (state, guards, stores, design, chat, SSE,
OpenAPI); only the app imports it.
"""
