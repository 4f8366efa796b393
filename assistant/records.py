"""Records the assistant returns: an `Answer` with its citations, a constrained `Choice`."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.records import Passage
from retrieval.hits import Hit

DISCLAIMER = (
    "For information only, drawn from published research; not medical advice. "
    "Talk to a doctor or pharmacist about your own care."
)
ABSTAIN = "The evidence retrieved does not answer this."
NOT_COVERED = (
    "The indexed literature does not cover this question: none of the retrieved sources is "
    "relevant enough to answer it. The closest sources are listed below, not as support."
)
ENGLISH_ONLY = (
    "medchat answers questions in English only: the indexed literature and the checks on its "
    "answers are English. Please ask your question in English."
)
VERDICT_TEXT = {"yes": "Yes.", "no": "No.", "unclear": "Unclear from the retrieved evidence."}


def verdict_text(verdict: str, sure: bool = True, source: int | None = None) -> str:
    """The verdict as the answer's first line: "Yes, according to [1].", "Probably no,
    according to [2]; the evidence read is not conclusive.", "Significantly decreased, according
    to [1]." or "Unclear from the retrieved evidence." (`source`: the number of the source the
    verdict was read from)."""
    if verdict == "unclear" or source is None:
        return VERDICT_TEXT[verdict]
    word = verdict[:1].upper() + verdict[1:] if sure else f"Probably {verdict}"
    tail = "." if sure else "; the evidence read is not conclusive."
    return f"{word}, according to [{source}]{tail}"


def source_kind(passage: Passage) -> str:
    """"abstract" for a PubMed record (it has a PMID), else "consumer-health page" (MedQuAD's
    NIH pages): a reader weighs a trial abstract and a patient leaflet differently."""
    return "abstract" if passage.pmid else "consumer-health page"


@dataclass(frozen=True)
class Citation:
    """A source number used in the answer, resolved to its passage, and how well it supports
    the sentence citing it (None where not checked)."""

    number: int
    passage: Passage
    support: float | None = None  # share of the sentence's content words found in the source
    numbers_ok: bool | None = None  # every number of the sentence occurs in the source
    negation_ok: bool | None = None  # negated exactly when the matching source clause is

    @property
    def citation_id(self) -> str:
        return self.passage.citation_id


@dataclass(frozen=True)
class Dropped:
    """A sentence of the model's draft that was removed, and why."""

    sentence: str
    reason: str


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]  # the numbered sources shown to the model, [1] first
    hits: tuple[Hit, ...] = ()
    abstained: bool = False
    dropped: tuple[Dropped, ...] = field(default=())  # unsupported sentences removed, with why
    extractive: bool = False  # quotes from the sources, in place of an unsupported draft
    # "yes" | "no" | "unclear" for a yes/no question, the effect's direction ("significantly
    # decreased", ...) for a trial effect question, else None
    verdict: str | None = None
    verdict_sure: bool = False  # stated plainly, not as a lean ("Probably yes")
    verdict_probability: float | None = None  # the reader's probability of `verdict`
    relevance: float | None = None  # the gate's score of the best source
    disclaimer: str = DISCLAIMER

    @property
    def cited_ids(self) -> list[str]:
        seen: list[str] = []
        for c in self.citations:
            if c.citation_id not in seen:
                seen.append(c.citation_id)
        return seen

    def render(self) -> str:
        """The answer as shown to a person: text, numbered sources with links, disclaimer."""
        lines = [self.text, ""]
        if self.citations:
            lines.append("Sources:")
            shown = set()
            for c in sorted(self.citations, key=lambda c: c.number):
                if c.number not in shown:
                    shown.add(c.number)
                    lines.append(source_line(c.number, c.passage))
            lines.append("")
        elif self.abstained and self.passages:
            lines.append("Closest sources (not cited as support):")
            lines += [source_line(i, p) for i, p in enumerate(self.passages, 1)]
            lines.append("")
        lines.append(f"_{self.disclaimer}_")
        return "\n".join(lines)


def source_line(number: int, p: Passage) -> str:
    """`[n] Title (year). Abstract, PMID ... link` or `... Consumer-health page, id link`."""
    year = f" ({p.year})" if p.year else ""
    ident = f"PMID {p.pmid}" if p.pmid else p.doc_id
    kind = source_kind(p).capitalize()
    return f"[{number}] {p.title}{year}. {kind}, {ident} {p.link}".rstrip()


def as_json(answer: Answer) -> dict:
    """The answer as plain data (`medchat ask --json`): the text, the verdict, how it was made
    (extractive, abstained), each citation with its support, each removed sentence with why."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "verdict": answer.verdict,
        "verdict_sure": answer.verdict_sure,
        "verdict_probability": answer.verdict_probability,
        "abstained": answer.abstained,
        "extractive": answer.extractive,
        "relevance": answer.relevance,
        "cited": answer.cited_ids,
        "citations": [
            {"number": c.number, "id": c.citation_id, "support": c.support,
             "numbers_ok": c.numbers_ok, "negation_ok": c.negation_ok}
            for c in answer.citations
        ],
        "dropped": [{"sentence": d.sentence, "reason": d.reason} for d in answer.dropped],
        "sources": [
            {"number": i, "id": p.citation_id, "kind": source_kind(p), "title": p.title,
             "year": p.year, "link": p.link, "cited": any(c.number == i for c in answer.citations)}
            for i, p in enumerate(answer.passages, 1)
        ],
        "disclaimer": answer.disclaimer,
    }


@dataclass(frozen=True)
class Choice:
    """A constrained decision among fixed labels (yes/no/maybe, trial outcome labels)."""

    label: str
    scores: dict[str, float]
    passages: tuple[Passage, ...] = ()
