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


@dataclass(frozen=True)
class Citation:
    """A source number used in the answer, resolved to the passage (and PMID) it stands for."""

    number: int
    passage: Passage

    @property
    def citation_id(self) -> str:
        return self.passage.citation_id


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]  # the numbered sources shown to the model, [1] first
    hits: tuple[Hit, ...] = ()
    abstained: bool = False
    dropped: tuple[str, ...] = field(default=())  # unsupported or mis-cited sentences removed
    extractive: bool = False  # quotes from the sources, in place of an unsupported draft
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
                if c.number in shown:
                    continue
                shown.add(c.number)
                p = c.passage
                year = f" ({p.year})" if p.year else ""
                ident = f"PMID {p.pmid}" if p.pmid else p.doc_id
                lines.append(f"[{c.number}] {p.title}{year}. {ident} {p.link}".rstrip())
            lines.append("")
        lines.append(f"_{self.disclaimer}_")
        return "\n".join(lines)


@dataclass(frozen=True)
class Choice:
    """A constrained decision among fixed labels (yes/no/maybe, trial outcome labels)."""

    label: str
    scores: dict[str, float]
    passages: tuple[Passage, ...] = ()
