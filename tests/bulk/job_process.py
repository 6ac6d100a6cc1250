"""A bulk job in a process of its own, for the crash test: killed at any moment, started again.

``python job_process.py JOURNAL SETTINGS_JSON KIND BACKEND`` creates the job on its first run (the numbers
or criteria in the settings) and resumes it on every later one (planning it first with ``plan``);
exit 0 when it ran to its end. With ``members`` (each member's name and settings) in place of
``dialect`` and ``settings``, the job runs across those carriers (``routing``: the routing
provider's own settings).
"""

from __future__ import annotations

import json
import sys

import anyio
import numbers_core as nc
from numbers_core.bulk._engine import Runner, create_job
from numbers_core.bulk._journal import Journal
from numbers_core.bulk._limiter import RateLimiter


async def main(journal_path: str, given: str, kind: str) -> None:
    spec = json.loads(given)
    journal = Journal(journal_path)
    if "members" in spec:
        members = spec["members"]
        carrier = nc.connect(list(members), **members, **spec.get("routing", {}))
    else:
        carrier = nc.connect(spec["dialect"], **spec["settings"])
    async with carrier:
        jobs = await journal.jobs()
        if jobs:
            job = jobs[0]
        elif kind == "purchase":
            criteria = {"415": (nc.SearchQuery(area_code="415", limit=100), spec["count"])}
            job = await create_job(journal, carrier, "purchase", criteria=criteria)
        else:
            job = await create_job(journal, carrier, kind, numbers=spec["numbers"])
        # A rate given holds whatever the faults' 429s; without one it is found from them.
        limiter = RateLimiter(spec["rate"], burst=50) if spec.get("rate") else None
        runner = Runner(carrier, journal, concurrency=spec.get("concurrency", 10), limiter=limiter)
        if spec.get("plan"):  # as numbers bulk run does: every number chosen first, then bought
            await runner.plan(job.id, items=False)
        await runner.run(job.id)
    await journal.aclose()


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:4], backend=sys.argv[4])
