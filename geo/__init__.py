"""林长制整改一张图 — the domain library: store, workflow, ingest, statistics, reports.

A few layers of packages, each importing only from those below it (checked by import-linter,
``pyproject.toml``): ``core`` and ``docs`` (leaves) → ``declare`` (what a layer is, the registry)
→ ``store`` → ``access`` → ``engine`` (the one write path, workflow, figures as of a date) →
``ingest`` → one package per part of the system (``change``, ``chief``, ``fieldwork``, ``fire``,
``pest``, ``enterprise``, ``complaint``, ``carbon``, ``imagery``, ``items``) → ``stats`` → ``report``
→ ``demo`` → ``cli``. This package never imports streamlit; the dashboard is a thin layer over it
that uses any of these, and everything a page can do, ``python -m geo`` can do.
"""

__version__ = "0.1.0"
