"""What a batch counts as (its ``purpose``): official batches count in the figures and reports;
candidates (automatic detection) wait for a reviewer; test and demo batches never count.
The store gives a new batch its purpose by its source (:func:`default_purpose`); who may change
it, and what counts, is :mod:`geo.engine.official`."""

from __future__ import annotations

from geo.core.errors import ValidationError

PURPOSES = ("official", "candidate", "test", "demo")
LABELS = {
    "official": ("正式", "Official"),
    "candidate": ("候选（待审核）", "Candidate (to review)"),
    "test": ("测试", "Test"),
    "demo": ("演示", "Demo"),
}
AUTO_SOURCE = "自动检测"


def label(purpose: str | None, lang: str = "zh") -> str:
    pair = LABELS.get(str(purpose))
    return str(purpose or "") if pair is None else pair[0 if lang == "zh" else 1]


def default_purpose(source: str | None, official: bool = True) -> str:
    """Automatic detection is a candidate; other sources are official (``test`` when the
    uploader said the batch is not official)."""
    if source and str(source).strip().startswith(AUTO_SOURCE):
        return "candidate"
    return "official" if official else "test"


def check_purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValidationError(
            f"purpose '{purpose}' is not one of {', '.join(PURPOSES)}",
            f"批次性质“{purpose}”无效，可选：{'、'.join(label(p) for p in PURPOSES)}",
        )
    return purpose


# ------------------------------------------------------------------------------ purposes
