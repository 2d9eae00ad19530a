"""SQLite schema as numbered migrations, applied when a generation is opened for writing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def m001_documents(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            file_hash TEXT NOT NULL,
            format TEXT NOT NULL,
            title TEXT,
            organisation TEXT,
            doc_type TEXT,
            date TEXT,
            decision_ref TEXT,
            source_url TEXT,
            page_starts TEXT NOT NULL,
            empty_pages TEXT NOT NULL,
            text TEXT NOT NULL,
            meta TEXT NOT NULL DEFAULT '{}',
            indexed_at TEXT NOT NULL
        );
        CREATE INDEX documents_organisation ON documents(organisation);
        CREATE INDEX documents_date ON documents(date);
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            page INTEGER NOT NULL,
            page_end INTEGER NOT NULL,
            section TEXT,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            token_count INTEGER NOT NULL
        );
        CREATE INDEX chunks_doc ON chunks(doc_id, ordinal);
        """
    )


def m002_chunks_fts(conn: sqlite3.Connection) -> None:
    # External-content FTS5 over chunks, kept in step by triggers. Porter stemming because
    # council text mixes "commission", "commissioned", "commissioning".
    conn.executescript(
        """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            text, section, content='chunks', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, text, section) VALUES (new.id, new.text, new.section);
        END;
        CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text, section)
            VALUES ('delete', old.id, old.text, old.section);
        END;
        """
    )


def m003_facts(conn: sqlite3.Connection) -> None:
    # Facts and commissioning records extracted at index time; each keeps its evidence
    # (offsets, quote, page) so every answer cell can cite the sentence that states it.
    conn.executescript(
        """
        CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            surface TEXT NOT NULL,
            attrs TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            quote TEXT NOT NULL,
            page INTEGER NOT NULL
        );
        CREATE INDEX facts_doc ON facts(doc_id, kind);
        CREATE INDEX facts_value ON facts(kind, value);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            commissioner TEXT,
            commissioner_code TEXT,
            service TEXT,
            provider TEXT,
            mechanism TEXT,
            duration TEXT,
            funding_streams TEXT NOT NULL,
            amounts TEXT NOT NULL,
            decision_date TEXT,
            evidence TEXT NOT NULL
        );
        CREATE INDEX records_doc ON records(doc_id);
        CREATE INDEX records_commissioner ON records(commissioner);
        """
    )


def m004_drop_chunks_fts(conn: sqlite3.Connection) -> None:
    # BM25 moved to a bm25s index beside the vectors (indexer/lexical.py): FTS5 scored every
    # matching row at query time, about 0.75 s at a million chunks.
    conn.executescript(
        """
        DROP TRIGGER IF EXISTS chunks_ai;
        DROP TRIGGER IF EXISTS chunks_ad;
        DROP TABLE IF EXISTS chunks_fts;
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    m001_documents,
    m002_chunks_fts,
    m003_facts,
    m004_drop_chunks_fts,
]
VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this database has not had yet (tracked in user_version)."""
    done = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
        with conn:
            migration(conn)
            conn.execute(f"PRAGMA user_version = {number}")
