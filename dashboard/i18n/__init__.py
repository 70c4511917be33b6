"""UI strings in Simplified Chinese (default) and English.

Domain labels (statuses, verdicts, field names) come from :mod:`geo.declare.registry`; this module holds
only what the pages themselves say.
"""

from __future__ import annotations

from dashboard.i18n import (strings, strings_forms, strings_imagery, strings_review, strings_summary, strings_units,
                            strings_upload)

STRINGS: dict[str, tuple[str, str]] = {**strings.STRINGS, **strings_upload.STRINGS, **strings_summary.STRINGS,
                                       **strings_units.STRINGS, **strings_imagery.STRINGS, **strings_review.STRINGS,
                                       **strings_forms.STRINGS}


def translate(key: str, lang: str = "zh", **kw) -> str:
    pair = STRINGS.get(key)
    if pair is None:
        text = key
    else:
        text = pair[0] if lang == "zh" else pair[1]
    return text.format(**kw) if kw else text
