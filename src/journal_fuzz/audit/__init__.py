"""The look-back audit (``journal-fuzz audit SENT RECEIVED``): which stored records lost words, across a whole export.

It needs the ``audit`` extra (``pip install 'journal_fuzz[audit]'``: pyarrow, Dask); ``import journal_fuzz`` never
loads this package.
"""

from __future__ import annotations

from journal_fuzz.audit.engine import AuditOptions, AuditResult, Interrupted, format_summary, headline, run_audit

__all__ = ["AuditOptions", "AuditResult", "Interrupted", "format_summary", "headline", "run_audit"]
