"""Default inputs per suite: files shipped in evals/data, so evaluations run without shared data."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")

MEDQUAD = DATA_DIR / "medquad" / "questions_dev_sample2000.jsonl"
EVIDENCE_INFERENCE = DATA_DIR / "evidence_inference" / "questions_dev.jsonl"
PUBMEDQA = DATA_DIR / "pubmedqa" / "questions_trainval.jsonl"
VIGNETTES = DATA_DIR / "triage" / "vignettes_dev.jsonl"

# retrieval: MedQuAD is where retrieval methods differ (BM25 recall@5 ~0.74, not ~1.0)
# qa: both reader tasks, yes/no/maybe (PubMedQA) and the three effect labels (Evidence Inference)
# citations: PubMedQA questions, answerable from the built-in abstracts
QUESTIONS = {
    "retrieval": (MEDQUAD,),
    "qa": (PUBMEDQA, EVIDENCE_INFERENCE),
    "citations": (PUBMEDQA,),
    "speed": (PUBMEDQA,),
}
