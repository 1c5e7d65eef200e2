"""The session's current conversation, kept in the conversation store after each message and
every few seconds of a reply.

A session that did not end cleanly (a crash, `kill -9`) leaves its file unfinished, with the
reply in flight up to the last save; the next start offers that conversation, or the one
updated last, to continue.
"""

from __future__ import annotations

import time
from dataclasses import replace

from app.core.config.paths import data_dir
from app.core.conversations.conversation import Conversation
from app.core.conversations.store import (
    MAX_N_CTX,
    ConversationRecord,
    ConversationStore,
    has_messages,
    new_id,
    title_from,
)
from app.core.errors import UsageError
from app.core.files import field_checks as fields
from app.core.files.json_io import parse_json

LEGACY_NAME = "autosave.json"  # the single autosave file of earlier versions, imported once
IN_FLIGHT_INTERVAL = 2.0


class Autosave:
    def __init__(self, store: ConversationStore | None = None, interval: float = IN_FLIGHT_INTERVAL) -> None:
        self.store = store or ConversationStore()
        self.interval = interval
        self._last = 0.0
        self._record: ConversationRecord | None = None  # as last written by this session
        self._written_ns: int | None = None
        self._origin: str | None = None
        self.notices: list[str] = []  # what was damaged or set aside while reading, for the user

    @property
    def current_id(self) -> str | None:
        return self._record.id if self._record is not None else None

    def save(self, conversation: Conversation, model: str, n_ctx: int, in_flight: str | None = None,
             finished: bool = False) -> None:
        """Write the conversation to its file; nothing until it has a message besides the system prompt."""
        if self._record is None and not has_messages(conversation) and not in_flight:
            return
        now = time.time()
        base = self._adopt_changes() or ConversationRecord(
            id=new_id(now), title="", created=now, updated=now, model=model, n_ctx=n_ctx,
            conversation=conversation, origin=self._origin,
        )
        record = replace(
            base, title=base.title if base.renamed else title_from(conversation), updated=now, model=model,
            n_ctx=n_ctx, conversation=conversation, in_flight=in_flight or None, finished=finished,
        )
        self._write(record)

    def _write(self, record: ConversationRecord) -> None:
        path = self.store.save(record)
        self._record = record
        self._written_ns = path.stat().st_mtime_ns
        self._last = time.monotonic()

    def _adopt_changes(self) -> ConversationRecord | None:
        """The record to build on: a rename made meanwhile through the store is kept."""
        record = self._record
        if record is None:
            return None
        try:
            if self.store.path(record.id).stat().st_mtime_ns != self._written_ns:
                other = self.store.load(record.id)
                return replace(record, title=other.title, renamed=other.renamed)
        except (OSError, UsageError):
            pass
        return record

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval

    def mark_finished(self) -> None:
        base = self._adopt_changes()
        if base is not None and not base.finished:
            self._write(replace(base, finished=True))

    def start_new(self, origin: str | None = None) -> None:
        """The next save starts a conversation of its own; the current one is left as it was saved."""
        self.mark_finished()
        self._record = None
        self._written_ns = None
        self._origin = origin

    def adopt(self, record: ConversationRecord) -> None:
        """Go on writing to `record`'s file (an opened or resumed conversation)."""
        if self._record is not None and self._record.id != record.id:
            self.mark_finished()
        self._record = record
        self._origin = record.origin
        try:
            self._written_ns = self.store.path(record.id).stat().st_mtime_ns
        except OSError:
            self._written_ns = None

    def pending(self) -> dict | None:
        """The conversation to offer on start: the one updated last, with what a crash cut short."""
        self._import_legacy()
        try:
            listing = self.store.list()
        except OSError:
            return None
        if listing.damaged:
            many = len(listing.damaged) > 1
            self.notices.append(f"{len(listing.damaged)} conversation file{'s are' if many else ' is'} damaged: "
                                "the conversation list shows why")
        record = listing.latest()
        if record is None:
            return None
        return {"id": record.id, "title": record.title, "conversation": record.conversation,
                "in_flight": record.in_flight or "", "saved": record.updated, "model": record.model,
                "n_ctx": record.n_ctx, "finished": record.finished}

    def _import_legacy(self) -> None:
        """Bring the autosave file of an earlier version into the store; a damaged one is moved aside."""
        path = data_dir() / LEGACY_NAME
        try:
            raw = path.read_bytes()
        except OSError:
            return
        try:
            data = fields.mapping(parse_json(raw), "the file")
            conversation = Conversation.from_state_json(data.get("conversation"), "conversation")
            saved = fields.timestamp(data.get("saved") or time.time(), "saved")
            in_flight = data.get("in_flight")
            if in_flight is not None:
                fields.text(in_flight, "in_flight")
            record = ConversationRecord(
                id=new_id(saved), title=title_from(conversation), created=saved, updated=saved,
                model=fields.text(data.get("model") or "", "model", 4096),
                n_ctx=fields.integer(data.get("n_ctx") or 0, "n_ctx", 0, MAX_N_CTX),
                conversation=conversation, in_flight=in_flight or None,
                finished=fields.boolean(data.get("finished", False), "finished"),
            )
        except (ValueError, UsageError) as err:
            aside = path.with_name(LEGACY_NAME + ".damaged")
            self.notices.append(f"{path} is damaged ({err}): moved aside to {aside.name}")
            try:
                path.replace(aside)
            except OSError:
                pass
            return
        try:
            if has_messages(conversation) or in_flight:
                self.store.save(record)
            path.unlink()
        except OSError:
            return
