"""Why metadata filters leave nothing to search, in words a user can act on.

A year filter over a corpus without years used to print nothing at all; now the CLI (and the UI)
can say "none of the 120 indexed documents has a year" instead.
"""

from __future__ import annotations

from typing import Any

from corpus.store import PassageStore


def _span(year_min: int | None, year_max: int | None) -> str:
    if year_min is not None and year_max is not None:
        return f"between {year_min} and {year_max}"
    return f"from {year_min} on" if year_min is not None else f"up to {year_max}"


def _terms(value: str | tuple[str, ...]) -> str:
    items = [value] if isinstance(value, str) else list(value)
    return " or ".join(repr(t) for t in items)


def why_empty(store: PassageStore, filters: Any) -> str | None:
    """None when `filters` (a retrieval Filters) leave passages to search; else the reasons none
    is left, e.g. "none of the 120 indexed documents has a year"."""
    if filters is None or filters.is_empty():
        return None
    y0, y1 = filters.year_min, filters.year_max
    if y0 is not None and y1 is not None and y0 > y1:
        return f"the year range is empty (from {y0} is after up to {y1})"
    if len(store.ids_matching(y0, y1, filters.publication_type, filters.mesh)):
        return None
    facts = store.metadata_counts()
    reasons = []
    if y0 is not None or y1 is not None:
        if not facts.with_year:
            reasons.append(f"none of the {facts.documents} indexed documents has a year")
        elif not len(store.ids_matching(year_min=y0, year_max=y1)):
            reasons.append(f"no document is {_span(y0, y1)} (the {facts.with_year} documents "
                           f"with a year run from {facts.first_year} to {facts.last_year})")
    for value, name, having in (
        (filters.publication_type, "publication type", facts.with_publication_type),
        (filters.mesh, "MeSH term", facts.with_mesh),
    ):
        if not value:
            continue
        if not having:
            reasons.append(f"none of the {facts.documents} indexed documents has a {name}")
        elif not len(store.ids_matching(publication_type=value if name != "MeSH term" else None,
                                        mesh=value if name == "MeSH term" else None)):
            reasons.append(f"no document has the {name} {_terms(value)}")
    if not reasons:
        reasons.append("each filter matches some documents, but no document matches them all")
    return "; ".join(reasons)
