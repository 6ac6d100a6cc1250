"""Bulk provisioning jobs: planned, journaled before every carrier call, resumable, rate-aware.

Being built (issue: bulk jobs); nothing here is public API yet.
"""
