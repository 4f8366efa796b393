"""The one check every question passes before search, from the CLI, the Python API and the UI.

Typed text can carry what a tokenizer or a prompt should never see: bytes that are not UTF-8
(on the command line Python keeps them as lone surrogates), control characters, invisible format
characters (zero-width spaces, right-to-left overrides). They are removed or refused here, with
a message, and the length limit lives here too.
"""

from __future__ import annotations

import unicodedata

from corpus.errors import InputError

MAX_QUERY_CHARS = 2000  # the one home of the question-length limit
_HOPELESS = 50  # input this many times over the limit is refused before it is cleaned


class QueryError(InputError):
    """A query that cannot be searched; the message says what to do instead."""


def clean_text(text: str, what: str = "text") -> str:
    """`text` as one tidy line: control characters become spaces, invisible format characters go,
    runs of whitespace collapse, and composed characters are normalised (NFC).

    Raises QueryError for lone surrogates (bytes that were not UTF-8), which cannot be repaired
    without guessing the encoding they came from.
    """
    for position, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            raise QueryError(
                f"the {what} is not valid UTF-8 (an undecodable byte at character {position + 1}); "
                "set your terminal or file to UTF-8 and type it again"
            )
    kept = []
    for char in text:
        kind = unicodedata.category(char)
        if kind == "Cc":
            kept.append(" ")
        elif kind != "Cf":
            kept.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def check_text(text: object, limit: int = MAX_QUERY_CHARS, what: str = "question") -> str:
    """Clean `text` (see clean_text) and refuse it, with what to do, when it is empty or longer
    than `limit` characters. Bytes are read as UTF-8."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "surrogateescape")
    text = "" if text is None else str(text)
    if len(text) > _HOPELESS * limit:
        raise QueryError(f"the {what} is {len(text):,} characters long; keep it under {limit} "
                         "(ask about one thing at a time)")
    cleaned = clean_text(text, what)
    if not cleaned:
        raise QueryError(f"the {what} is empty: type a {what} to search the literature"
                         if what == "question" else f"the {what} is empty: type a few words")
    if len(cleaned) > limit:
        raise QueryError(f"the {what} is {len(cleaned)} characters long; keep it under {limit} "
                         "(ask about one thing at a time)")
    return cleaned


def check_query(query: object) -> str:
    """The question as search and the prompt will see it, or QueryError saying what to fix."""
    return check_text(query, MAX_QUERY_CHARS, "question")
