"""The eval cache key, id aliases, gold passages and the smoke corpus."""

import json

from corpus import ChunkSettings, Document, Section
from evals.corpusdata import aliases_of, cache_key, gold_passages, load_corpus
from evals.suites import smoke

DOCS = [
    Document("123", "A trial", (Section("", "Metformin lowered HbA1c."),), pmid="123"),
    Document("medquad:X_1", "Glaucoma", (Section("ANSWER", "Glaucoma is ..."),)),
]


def test_the_cache_key_changes_with_corpus_embedder_factory_and_chunking():
    base = cache_key("c", "e", "auto", ChunkSettings())
    assert base == cache_key("c", "e", "auto", ChunkSettings())
    assert len({base, cache_key("d", "e", "auto", ChunkSettings()),
                cache_key("c", "f", "auto", ChunkSettings()),
                cache_key("c", "e", "Flat", ChunkSettings()),
                cache_key("c", "e", "auto", ChunkSettings(max_words=100))}) == 5


def test_the_corpus_fingerprint_follows_content_not_file_names(tmp_path):
    line = json.dumps({"pmid": "1", "title": "T", "abstract": "Text."}) + "\n"
    (tmp_path / "a.jsonl").write_text(line)
    (tmp_path / "b.jsonl").write_text(line)
    a, b = load_corpus([tmp_path / "a.jsonl"]), load_corpus([tmp_path / "b.jsonl"])
    assert a.fingerprint == b.fingerprint and len(a.documents) == 1


def test_aliases_map_pmids_and_doc_ids_to_doc_ids():
    assert aliases_of(DOCS) == {"123": "123", "medquad:X_1": "medquad:X_1"}


def test_gold_passages_are_chunked_like_the_index_and_keyed_by_the_gold_id():
    table = gold_passages(DOCS, {"medquad:X_1"}, ChunkSettings())
    assert list(table) == ["medquad:X_1"]
    assert table["medquad:X_1"][0].text.startswith("Glaucoma")


def test_the_smoke_corpus_is_byte_identical_every_time(tmp_path):
    first = smoke.write_corpus(tmp_path / "a.jsonl").read_bytes()
    assert first == smoke.write_corpus(tmp_path / "b.jsonl").read_bytes()
    ids = {json.loads(line).get("doc_id") or json.loads(line)["pmid"]
           for line in first.decode().splitlines()}
    lines = smoke.defaults.MEDQUAD.read_text().splitlines()[: smoke.RETRIEVAL_QUESTIONS]
    questions = [json.loads(line) for line in lines]
    assert all(q["gold_ids"][0] in ids for q in questions)
