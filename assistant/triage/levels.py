"""The four levels of care, most urgent first, and how to compare them."""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("emergency", "urgent", "routine", "self-care")

ADVICE = {
    "emergency": "This could be an emergency — call your local emergency number now "
    "(for example 911, 999 or 112).",
    "urgent": "Please get medical advice today: contact your GP surgery for a same-day "
    "appointment, or your local urgent-care or non-emergency helpline (for example 111 in the UK).",
    "routine": "Please book an appointment with your GP (family doctor) in the next few days.",
    "self-care": "This can usually be looked after at home, and a pharmacist can advise on "
    "treatments. Contact your GP or a helpline if it gets worse, new symptoms appear, it is not "
    "improving within a few days, or you are worried.",
}


def rank(level: str) -> int:
    """Higher is more urgent: emergency 3, urgent 2, routine 1, self-care 0."""
    return len(LEVELS) - 1 - LEVELS.index(level)


def most_urgent(*levels: str) -> str:
    """The most cautious of the given levels."""
    return max(levels, key=rank)


def three_level(level: str) -> str:
    """Map to the 3-level scale of the Semigran vignettes (urgent and routine: non-emergency)."""
    return {"urgent": "non-emergency", "routine": "non-emergency"}.get(level, level)
