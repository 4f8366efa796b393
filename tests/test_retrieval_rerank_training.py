"""Training a reranker: the topic split, the training groups, and real (tiny) fine-tuning runs
through sentence-transformers' trainer from the packaged MiniLM weights, resumed or not."""

from __future__ import annotations

import json

import pytest
from safetensors import safe_open

from corpus.records import Passage
from retrieval import rerank_training as rt
from retrieval.hits import Hit
from retrieval.rerank import Reranker


def _hit(doc_id: str, text: str, rank: int, pmid: str = "") -> Hit:
    return Hit(Passage(doc_id=doc_id, chunk=0, text=text, pmid=pmid), score=1.0 / rank, rank=rank)


def test_held_out_choice_is_stable_and_close_to_the_fraction():
    keys = [f"topic {i}" for i in range(5000)]
    chosen = [rt.is_held_out(k, 0.2) for k in keys]
    assert chosen == [rt.is_held_out(k, 0.2) for k in keys]
    assert 0.18 < sum(chosen) / len(keys) < 0.22


def test_questions_on_one_topic_land_on_the_same_side():
    titles = {f"doc{i}_{part}": f"Topic {i}" for i in range(200) for part in range(3)}
    questions = [rt.TrainingQuestion(f"q{i}_{part}", f"question {part} about topic {i}",
                                     (f"doc{i}_{part}",))
                 for i in range(200) for part in range(3)]
    train_side, held_out = rt.split(questions, titles, 0.3)
    train_topics = {titles[q.gold_ids[0]] for q in train_side}
    held_topics = {titles[q.gold_ids[0]] for q in held_out}
    assert held_topics and train_topics and not train_topics & held_topics
    assert len(train_side) + len(held_out) == len(questions)


def test_a_group_pairs_the_best_ranked_answer_with_other_documents_passages():
    question = rt.TrainingQuestion("q", "What causes gout?", ("medquad:gout_1",))
    hits = [_hit("medquad:gout_2", "Gout treatment", 1), _hit("medquad:gout_1", "Gout causes", 2),
            _hit("medquad:gout_1", "Gout causes, part two", 3), _hit("x", "Arthritis", 4)]
    group = rt.make_group(question, hits, size=3)
    assert group == rt.Group("What causes gout?", "Gout causes", ("Gout treatment", "Arthritis"))


def test_an_answer_named_by_pmid_is_recognised():
    question = rt.TrainingQuestion("q", "Does aspirin prevent stroke?", ("12345",))
    hits = [_hit("pubmed:9", "Other trial", 1), _hit("pubmed:12345", "Aspirin trial", 2, "12345")]
    assert rt.make_group(question, hits, size=2).positive == "Aspirin trial"


def test_no_group_when_the_answer_was_not_retrieved_or_negatives_run_short():
    question = rt.TrainingQuestion("q", "What causes gout?", ("medquad:gout_1",))
    assert rt.make_group(question, [_hit("a", "A", 1), _hit("b", "B", 2)], size=2) is None
    assert rt.make_group(question, [_hit("medquad:gout_1", "G", 1)], size=2) is None


def test_groups_become_rows_of_question_answer_then_one_column_per_negative():
    groups = [rt.Group("q1", "a1", ("n11", "n12")), rt.Group("q2", "a2", ("n21", "n22"))]
    rows = rt.dataset(groups)
    assert rows.column_names == ["question", "positive", "negative_1", "negative_2"]
    assert rows[1] == {"question": "q2", "positive": "a2", "negative_1": "n21",
                       "negative_2": "n22"}


def test_mined_groups_come_from_hybrid_search_over_the_index(retriever, pubmedqa_docs):
    doc = pubmedqa_docs[0]
    question = rt.TrainingQuestion("q", doc.title, (doc.doc_id,))
    groups, unusable = rt.mine(retriever, [question], rt.RerankTrainingSettings(group_size=4),
                               progress=False)
    assert unusable == 0
    assert groups[0].positive.startswith(doc.title)
    assert len(groups[0].negatives) == 3 and not any(doc.title in n for n in groups[0].negatives)


GROUPS = [rt.Group("What causes gout?", "Gout is caused by uric acid crystals in joints.",
                   ("Asthma narrows the airways.",)),
          rt.Group("How is asthma treated?", "Asthma is treated with inhaled steroids.",
                   ("Gout flares are treated with colchicine.",))]


