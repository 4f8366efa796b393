"""Load the meaning layers that sit over the triage rules, as the settings name them.

Both may only raise a level (see `decision.py`); either can be switched off with "" in
`[triage]`. One loader for the app, the command line and the evaluation, so all three triage
with the same parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MeaningLayers:
    """The sign detector (clause by clause) and the whole-story urgency model, or None."""

    signs: object | None = None
    urgency: object | None = None


def load_layers(signs: str, urgency: str, model_cache: Path | None = None) -> MeaningLayers:
    """Load what the `[triage]` settings name (shipped names or folders); "" means off."""
    detector = model = None
    if signs:
        from assistant.triage.meaning import SignDetector

        detector = SignDetector.load(signs, model_cache)
    if urgency:
        from assistant.triage.urgency import UrgencyModel

        model = UrgencyModel.load(urgency, model_cache)
    return MeaningLayers(detector, model)
