"""The rules brain: deterministic stage implementations (no key, no network).

Stages live in their own modules: `technology.decide_technology`, `schema.compile_schema`,
`scaling`, `adr`, `migrations`; `brain.RulesBrain` binds them to the `Brain` protocol.
"""
