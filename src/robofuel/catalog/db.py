"""The catalog: what exists in the lake, indexed for queries, through SQLAlchemy.

SQLite inside the lake by default; PostgreSQL (``postgresql+psycopg://...``) for a catalog shared by many machines.
A row in ``episodes`` is what makes an episode visible; its metadata JSON in the lake stays the full record, the
columns here are what queries filter and group on.

Opening is safe when several commands start together on a new lake: the tables are created with ``IF NOT EXISTS``,
SQLite waits for a lock (busy timeout set when the connection opens) and the schema setup retries while the file is
locked. A SQLite catalog this process cannot write is opened read-only (:mod:`robofuel.catalog.sqlite`: no file
created or changed, no schema, no WAL switch): queries work and every write raises
:class:`~robofuel.errors.StorageError`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from robofuel._lazy import require
from robofuel.catalog import sqlite
from robofuel.errors import StorageError
from robofuel.standard import Episode
from robofuel.standard.rights import covered_text

metadata = sa.MetaData()

recordings = sa.Table(
    "recordings",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.String(64), nullable=False),
    sa.Column("raw", sa.Text, nullable=False, doc="Lake path of the stored raw copy."),
    sa.Column("status", sa.String(16), nullable=False, doc="ok | partial"),
    sa.Column("episodes", sa.Integer, nullable=False),
    sa.Column("report", sa.Text, nullable=False, doc="Per-file ingest report, JSON."),
    sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("superseded_by", sa.String(64), doc="sha256 of a later recording ingested from the same path."),
)

episodes = sa.Table(
    "episodes",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("recording", sa.String(64), sa.ForeignKey("recordings.sha256"), nullable=False, index=True),
    sa.Column("recording_path", sa.Text, nullable=False),
    sa.Column("format", sa.String(64), nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("embodiment", sa.Text),
    sa.Column("task", sa.Text),
    sa.Column("instruction", sa.Text),
    sa.Column("scene", sa.Text),
    sa.Column("site", sa.Text),
    sa.Column("station", sa.Text),
    sa.Column("operator", sa.Text),
    sa.Column("device", sa.Text),
    sa.Column("day", sa.String(10), doc="UTC date of the episode start, YYYY-MM-DD."),
    sa.Column("start_ns", sa.BigInteger, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("streams", sa.Integer, nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("superseded_by", sa.String(64), doc="As its recording's: set when a changed file replaced it."),
    sa.Column("license", sa.Text, doc="SPDX licence id of the data."),
    sa.Column("consent", sa.Text, doc="Purposes consented to, comma-separated (robofuel.standard.rights)."),
    sa.Column("min_confidence", sa.Float, doc="Lowest confidence of the episode's scored segments (0-1), or None."),
    sa.Column("annotation_review", sa.Boolean, doc="The annotate step asks a person to look at its annotation."),
    # the dashboard's figures (robofuel.report.qc_catalog), so it reads no episode file
    sa.Column("kept_s", sa.Float, doc="Seconds cleaning keeps (the duration without cleaning); None: not yet filled."),
    sa.Column("synthetic", sa.Boolean, doc="Generated, not recorded (extra['synthetic'])."),
    sa.Column("causes", sa.Text, doc="Distinct codes of the blocking findings, sorted, comma-separated."),
    sa.Column("finding_codes", sa.Text, doc="Every finding counted by code, JSON {code: n} sorted by code."),
)
#: Columns the episode browser sorts on (:mod:`robofuel.catalog.browse`).
SORTABLE = (
    "start_ns",
    "id",
    "duration_s",
    "verdict",
    "operator",
    "task",
    "scene",
    "station",
    "day",
    "findings",
    "recording_path",
)
#: Indexes made by :func:`_migrate` (after the columns they name exist): each sortable column with the id (the
#: tie-break) and ``superseded_by`` (the filter every list applies), so a page of current episodes is read from one
#: index without sorting or visiting the table; and the superseded alone (a partial index: the planner must not
#: take it for the current ones), for counting them.
ADDED_INDEXES = {
    **{f"ix_episodes_by_{c}": f"episodes ({c}, id, superseded_by)" for c in SORTABLE if c != "id"},
    "ix_episodes_by_id": "episodes (id, superseded_by)",
    "ix_episodes_superseded": "episodes (superseded_by) WHERE superseded_by IS NOT NULL",
}

step_runs = sa.Table(
    "step_runs",
    metadata,
    sa.Column("episode_id", sa.String(64), primary_key=True),
    sa.Column("content_hash", sa.String(64), primary_key=True),
    sa.Column("step", sa.String(64), primary_key=True),
    sa.Column("version", sa.String(32), primary_key=True),
    sa.Column("config_hash", sa.String(64), primary_key=True),
    sa.Column("report", sa.Text, nullable=False, doc="Step report, JSON."),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True, doc="sha256 of the input, or of its path when unreadable."),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# -- the console (robofuel serve): people, their credentials and their review decisions ----------------------------
# Tables added after the first catalogs: _create_schema makes them (IF NOT EXISTS) when an older catalog is opened.

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False, doc="viewer | reviewer | manager | admin"),
    sa.Column("password", sa.Text, nullable=False, doc="scrypt$N$r$p$salt$hash (base64), never the password."),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("org", sa.String(128), doc="The user's organisation: release grants to org:ORG reach them."),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True, doc="sha256 of the token: the token itself is not kept."),
    sa.Column("user", sa.String(128), sa.ForeignKey("users.name"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False, doc="api (robofuel tokens create) | session (a login)"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), doc="None: until revoked."),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("episode_id", sa.String(64), nullable=False, index=True),
    sa.Column("decision", sa.String(8), nullable=False, doc="accept | reject"),
    sa.Column("verdict", sa.String(16), nullable=False, doc="The verdict the decision set."),
    sa.Column("start_s", sa.Float, doc="Reviewed span, s from the episode start (None: from the start)."),
    sa.Column("end_s", sa.Float),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("segment", sa.Integer, doc="A segment edit (decision 'edit'): the segment's index before the edit."),
    sa.Column("label", sa.Text, doc="A segment edit: the segment's label after it."),
)

# -- operations (robofuel ops): the registry of the base, one row per item, so the console can edit one -----------

ops_records = sa.Table(
    "ops_records",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True, doc="costs | shifts | devices | operators | stations | ..."),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("data", sa.Text, nullable=False, doc="The item, JSON (robofuel.ops.model)."),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(128), nullable=False, doc="Who loaded or edited it (a file, a user)."),
)

# -- releases (robofuel release): one row per frozen release, written once (robofuel.release.store) ------------

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("path", sa.Text, nullable=False, doc="Lake-relative folder: releases/<name>."),
    sa.Column("format", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("episodes", sa.Integer, nullable=False),
    sa.Column("license", sa.Text, nullable=False, doc="SPDX expression of the release."),
    sa.Column("recipients", sa.Text, nullable=False, doc="JSON list of the recipients' copies."),
    sa.Column("manifest_sha256", sa.String(64), nullable=False, doc="sha256 of release.json as signed."),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# -- gated access to releases (robofuel.release.grants, .audit): who may download which release until when ---------

release_grants = sa.Table(
    "release_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("release", sa.String(128), nullable=False, index=True),
    sa.Column("grantee", sa.String(140), nullable=False, doc="A user name, or org:ORG for every user of ORG."),
    sa.Column("recipient", sa.String(128), doc="The recipient copy served (recipients/<name>/); None: the base's own."),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("granted_by", sa.String(160), nullable=False),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_by", sa.String(160)),
    sa.Column("revoked_at", sa.DateTime(timezone=True), doc="None: not revoked."),
)

release_audit = sa.Table(
    "release_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(160), nullable=False, doc="A console user, or cli:<system user>."),
    sa.Column("action", sa.String(16), nullable=False, doc="grant | revoke | list | files | download"),
    sa.Column("release", sa.String(128), index=True, doc="None: the listing of every release."),
    sa.Column("path", sa.Text, doc="The file asked for (as asked, cut to 300 characters)."),
    sa.Column("range", sa.String(64), doc="The Range header as sent."),
    sa.Column("bytes", sa.BigInteger, doc="Bytes the response carried (a download)."),
    sa.Column("status", sa.Integer, nullable=False, doc="The HTTP status (0 for a command-line change)."),
    sa.Column("outcome", sa.String(16), nullable=False, doc="ok | refused | not-found | bad-request"),
    sa.Column("detail", sa.Text, nullable=False),
)

saved_queries = sa.Table(
    "saved_queries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(128), nullable=False, index=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("expression", sa.Text, nullable=False, doc="A --where expression ('' for every episode)."),
    sa.Column("sort", sa.String(64), nullable=False),
    sa.Column("direction", sa.String(4), nullable=False, doc="asc | desc"),
    sa.Column("team", sa.Boolean, nullable=False, doc="Listed to every user (made by a manager), not the owner only."),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("owner", "name"),
)

#: The finding code of the annotate step asking for a person (robofuel.steps.annotate.review.CODE; not imported:
#: the catalog does not load the steps).
ANNOTATION_REVIEW = "annotate.needs_review"

# -- packing (robofuel pack, robofuel.catalog.packs): which episodes lie in which shard -------------------------

packs = sa.Table(
    "packs",
    metadata,
    sa.Column("shard", sa.String(64), primary_key=True, doc="The folder packs/<shard>/ in the lake."),
    sa.Column("episodes", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, doc="committed (episodes being repointed) | done"),
    sa.Column("packed_at", sa.DateTime(timezone=True), nullable=False),
)

packed_episodes = sa.Table(
    "packed_episodes",
    metadata,
    sa.Column("episode_id", sa.String(64), primary_key=True),
    sa.Column("shard", sa.String(64), nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False, doc="The version packed; another one is unpacked."),
)

#: Columns a ``--where`` expression or ``--by`` grouping may name.
QUERYABLE = (
    "id",
    "recording",
    "recording_path",
    "format",
    "idx",
    "embodiment",
    "task",
    "instruction",
    "scene",
    "site",
    "station",
    "operator",
    "device",
    "day",
    "duration_s",
    "streams",
    "verdict",
    "findings",
    "superseded_by",
    "license",
    "consent",
    "min_confidence",
)

#: Columns added after a catalog's tables may already exist, created by :func:`_migrate` (table, column).
ADDED_COLUMNS = (
    ("recordings", "superseded_by"),
    ("episodes", "superseded_by"),
    ("episodes", "license"),
    ("episodes", "consent"),
    ("episodes", "min_confidence"),
    ("episodes", "annotation_review"),
    ("episodes", "kept_s"),
    ("episodes", "synthetic"),
    ("episodes", "causes"),
    ("episodes", "finding_codes"),
    ("reviews", "segment"),
    ("reviews", "label"),
    ("users", "org"),
)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StepKey:
    """What identifies one step's result on one episode: re-running with the same key does nothing.

    The episode id is part of the key because steps write into the episode's own metadata: two episodes with the
    same samples (a re-upload) are still processed each.
    """

    episode_id: str
    content_hash: str
    step: str
    version: str
    config_hash: str


def episode_row(meta: Episode) -> dict[str, Any]:
    """The catalog columns of an episode's metadata."""
    return {
        "id": meta.id,
        "recording": meta.recording.sha256,
        "recording_path": meta.recording.path,
        "format": meta.recording.format,
        "idx": meta.recording.index,
        "content_hash": meta.content_hash or "",
        "embodiment": meta.embodiment,
        "task": meta.task.id,
        "instruction": meta.task.instruction,
        "scene": meta.scene,
        "site": meta.site,
        "station": meta.station,
        "operator": meta.operator,
        "device": ",".join(meta.devices) or None,
        "day": meta.start_time.date().isoformat(),
        "start_ns": meta.start_ns,
        "duration_s": meta.duration_s,
        "streams": len(meta.streams),
        "verdict": meta.verdict,
        "findings": len(meta.findings),
        "license": meta.license,
        "consent": covered_text(meta.consent),
        "min_confidence": min((s.confidence for s in meta.segments if s.confidence is not None), default=None),
        "annotation_review": any(f.code == ANNOTATION_REVIEW for f in meta.findings),
        "kept_s": meta.kept_duration_s,
        "synthetic": bool(meta.extra.get("synthetic")),
        "causes": ",".join(sorted({f.code for f in meta.findings if f.severity == "blocking"})),
        "finding_codes": json.dumps(dict(sorted(Counter(f.code for f in meta.findings).items()))),
        "updated_at": now(),
    }


