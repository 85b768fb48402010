"""The requirements spec: what a user may write (`model`), how it is read with every
position kept (`source`, `load`), what it promises by the naming contract (`contract`,
`tenant`, `soft_delete`, `patterns`), the checks across it (`checks`) and what it leaves
open (`questions`).

May import `agent.naming` and `tools`; nothing of the stages, the graph, the brains or the
report, so every layer above can read a spec.
"""

from agent.spec.checks import check_spec
from agent.spec.contract import Contract, ContractColumn, ContractTable, resolve_contract
from agent.spec.load import load_spec, parse_spec, spec_json_schema
from agent.spec.model import AccessPattern, Attribute, Entity, Requirements
from agent.spec.questions import Question, missing_information, referenced_tables
from agent.spec.soft_delete import soft_deleted_tables
from agent.spec.source import SourceMap, dotted, load_yaml, problem_dict
from agent.spec.tenant import tenant_entity
from agent.spec.values import duration_seconds

__all__ = [
    "AccessPattern",
    "Attribute",
    "Contract",
    "ContractColumn",
    "ContractTable",
    "Entity",
    "Question",
    "Requirements",
    "SourceMap",
    "check_spec",
    "dotted",
    "duration_seconds",
    "load_spec",
    "load_yaml",
    "missing_information",
    "parse_spec",
    "problem_dict",
    "referenced_tables",
    "resolve_contract",
    "soft_deleted_tables",
    "spec_json_schema",
    "tenant_entity",
]
