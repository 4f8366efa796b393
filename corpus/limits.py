"""How large one input record may be: a bound on memory and work per record, so one hostile or
broken line (a 10 MB record once became 14,267 passages) cannot stall a whole build."""

from __future__ import annotations

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

# A PubMed abstract is 1-3 thousand characters and a full-text article rarely passes 200,000;
# a million is generous for real text and still cuts a runaway record to a few seconds of work.
MAX_RECORD_CHARS = 1_000_000


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class ReaderSettings:
    """Reader limits (the `[reading]` settings); a record over a limit is reported with its file
    and line and skipped."""

    max_record_chars: int = Field(
        MAX_RECORD_CHARS, description="longest record in characters: one JSONL line, or the text "
        "and attributes of one PubMed XML article; over it: reported and skipped (at least 1000)")
    max_depth: int = Field(
        100, description="deepest markup nesting inside one PubMed XML article (at least 10)")

    def __post_init__(self) -> None:
        if self.max_record_chars < 1000:
            raise ValueError(
                f"reading max_record_chars must be at least 1000, got {self.max_record_chars}"
            )
        if self.max_depth < 10:
            raise ValueError(f"reading max_depth must be at least 10, got {self.max_depth}")


DEFAULT_LIMITS = ReaderSettings()
