"""The errors a user can fix: one base class, so the CLIs and the app turn them into messages.

It lives in corpus/, the lowest layer, so corpus, retrieval, assistant, evals and the app can all
raise and catch it. Every message says what went wrong and what to do. Anything that is not a
`MedchatError` is a bug and is left to surface as a traceback.

Each kind also derives from the built-in exception that callers caught before it existed
(`ValueError`, `FileNotFoundError`, `RuntimeError`), so older `except` clauses keep working.
"""

from __future__ import annotations


class MedchatError(Exception):
    """Something the user can fix (input, corpus, index, settings, models); the message says how."""


class InputError(MedchatError, ValueError):
    """A question, file or argument that cannot be used as given."""


class CorpusError(InputError):
    """Corpus input that cannot be read at all (missing, empty, not a known format)."""


class IndexMissingError(MedchatError, FileNotFoundError):
    """No index where the settings point: build one."""


class IndexMismatchError(MedchatError, RuntimeError):
    """The index on disk is incomplete, corrupt, or does not fit the current settings."""


class IndexBusyError(MedchatError, RuntimeError):
    """Another build or update holds the index folder's lock."""


class ModelError(MedchatError, RuntimeError):
    """A model that cannot be found, verified or reached."""


class WeightsError(ModelError):
    """A packaged model is missing or its weights do not match the pinned checksum."""
