"""林长制整改一张图 — the domain library: store, workflow, ingest, statistics, reports.

This package never imports streamlit; the dashboard is a thin layer over it, and everything a
page can do, ``python -m geo`` can do.
"""

__version__ = "0.1.0"