class Catalog:
    """The catalog behind a SQLAlchemy URL; tables are created on first use.

    ``read_only`` (default: a SQLite file this process cannot write) opens it for queries only.
    """

    def __init__(self, url: str, read_only: bool | None = None) -> None:
        if url.startswith("postgresql"):
            require("psycopg", "postgres")
        self.url = url
        self.where = sa.engine.make_url(url).render_as_string(hide_password=True)
        file = sqlite.database_file(url)
        self.read_only = bool(file and sqlite.read_only(file)) if read_only is None else read_only
        self.engine: Engine = sqlite.engine(url, self.read_only, ADDED_COLUMNS) if file else sa.create_engine(url)
        if not self.read_only:
            sqlite.retry_locked(lambda: _create_schema(self.engine))
            sqlite.retry_locked(lambda: _migrate(self.engine))

    def close(self) -> None:
        self.engine.dispose()

    def check_writable(self, what: str = "this command") -> None:
        """Raise :class:`StorageError` if the catalog is read-only for this process."""
        if self.read_only:
            raise StorageError(
                f"{self.where}: the catalog is read-only for this user (another user's lake or a read-only mount), "
                f"and {what} needs to write it; reading commands (ls, show, stats, validate, export) work: ask its "
                "owner for write access or work on a copy"
            )

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """One write transaction; refused on a read-only catalog, a full disk becomes a StorageError."""
        self.check_writable("this change")
        try:
            with self.engine.begin() as c:
                yield c
        except sa.exc.OperationalError as exc:
            text = str(exc.orig)
            if "readonly" in text or "read-only" in text or "disk is full" in text:
                raise StorageError(
                    f"{self.where}: the catalog cannot be written ({text}); nothing of this change was kept: "
                    "free space or fix the permissions, then run the command again"
                ) from exc
            raise

    def writing(self) -> AbstractContextManager[sa.Connection]:
        """One write transaction, for the modules that own tables of their own (users, tokens, reviews)."""
        return self._writing()

    # -- recordings and episodes ---------------------------------------------------------------------------------

    def has_recording(self, sha: str) -> bool:
        with self.engine.connect() as c:
            return c.execute(sa.select(recordings.c.sha256).where(recordings.c.sha256 == sha)).first() is not None

    def commit_recording(
        self, row: dict[str, Any], metas: Sequence[Episode], same_paths: Sequence[str] = ()
    ) -> list[str]:
        """Make a recording and its episodes visible, in one transaction (replacing a previous attempt); earlier
        recordings ingested from one of ``same_paths`` (other content, same file) and their episodes are marked
        superseded by it, never deleted. Returns the sha256 of the recordings it superseded."""
        sha = row["sha256"]
        with self._writing() as c:
            c.execute(sa.delete(episodes).where(episodes.c.recording == sha))
            c.execute(sa.delete(recordings).where(recordings.c.sha256 == sha))
            c.execute(sa.delete(quarantine).where(quarantine.c.key == sha))
            c.execute(sa.insert(recordings).values(**row, ingested_at=now()))
            if metas:
                c.execute(sa.insert(episodes), [episode_row(m) for m in metas])
            if same_paths:
                t = recordings.c
                current = sa.and_(t.path.in_(list(same_paths)), t.sha256 != sha, t.superseded_by.is_(None))
                older = sorted(r[0] for r in c.execute(sa.select(t.sha256).where(current)))
                if older:
                    c.execute(sa.update(episodes).where(episodes.c.recording.in_(older)).values(superseded_by=sha))
                    c.execute(sa.update(recordings).where(t.sha256.in_(older)).values(superseded_by=sha))
                return older
        return []

    def update_episodes(self, metas: Iterable[Episode]) -> None:
        """Refresh the catalog columns of episodes whose metadata changed (one written anew, unpacked, is no longer
        recorded as packed: ``robofuel pack`` packs it again)."""
        with self._writing() as c:
            for meta in metas:
                values = episode_row(meta)
                c.execute(sa.update(episodes).where(episodes.c.id == meta.id).values(**values))
                if meta.streams and not any(s.path.startswith("packs/") for s in meta.streams):
                    c.execute(sa.delete(packed_episodes).where(packed_episodes.c.episode_id == meta.id))

    def episode_ids(self, where: sa.ColumnElement[bool] | None = None) -> list[str]:
        query = sa.select(episodes.c.id).order_by(episodes.c.start_ns, episodes.c.id)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as c:
            return [r[0] for r in c.execute(query)]

    def episode_rows(self, where: sa.ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
        query = sa.select(episodes).order_by(episodes.c.start_ns, episodes.c.id)
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(query)]

    def recording_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(recordings).order_by(recordings.c.path))
            return [dict(r._mapping) for r in rows]

    def superseded_by(self, episode_id: str) -> str | None:
        """The recording that superseded this episode's (a newer version of its file), or None."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(episodes.c.superseded_by).where(episodes.c.id == episode_id)).first()
        return None if row is None else row[0]

    def find_episode(self, prefix: str) -> str | None:
        """The one episode id equal to or starting with ``prefix``; None when none or several match."""
        ids = self.match_episodes(prefix, limit=2)
        return ids[0] if len(ids) == 1 else None

    def match_episodes(self, prefix: str, limit: int = 10) -> list[str]:
        """Episode ids starting with ``prefix`` in id order, at most ``limit``; only ``prefix`` when it is an id."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(episodes.c.id)
                .where(sa.or_(episodes.c.id == prefix, episodes.c.id.startswith(prefix, autoescape=True)))
                .order_by(episodes.c.id)
                .limit(limit)
            ).all()
        ids = [r[0] for r in rows]
        return [prefix] if prefix in ids else ids

    def group_counts(self, by: str, where: sa.ColumnElement[bool] | None = None) -> list[dict[str, Any]]:
        """Episodes, hours and verdict counts grouped by one queryable column."""
        col = episodes.c[by]
        query = (
            sa.select(
                col.label("key"),
                sa.func.count().label("episodes"),
                (sa.func.sum(episodes.c.duration_s) / 3600.0).label("hours"),
                sa.func.sum(sa.case((episodes.c.verdict == "qualified", 1), else_=0)).label("qualified"),
            )
            .group_by(col)
            .order_by(col.asc().nulls_last())
        )
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(query)]

    # -- step completion -----------------------------------------------------------------------------------------

    @staticmethod
    def _step_match(key: StepKey) -> sa.ColumnElement[bool]:
        t = step_runs.c
        return sa.and_(
            t.episode_id == key.episode_id,
            t.content_hash == key.content_hash,
            t.step == key.step,
            t.version == key.version,
            t.config_hash == key.config_hash,
        )

    def step_result(self, key: StepKey) -> dict[str, Any] | None:
        """The stored report of a finished step, or None if it never completed."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(step_runs.c.report).where(self._step_match(key))).first()
        return None if row is None else dict(json.loads(row[0]))

    def step_inputs(self, episode_id: str, step: str, version: str, config_hash: str) -> list[str]:
        """The content hashes on which this step (version, config) finished for the episode."""
        t = step_runs.c
        query = sa.select(t.content_hash).where(
            t.episode_id == episode_id, t.step == step, t.version == version, t.config_hash == config_hash
        )
        with self.engine.connect() as c:
            return [str(row[0]) for row in c.execute(query)]

    def record_step(self, key: StepKey, report: dict[str, Any]) -> None:
        """Mark a step finished on an episode, with its report (replacing an earlier record of the same key)."""
        with self._writing() as c:
            c.execute(sa.delete(step_runs).where(self._step_match(key)))
            c.execute(
                sa.insert(step_runs).values(**key.__dict__, report=json.dumps(report, default=str), finished_at=now())
            )

    # -- quarantine ----------------------------------------------------------------------------------------------

    def add_quarantine(self, key: str, path: str, code: str, message: str) -> None:
        with self._writing() as c:
            c.execute(sa.delete(quarantine).where(quarantine.c.key == key))
            c.execute(sa.insert(quarantine).values(key=key, path=path, code=code, message=message, at=now()))

    def quarantine_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(sa.select(quarantine).order_by(quarantine.c.path))]


def _create_schema(engine: Engine) -> None:
    """Create the missing tables and indexes; ``IF NOT EXISTS`` makes two processes doing it at once harmless."""
    with engine.begin() as c:
        for table in metadata.sorted_tables:
            c.execute(sa.schema.CreateTable(table, if_not_exists=True))
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                c.execute(sa.schema.CreateIndex(index, if_not_exists=True))


def _migrate(engine: Engine) -> None:
    """Add the columns of :data:`ADDED_COLUMNS` that a catalog made by an earlier version lacks (SQLite and
    PostgreSQL both take ``ALTER TABLE ... ADD COLUMN``; a concurrent process adding it first is fine), then the
    indexes of :data:`ADDED_INDEXES` (``IF NOT EXISTS``)."""
    for table, column in ADDED_COLUMNS:
        if column in {c["name"] for c in sa.inspect(engine).get_columns(table)}:
            continue
        kind = metadata.tables[table].c[column].type.compile(engine.dialect)
        try:
            with engine.begin() as c:
                c.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
        except sa.exc.DBAPIError:
            if column not in {c["name"] for c in sa.inspect(engine).get_columns(table)}:
                raise
    for name, on in ADDED_INDEXES.items():
        try:
            with engine.begin() as c:
                c.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON {on}"))
        except sa.exc.DBAPIError:  # PostgreSQL: another process made it at the same moment
            if name not in {i["name"] for i in sa.inspect(engine).get_indexes("episodes")}:
                raise
