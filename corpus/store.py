"""The passage store: a SQLite file whose row ids are the ids the FAISS and BM25 indexes use.

Row ids start at 0 and each `add` takes the next contiguous block, so a store built in one go
holds ids 0..n-1 in `iter_passages` order (a plain FAISS index's positions). Ids are never
reused: after `delete_documents` there are gaps, and an index must map ids (or be rebuilt).
Publication types and MeSH terms are also kept in indexed side tables, so metadata filters are
answered by SQL rather than by scanning passages in Python on every query.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.errors import IndexMismatchError
from corpus.records import Passage

SCHEMA_VERSION = "1"
_BATCH = 500  # ids per IN (...) query, under SQLite's bound-parameter limit

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    text TEXT NOT NULL,
    title TEXT NOT NULL,
    pmid TEXT NOT NULL,
    year INTEGER,
    journal TEXT NOT NULL,
    publication_types TEXT NOT NULL,
    mesh TEXT NOT NULL,
    sections TEXT NOT NULL,
    link TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (doc_id, chunk)
);
CREATE INDEX passages_year ON passages (year);
CREATE TABLE passage_pubtype (
    pubtype TEXT NOT NULL COLLATE NOCASE,
    id INTEGER NOT NULL,
    PRIMARY KEY (pubtype, id)
) WITHOUT ROWID;
CREATE INDEX passage_pubtype_id ON passage_pubtype (id);
CREATE TABLE passage_mesh (
    term TEXT NOT NULL COLLATE NOCASE,
    id INTEGER NOT NULL,
    PRIMARY KEY (term, id)
) WITHOUT ROWID;
CREATE INDEX passage_mesh_id ON passage_mesh (id);
"""

_COLUMNS = (
    "id, doc_id, chunk, text, title, pmid, year, journal, publication_types, mesh, sections, "
    "link, source"
)


@dataclass(frozen=True)
class MetadataCounts:
    documents: int
    with_year: int
    first_year: int | None
    last_year: int | None
    with_publication_type: int
    with_mesh: int


def _row(row_id: int, p: Passage) -> tuple:
    return (
        row_id, p.doc_id, p.chunk, p.text, p.title, p.pmid, p.year, p.journal,
        json.dumps(list(p.publication_types)), json.dumps(list(p.mesh)),
        json.dumps(list(p.sections)), p.link, p.source,
    )  # fmt: skip


def _passage(row: sqlite3.Row) -> Passage:
    return Passage(
        doc_id=row["doc_id"],
        chunk=row["chunk"],
        text=row["text"],
        title=row["title"],
        pmid=row["pmid"],
        year=row["year"],
        journal=row["journal"],
        publication_types=tuple(json.loads(row["publication_types"])),
        mesh=tuple(json.loads(row["mesh"])),
        sections=tuple(json.loads(row["sections"])),
        link=row["link"],
        source=row["source"],
        row_id=row["id"],
    )


