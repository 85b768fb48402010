"""Design runs as the service starts them: what a caller sends, checked once (`input`), runs
as jobs queued, claimed and read back (`jobs`), and the MCP `design` tool, one run awaited
whole (`tool`).

May import the engine, the brains' factory, the context, the state and the spec, and the
service's configuration, errors and job store; routes, MCP, chat and the worker import it.
"""

from agent.service.design.input import DesignInput
from agent.service.design.jobs import DesignView
from agent.service.design.tool import DESIGN_DESCRIPTION, design

__all__ = ["DESIGN_DESCRIPTION", "DesignInput", "DesignView", "design"]
