"""UI strings in Simplified Chinese (default) and English.

Domain labels (statuses, verdicts, field names) come from :mod:`geo.declare.registry`; this module holds
only what the pages themselves say.
"""

from __future__ import annotations

from dashboard.i18n import (
    strings,
    strings_accounts,
    strings_field,
    strings_forms,
    strings_imagery,
    strings_review,
    strings_shell,
    strings_summary,
    strings_units,
    strings_upload,
    strings_words,
)

# one module per part of the app (one per line: parts added side by side merge cleanly)
PARTS = (
    strings,
    strings_upload,
    strings_summary,
    strings_units,
    strings_imagery,
    strings_review,
    strings_shell,
    strings_accounts,
    strings_field,
    strings_words,
    strings_forms,
)
STRINGS: dict[str, tuple[str, str]] = {k: v for part in PARTS for k, v in part.STRINGS.items()}


def translate(key: str, lang: str = "zh", **kw) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        text = key
    else:
        text = pair[0] if lang == "zh" else pair[1]
    return text.format(**kw) if kw else text
