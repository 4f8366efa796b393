"""Literature questions: retrieve, prompt with numbered sources, generate, keep what is cited."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from assistant.citations import ground
from assistant.evidence import key_sentences, quote
from assistant.generator import Generator
from assistant.prompt import STOP, answer_prompt, choice_prompt
from assistant.records import Answer, Choice
from assistant.settings import Settings
from corpus.records import Passage
from retrieval.retriever import Filters, Retriever, check_query

log = logging.getLogger(__name__)


class Assistant:
    """Answers questions from the indexed literature; one instance serves many questions."""

    def __init__(self, retriever: Retriever, generator: Generator, settings: Settings) -> None:
        self.retriever = retriever
        self.generator = generator
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings, index_dir: Path | None = None) -> Assistant:
        """Load retriever and generator; `index_dir` overrides the settings' default index."""
        retriever = Retriever.load(
            index_dir or settings.index_dir, settings.retrieval, settings.chunking,
            model_cache=settings.model_cache,
        )
        generator = Generator(settings.generator, settings.model_cache)
        return cls(retriever, generator, settings)

    def answer(self, question: str, k: int | None = None, filters: Filters | None = None) -> Answer:
        final = None
        for item in self.answer_stream(question, k, filters):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def answer_stream(
        self, question: str, k: int | None = None, filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        """Yield the model's text as it is generated, then the checked `Answer` last.

        The streamed draft is what the model wrote; the final Answer keeps only sentences whose
        citations the sources support, so a UI should replace the draft with `Answer.render()`.
        """
        question = check_query(question)
        hits = self.retriever.search(question, k=k, filters=filters)
        passages = tuple(h.passage for h in hits)
        draft = ""
        if passages:
            for piece in self.generator.stream(answer_prompt(question, passages), stop=STOP):
                draft += piece
                yield piece
        grounded = ground(draft, passages)
        text, citations, abstained = grounded.text, grounded.citations, grounded.abstained
        extractive = False
        if abstained and passages:
            encode = self.retriever.embedder.encode
            chosen = key_sentences(encode([question])[0], passages, encode)
            if chosen:
                text, citations = quote(chosen, passages)
                abstained, extractive = False, True
        log.info(
            "answered: %d sources, %d citations, %d sentences dropped, extractive=%s, "
            "abstained=%s", len(passages), len(citations), len(grounded.dropped), extractive,
            abstained,
        )
        yield Answer(
            question=question,
            text=text,
            citations=citations,
            passages=passages,
            hits=tuple(hits),
            abstained=abstained,
            dropped=grounded.dropped,
            extractive=extractive,
        )

    def choose(
        self, question: str, options: Sequence[str], passages: Sequence[Passage] | None = None
    ) -> Choice:
        """Pick one of fixed `options` by the likelihood of each as the answer, given the sources.

        Raw likelihoods, not calibrated against a source-free prompt: on PubMedQA development
        questions that calibration made Gemma 270M answer "maybe" every time.
        """
        question = check_query(question)
        if passages is None:
            passages = [h.passage for h in self.retriever.search(question)]
        scored = self.generator.score_options(
            choice_prompt(question, options, passages), [" " + o for o in options]
        )
        scores = {o: scored[" " + o] for o in options}
        label = max(options, key=lambda o: scores[o])
        return Choice(label=label, scores=scores, passages=tuple(passages))