def _batches(items: Sequence, size: int = _BATCH) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _any_of(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class PassageStore:
    """Passages on disk. One connection behind a lock, so the app's worker threads can share it."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.path = path
        self.readonly = readonly

    @classmethod
    def create(cls, path: str | Path, overwrite: bool = False) -> PassageStore:
        """A new, empty store; refuses to replace an existing file unless `overwrite`."""
        path = Path(path)
        if path.exists():
            if not overwrite:
                raise FileExistsError(f"{path}: passage store exists (pass overwrite=True)")
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False)
        with conn:
            conn.executescript(_SCHEMA)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("schema_version", SCHEMA_VERSION), ("next_id", "0")],
            )
        conn.row_factory = sqlite3.Row
        return cls(conn, path, readonly=False)

    @classmethod
    def open(cls, path: str | Path, readonly: bool = True) -> PassageStore:
        """An existing store; read-only by default (the app never writes)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no passage store here (build the index first)")
        mode = "ro" if readonly else "rw"
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}", uri=True, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        try:
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise IndexMismatchError(
                f"{path}: not a medchat passage store ({exc}); rebuild with `medchat index build`"
            ) from None
        if found is None or found[0] != SCHEMA_VERSION:
            conn.close()
            raise IndexMismatchError(
                f"{path}: passage store schema {found and found[0]!r}, expected "
                f"{SCHEMA_VERSION!r}; rebuild with `medchat index build`"
            )
        return cls(conn, path, readonly=readonly)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> PassageStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.readonly:
            raise PermissionError(f"{self.path}: opened read-only (open with readonly=False)")

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def add(self, passages: Iterable[Passage]) -> list[int]:
        """Store passages in one transaction; returns their row ids, contiguous from the next id.

        `Passage.row_id` on input is ignored. A (doc_id, chunk) already stored is refused:
        delete the document first, so an index never holds two versions of it.
        """
        self._check_writable()
        items = list(passages)
        with self._lock, self._conn:
            start = int(
                self._conn.execute("SELECT value FROM meta WHERE key = 'next_id'").fetchone()[0]
            )
            ids = list(range(start, start + len(items)))
            try:
                self._conn.executemany(
                    f"INSERT INTO passages ({_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                    [_row(i, p) for i, p in zip(ids, items, strict=True)],
                )
            except sqlite3.IntegrityError as exc:
                msg = f"passage stored already; delete its document first ({exc})"
                raise ValueError(msg) from None
            self._conn.executemany(
                "INSERT OR IGNORE INTO passage_pubtype (pubtype, id) VALUES (?, ?)",
                [(t, i) for i, p in zip(ids, items, strict=True) for t in p.publication_types],
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO passage_mesh (term, id) VALUES (?, ?)",
                [(t, i) for i, p in zip(ids, items, strict=True) for t in p.mesh],
            )
            self._conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'next_id'", (str(start + len(items)),)
            )
        return ids

    def get(self, ids: Iterable[int]) -> list[Passage]:
        """Passages for `ids` in the order given (repeats allowed); KeyError for unknown ids."""
        wanted = [int(i) for i in ids]
        found: dict[int, Passage] = {}
        unique = sorted(set(wanted))
        with self._lock:
            for batch in _batches(unique):
                rows = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM passages WHERE id IN ({', '.join('?' * len(batch))})",
                    batch,
                )
                found.update((row["id"], _passage(row)) for row in rows)
        missing = [i for i in unique if i not in found]
        if missing:
            raise KeyError(f"no passage with row id {missing[:10]}")
        return [found[i] for i in wanted]

    def iter_batches(self, batch: int = 1000) -> Iterator[list[Passage]]:
        """All passages in row-id order, `batch` at a time (the lock is not held between them)."""
        last = -1
        while True:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            yield [_passage(row) for row in rows]
            last = rows[-1]["id"]

    def iter_passages(self, batch: int = 1000) -> Iterator[Passage]:
        """All passages in row-id order, read from disk `batch` rows at a time."""
        for passages in self.iter_batches(batch):
            yield from passages

    def doc_ids(self) -> list[str]:
        """Distinct document ids, in the order of their first passage."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc_id FROM passages GROUP BY doc_id ORDER BY MIN(id)"
            ).fetchall()
        return [row[0] for row in rows]

    def document(self, doc_id: str) -> list[Passage]:
        """Every passage of one document, in reading order ([] for an unknown id): a reader that
        weighs a whole abstract needs more than the one window retrieval ranked first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM passages WHERE doc_id = ? ORDER BY chunk", (doc_id,)
            ).fetchall()
        return [_passage(row) for row in rows]

    def titles(self) -> dict[str, str]:
        """Each document's title, keyed by doc id and (when it has one) by PMID."""
        found: dict[str, str] = {}
        with self._lock:
            for doc_id, pmid, title in self._conn.execute(
                "SELECT doc_id, pmid, title FROM passages WHERE chunk = 0"
            ):
                found[doc_id] = title
                if pmid:
                    found[pmid] = title
        return found

    def metadata_counts(self) -> MetadataCounts:
        """How many documents carry each kind of metadata a filter can use, and the year span:
        the facts that explain a filter matching nothing."""
        with self._lock:
            documents, with_year, first, last = self._conn.execute(
                "SELECT COUNT(DISTINCT doc_id), COUNT(DISTINCT CASE WHEN year IS NOT NULL "
                "THEN doc_id END), MIN(year), MAX(year) FROM passages"
            ).fetchone()
            with_terms = [
                self._conn.execute(
                    f"SELECT COUNT(DISTINCT p.doc_id) FROM passages p JOIN {table} t ON t.id = p.id"
                ).fetchone()[0]
                for table in ("passage_pubtype", "passage_mesh")
            ]
        return MetadataCounts(documents, with_year, first, last, *with_terms)

    def delete_documents(self, doc_ids: Iterable[str]) -> list[int]:
        """Remove every passage of these documents; returns the removed row ids (ascending), which
        an incremental index update must remove too. Unknown doc_ids are ignored."""
        self._check_writable()
        wanted = sorted(set(doc_ids))
        removed: list[int] = []
        with self._lock, self._conn:
            for batch in _batches(wanted):
                marks = ", ".join("?" * len(batch))
                removed += [
                    row[0]
                    for row in self._conn.execute(
                        f"SELECT id FROM passages WHERE doc_id IN ({marks})", batch
                    )
                ]
            for batch in _batches(removed):
                marks = ", ".join("?" * len(batch))
                for table in ("passage_pubtype", "passage_mesh", "passages"):
                    self._conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", batch)
        return sorted(removed)

    def ids_matching(
        self,
        year_min: int | None = None,
        year_max: int | None = None,
        publication_type: str | Iterable[str] | None = None,
        mesh: str | Iterable[str] | None = None,
    ) -> np.ndarray:
        """Row ids (int64, ascending) passing every given filter; None or empty means no filter.

        A year bound excludes passages without a year. `publication_type` and `mesh` match any
        of the given terms, case-insensitively, as whole terms.
        """
        where: list[str] = []
        params: list[object] = []
        if year_min is not None:
            where.append("year >= ?")
            params.append(int(year_min))
        if year_max is not None:
            where.append("year <= ?")
            params.append(int(year_max))
        for table, column, value in (
            ("passage_pubtype", "pubtype", publication_type),
            ("passage_mesh", "term", mesh),
        ):
            terms = _any_of(value)
            if terms:
                marks = ", ".join("?" * len(terms))
                where.append(f"id IN (SELECT id FROM {table} WHERE {column} IN ({marks}))")
                params += terms
        sql = "SELECT id FROM passages"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id", params).fetchall()
        return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))

    def fingerprint(self) -> str:
        """sha256 over (row id, doc_id, chunk, text) in row order: equal only when an index
        built from the store would hold the same text under the same ids."""
        digest = hashlib.sha256()
        last = -1
        while True:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT id, doc_id, chunk, text FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                    (last, 5000),
                ).fetchall()
            if not rows:
                return digest.hexdigest()
            for row in rows:
                digest.update(json.dumps(list(row), ensure_ascii=False).encode("utf-8") + b"\n")
            last = rows[-1][0]
