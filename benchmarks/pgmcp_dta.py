"""Run postgres-mcp's DTA index tuning on a workload; executed inside its own venv.

Usage: python pgmcp_dta.py URL BUDGET_MB QUERIES_JSON_FILE
Prints one JSON object: {"seconds", "error", "indexes": [definitions]}.
"""

import asyncio
import json
import sys
import time

from postgres_mcp.index.dta_calc import DatabaseTuningAdvisor
from postgres_mcp.sql import SqlDriver


async def tune(url: str, budget_mb: int, queries: list[str]) -> dict[str, object]:
    driver = SqlDriver(engine_url=url)
    advisor = DatabaseTuningAdvisor(driver, budget_mb=budget_mb)
    started = time.perf_counter()
    result = await advisor.analyze_workload(query_list=queries, max_index_size_mb=budget_mb)
    seconds = time.perf_counter() - started
    indexes = [r.definition for r in result.recommendations]
    return {"seconds": round(seconds, 3), "error": result.error, "indexes": indexes}


def main() -> None:
    url, budget_mb, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, encoding="utf-8") as handle:
        queries = json.load(handle)
    print(json.dumps(asyncio.run(tune(url, budget_mb, queries))))


if __name__ == "__main__":
    main()
