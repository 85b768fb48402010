"""Deterministic tools: files, shell, SQL (parse, validate, lint, explain, advise), ERD, ADRs."""
