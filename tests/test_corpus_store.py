"""PassageStore: passages on disk under the row ids the FAISS and BM25 indexes use."""

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from corpus import PassageStore, chunk_document, read_builtin, read_pubmed_xml

SAMPLE = Path(__file__).parent / "data" / "pubmed_sample.xml"
RCT = "Randomized Controlled Trial"


@pytest.fixture(scope="module")
def passages():
    """Passages of the PubMed sample (with publication types) and 40 real PubMedQA abstracts."""
    docs = [*read_pubmed_xml(SAMPLE), *islice(read_builtin(sources=["pubmedqa"]), 40)]
    return [p for doc in docs for p in chunk_document(doc)]


@pytest.fixture
def store(tmp_path, passages):
    with PassageStore.create(tmp_path / "passages.sqlite") as store:
        store.add(passages)
        yield store


def _without_row_id(passage):
    return dataclasses.replace(passage, row_id=None)


def test_row_ids_start_at_zero_and_each_add_continues_contiguously(tmp_path, passages):
    with PassageStore.create(tmp_path / "s.sqlite") as store:
        assert store.add(passages[:3]) == [0, 1, 2]
        assert store.add(passages[3:5]) == [3, 4]
        assert len(store) == 5


def test_passages_round_trip_with_all_fields_and_row_id(store, passages):
    got = store.get(range(len(passages)))
    assert [_without_row_id(p) for p in got] == passages
    assert [p.row_id for p in got] == list(range(len(passages)))
    first = got[0]
    assert first.sections == ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
    assert first.mesh == ("Helicobacter Infections", "Humans", "Stomach Neoplasms")
    assert first.publication_types == ("Randomized Controlled Trial", "Journal Article")


def test_get_returns_passages_in_the_order_of_the_ids_given(store):
    got = store.get(np.array([7, 2, 7, 0]))
    assert [p.row_id for p in got] == [7, 2, 7, 0]


def test_get_of_an_unknown_id_raises_key_error(store):
    with pytest.raises(KeyError, match="10000"):
        store.get([0, 10000])


def test_iter_passages_yields_all_in_row_order_across_batches(store, passages):
    assert [p.row_id for p in store.iter_passages(batch=7)] == list(range(len(passages)))


def test_doc_ids_lists_each_document_once_in_first_seen_order(store, passages):
    assert store.doc_ids() == list(dict.fromkeys(p.doc_id for p in passages))


def test_titles_are_found_by_doc_id_and_by_pmid(store, passages):
    titles = store.titles()
    for p in passages:
        assert titles[p.doc_id] == p.title
        if p.pmid:
            assert titles[p.pmid] == p.title


def test_delete_documents_returns_removed_ids_and_ids_are_never_reused(store, passages):
    doc_id = passages[0].doc_id
    expected = [i for i, p in enumerate(passages) if p.doc_id == doc_id]
    assert store.delete_documents([doc_id, "no-such-doc"]) == expected
    assert doc_id not in store.doc_ids()
    assert len(store) == len(passages) - len(expected)
    with pytest.raises(KeyError):
        store.get(expected)
    assert store.add([passages[0]]) == [len(passages)]
    assert not np.isin(expected, store.ids_matching(mesh="Humans")).any()


def test_ids_matching_filters_by_year_range(store, passages):
    want = [i for i, p in enumerate(passages) if p.year is not None and 2000 <= p.year <= 2005]
    got = store.ids_matching(year_min=2000, year_max=2005)
    assert 0 < len(want) < len(passages)
    assert got.dtype == np.int64 and got.tolist() == want


def test_ids_matching_filters_by_publication_type_and_mesh_case_insensitively(store, passages):
    rct = [i for i, p in enumerate(passages) if RCT in p.publication_types]
    assert rct
    assert store.ids_matching(publication_type="randomized controlled trial").tolist() == rct
    humans = [i for i, p in enumerate(passages) if "Humans" in p.mesh]
    assert 0 < len(humans) < len(passages)
    assert store.ids_matching(mesh=["Humans", "No Such Term"]).tolist() == humans


def test_ids_matching_combines_filters_and_none_means_all(store, passages):
    assert store.ids_matching().tolist() == list(range(len(passages)))
    both = [i for i, p in enumerate(passages) if "Humans" in p.mesh and (p.year or 0) >= 2010]
    assert both
    assert store.ids_matching(year_min=2010, mesh="Humans").tolist() == both


def test_fingerprint_is_stable_across_rebuilds_and_changes_when_text_does(tmp_path, passages):
    def build(name, items):
        with PassageStore.create(tmp_path / name) as store:
            store.add(items)
            return store.fingerprint()

    same = build("a.sqlite", passages)
    assert build("b.sqlite", passages) == same
    with PassageStore.open(tmp_path / "a.sqlite") as reopened:
        assert reopened.fingerprint() == same
    edited = [dataclasses.replace(passages[0], text=passages[0].text + " Edited."), *passages[1:]]
    assert build("c.sqlite", edited) != same


def test_read_only_store_serves_several_threads_and_refuses_writes(store, passages):
    path = store.path
    with PassageStore.open(path) as shared:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda i: shared.get([i])[0].text, range(len(passages))))
        assert results == [p.text for p in passages]
        with pytest.raises(PermissionError):
            shared.add(passages[:1])


def test_adding_a_stored_passage_again_is_refused(store, passages):
    with pytest.raises(ValueError, match="delete its document first"):
        store.add(passages[:1])
    assert len(store) == len(passages)


def test_create_refuses_to_replace_and_open_needs_an_existing_store(store, tmp_path):
    with pytest.raises(FileExistsError):
        PassageStore.create(store.path)
    with pytest.raises(FileNotFoundError):
        PassageStore.open(tmp_path / "missing.sqlite")


def test_document_returns_every_passage_of_one_document_in_reading_order(store, passages):
    doc_id = next(p.doc_id for p in passages if p.chunk == 1)
    expected = [p.text for p in passages if p.doc_id == doc_id]
    found = store.document(doc_id)
    assert [p.text for p in found] == expected and [p.chunk for p in found] == sorted(
        p.chunk for p in found)
    assert store.document("no-such-document") == []
