"""Development vignettes (Semigran et al. 2015): no emergency may be missed."""

from __future__ import annotations

import json

from assistant.triage import assess, three_level


def test_every_dev_emergency_vignette_is_triaged_as_emergency(shared_data):
    path = shared_data / "triage" / "vignettes_dev.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    emergencies = [c for c in cases if c["gold"] == "emergency"]
    caught = [c["id"] for c in emergencies if three_level(assess(c["text"]).level) == "emergency"]
    assert len(emergencies) > 0
    assert len(caught) / len(emergencies) == 1.0