@pytest.mark.parametrize("kind", ["bi-encoder", "cross-encoder"])
def test_training_writes_float16_weights_that_load_as_a_reranker_of_that_kind(
    kind, settings, tmp_path
):
    out = rt.train(GROUPS, tmp_path / kind,
                   rt.RerankTrainingSettings(kind=kind, group_size=2, max_length=64, lora_rank=0,
                                             groups_per_step=2),
                   settings.model_cache, progress=False, card={"note": "test"})
    card = json.loads((out / "training.json").read_text())
    assert card["groups"] == 2 and card["steps"] == 1 and card["note"] == "test"
    weights_file = next(out.rglob("model.safetensors"))
    with safe_open(str(weights_file), "pt") as weights:
        first = weights.get_tensor(next(iter(weights.keys())))
    assert str(first.dtype) == "torch.float16"
    reranker = Reranker(str(out), device="cpu")
    assert reranker.kind == kind
    scores = reranker.score("gout", ["uric acid", "airways"])
    assert scores.shape == (2,) and str(scores.dtype) == "float32"


def test_a_fine_tuned_bi_encoder_ranks_its_training_answers_first(settings, tmp_path):
    out = rt.train(GROUPS * 4, tmp_path / "bi",
                   rt.RerankTrainingSettings(group_size=2, max_length=64, epochs=2, lora_rank=0,
                                             groups_per_step=2, learning_rate=1e-4),
                   settings.model_cache, progress=False)
    reranker = Reranker(str(out), device="cpu")
    for group in GROUPS:
        positive, negative = reranker.score(group.question, [group.positive, *group.negatives])
        assert positive > negative


LORA = rt.RerankTrainingSettings(group_size=2, max_length=64, lora_rank=4, epochs=2,
                                 groups_per_step=2, learning_rate=1e-3)


@pytest.fixture(scope="module")
def lora_adapter(settings, tmp_path_factory):
    """A LoRA run of 8 steps, uninterrupted."""
    return rt.train(GROUPS * 4, tmp_path_factory.mktemp("lora"), LORA, settings.model_cache,
                    progress=False)


def test_a_lora_adapter_is_saved_alone_and_reranks_over_the_verified_base(lora_adapter,
                                                                          settings):
    out = lora_adapter
    assert not (out / "model.safetensors").exists() and not (out / "checkpoints").exists()
    assert (out / "adapter_model.safetensors").stat().st_size < 2_000_000
    assert json.loads((out / "reranker.json").read_text())["base"] == "all-MiniLM-L6-v2"
    reranker = Reranker(str(out), device="cpu", cache_dir=settings.model_cache)
    assert reranker.kind == "bi-encoder"
    for group in GROUPS:
        positive, negative = reranker.score(group.question, [group.positive, *group.negatives])
        assert positive > negative


def test_a_run_stopped_at_a_checkpoint_resumes_to_the_uninterrupted_result(
    lora_adapter, settings, tmp_path
):
    out = tmp_path / "resumed"
    rt.train(GROUPS * 4, out, LORA, settings.model_cache, progress=False, save_steps=2,
             stop_at=4)
    assert not (out / "adapter_model.safetensors").exists()
    assert (out / "checkpoints" / "checkpoint-4").is_dir()
    rt.train(GROUPS * 4, out, LORA, settings.model_cache, progress=False, resume=True)
    card = json.loads((out / "training.json").read_text())
    assert card["resumed_from_step"] == 4 and card["steps"] == 8
    whole = Reranker(str(lora_adapter), device="cpu", cache_dir=settings.model_cache)
    resumed = Reranker(str(out), device="cpu", cache_dir=settings.model_cache)
    for group in GROUPS:
        texts = [group.positive, *group.negatives]
        assert resumed.score(group.question, texts) == pytest.approx(
            whole.score(group.question, texts), abs=1e-4)


def test_resuming_checkpoints_of_other_groups_or_settings_is_refused(settings, tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "run.key").write_text(rt.run_key(GROUPS, LORA))
    with pytest.raises(ValueError, match="other training groups or settings"):
        rt.train(GROUPS * 4, tmp_path, LORA, settings.model_cache, progress=False, resume=True)


def test_an_unknown_kind_or_a_group_without_negatives_is_refused():
    with pytest.raises(ValueError, match="kind"):
        rt.RerankTrainingSettings(kind="colbert", lora_rank=0)
    with pytest.raises(ValueError, match="group_size"):
        rt.RerankTrainingSettings(group_size=1)
    assert rt.RerankTrainingSettings().lr == 3e-4
    assert rt.RerankTrainingSettings(lora_rank=0).lr == 2e-5
    with pytest.raises(ValueError, match="lora_rank"):
        rt.RerankTrainingSettings(kind="cross-encoder", lora_rank=8)
