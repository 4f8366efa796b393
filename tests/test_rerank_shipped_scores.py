"""The shipped medchat-rerank-minilm scores real MedQuAD question/passage pairs exactly as it did
before training and loading moved onto sentence-transformers' trainer and adapter API.

The expected cosines were recorded with the previous loader (peft's `inject_adapter_in_model` on
`model[0].auto_model`, then merged) for the adapter whose sha256 is pinned below; a re-trained
adapter shipped under the same name must re-pin both."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from corpus.builtin import BUILTIN_DIR
from retrieval.rerank import Reranker
from retrieval.weights import SHIPPED_DIR

SHIPPED = "medchat-rerank-minilm"
ADAPTER_SHA256 = "fef366d40e153afa688170e89a3e0effe9b471953f61bbd0e6ab823090d213fa"
# (held-out question, its answer document, another question's answer document, their cosines)
PAIRS = [
    ("What are the treatments for Moyamoya Disease ?", "medquad:NINDS_0000198_2",
     "medquad:GHR_0000351_4", (0.6298415660858154, -0.1675860583782196)),
    ("Is familial hemiplegic migraine inherited ?", "medquad:GHR_0000351_4",
     "medquad:GHR_0000124_2", (0.8831453919410706, 0.024380529299378395)),
    ("How many people are affected by biotin-thiamine-responsive basal ganglia disease ?",
     "medquad:GHR_0000124_2", "medquad:NINDS_0000198_2",
     (0.6980831027030945, -0.052312351763248444)),
]


@pytest.fixture(scope="module")
def passages() -> dict[str, str]:
    """Title and the first 300 characters of each document's answer, from the built-in corpus."""
    wanted = {doc for _, answer, other, _ in PAIRS for doc in (answer, other)}
    found = {}
    with gzip.open(BUILTIN_DIR / "medquad.jsonl.gz", "rt", encoding="utf-8") as fh:
        for doc in map(json.loads, fh):
            if doc["doc_id"] in wanted:
                found[doc["doc_id"]] = (doc["title"] + ". " + doc["sections"][0]["text"])[:300]
    return found


@pytest.fixture(scope="module")
def shipped(settings) -> Reranker:
    return Reranker(SHIPPED, device="cpu", cache_dir=settings.model_cache)


def test_the_pinned_scores_belong_to_the_adapter_in_the_repository():
    weights = (SHIPPED_DIR / SHIPPED / "adapter_model.safetensors").read_bytes()
    assert hashlib.sha256(weights).hexdigest() == ADAPTER_SHA256


@pytest.mark.parametrize("question,answer,other,expected", PAIRS)
def test_the_shipped_adapter_scores_real_pairs_as_before(shipped, passages, question, answer,
                                                         other, expected):
    scores = shipped.score(question, [passages[answer], passages[other]])
    assert scores.tolist() == pytest.approx(expected, abs=1e-6)
