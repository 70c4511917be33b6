"""One exception root for the domain library.

Every error a user can cause carries a message in Simplified Chinese and in English. ``str(err)``
is the English text (logs, tracebacks in tests); ``err.message(lang)`` is what a page or the CLI
shows. Classes also derive from the matching builtin so callers can catch either.
"""

from __future__ import annotations


class GeoError(Exception):
    """Root of every error raised on purpose by :mod:`geo`.

    Parameters
    ----------
    en, zh : str
        The message in English and in Simplified Chinese. Both name what was wrong and what to do.
    details : dict
        Machine-readable facts (feature id, current version, ...), also printed by ``--json``.
    """

    exit_code = 2

    def __init__(self, en: str, zh: str | None = None, **details):
        super().__init__(en)
        self.en = en
        self.zh = zh or en
        self.details = details

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def as_dict(self, lang: str = "zh") -> dict:
        return {"error": type(self).__name__, "message": self.message(lang), **self.details}


class ConfigError(GeoError, ValueError):
    """A setting (FOREST_DB, basemap, ...) is missing or malformed."""


class StoreError(GeoError, OSError):
    """The store cannot be opened, read or written (locked, full, not a GeoPackage, ...)."""


class NotFoundError(GeoError, LookupError):
    """A feature, batch, item or attachment does not exist."""


class ValidationError(GeoError, ValueError):
    """A value does not satisfy the schema (unknown status, negative fine, bad date, ...)."""


class TransitionError(GeoError, ValueError):
    """A workflow transition is not allowed from the current status, or its guard is not met."""


class ConflictError(GeoError):
    """Someone else changed the feature since the version the caller saw."""

    exit_code = 3


class PermissionDenied(GeoError, PermissionError):
    """The acting user may not see or change this record."""


class IngestError(GeoError, ValueError):
    """An uploaded file was refused as a whole; nothing was written."""


class ImageryError(GeoError, ValueError):
    """A raster or an imagery request was refused (unreadable, no CRS or georeferencing, a band
    role the file does not have, no scene covering the place); nothing was written."""
