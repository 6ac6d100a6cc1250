"""Bulk provisioning jobs: planned, journaled before every carrier call, resumable, rate-aware.

::

    from numbers_core.bulk import Journal, RateLimiter, Runner, create_job

    journal = Journal("~/numbers-jobs.sqlite3")
    async with nc.connect(profile="production") as carrier:
        criteria = {"415": (nc.SearchQuery(area_code="415"), 500)}
        job = await create_job(journal, carrier, "purchase", criteria=criteria)
        counts = await Runner(carrier, journal, concurrency=20, limiter=RateLimiter(10.0)).run(job.id)

``Runner.run`` resumes a job that was interrupted anywhere: what was in
flight is looked up before anything is sent again. See docs/bulk.md.
"""

from ._engine import Event, JobKind, Plan, Runner, amend_job, create_job
from ._file import JobFile
from ._journal import Costs, Item, ItemState, Job, JobState, Journal, JournalUnavailableError
from ._limiter import RateLimiter
from ._report import ReportRow, report, write_csv, write_json

__all__ = [
    "Costs",
    "Event",
    "Item",
    "ItemState",
    "Job",
    "JobFile",
    "JobKind",
    "JobState",
    "Journal",
    "JournalUnavailableError",
    "Plan",
    "RateLimiter",
    "ReportRow",
    "Runner",
    "amend_job",
    "create_job",
    "report",
    "write_csv",
    "write_json",
]
