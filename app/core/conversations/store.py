"""Every conversation kept on disk: one JSON file each under `<data>/conversations/`.

A file holds the id, the title (the first user message unless the user renamed it), the
created and updated times, the model and `n_ctx` it ran with, the conversation state
(messages and compression checkpoints), the reply in flight at the last save, and whether
the session that wrote it ended cleanly. Files are written atomically with mode 0600; a
damaged file is listed with the reason and never hides the others.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.config.paths import data_dir, ensure_private_dir
from app.core.config.settings import write_private
from app.core.conversations.conversation import Conversation
from app.core.errors import UsageError
from app.core.files import field_checks as fields
from app.core.files.field_checks import DamagedFile
from app.core.files.json_io import json_bytes, parse_json
from app.core.limits import MAX_N_CTX

FORMAT_VERSION = 1
FOLDER_NAME = "conversations"
TITLE_MAX = 80
UNTITLED = "New conversation"
MAX_FILE_BYTES = 64 * 1024 * 1024
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


class ConversationError(UsageError):
    """A conversation file that cannot be used, or a bad id or title."""


def new_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    return f"{stamp}-{secrets.token_hex(3)}"


def check_id(conversation_id: str) -> str:
    if not isinstance(conversation_id, str) or not _ID.fullmatch(conversation_id):
        raise ConversationError(f"invalid conversation id {conversation_id!r}")
    return conversation_id


def check_title(title: str) -> str:
    """The title as it will be kept: one line of 1-80 printable characters."""
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        raise ConversationError("a title cannot be empty")
    if len(title) > TITLE_MAX:
        raise ConversationError(f"a title is at most {TITLE_MAX} characters, this one has {len(title)}")
    if any(not ch.isprintable() for ch in title):
        raise ConversationError("a title is one line without control characters")
    return title


def title_from(conversation: Conversation) -> str:
    """The first line of the first user message, shortened to fit a title."""
    for message in conversation.messages:
        if message.role == "user" and not message.summary and message.content.strip():
            line = " ".join(message.content.strip().splitlines()[0].split())
            line = "".join(ch for ch in line if ch.isprintable())
            return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1] + "…"
    return UNTITLED


def has_messages(conversation: Conversation) -> bool:
    return any(m.role != "system" for m in conversation.messages)


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    title: str
    created: float
    updated: float
    model: str
    n_ctx: int
    conversation: Conversation
    in_flight: str | None = None  # the reply being written at the last save
    finished: bool = False  # the session that wrote it ended cleanly
    renamed: bool = False  # the user chose the title; it no longer follows the first message
    origin: str | None = None  # where it came from, e.g. "snapshot NAME"

    @property
    def message_count(self) -> int:
        return sum(1 for m in self.conversation.messages if m.role != "system") + (1 if self.in_flight else 0)

    def to_json(self) -> dict:
        data = {
            "format_version": FORMAT_VERSION, "id": self.id, "title": self.title, "created": self.created,
            "updated": self.updated, "model": self.model, "n_ctx": self.n_ctx, "finished": self.finished,
            "renamed": self.renamed, "in_flight": self.in_flight, "conversation": self.conversation.state_json(),
        }
        if self.origin:
            data["origin"] = self.origin
        return data

    @classmethod
    def from_json(cls, data: object, where: str) -> ConversationRecord:
        if not isinstance(data, dict):
            raise ConversationError(f"{where}: not a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ConversationError(f"{where}: format {version!r} is not one this version reads")
        kinds: dict[str, type | tuple[type, ...]] = {
            "id": str, "title": str, "created": (int, float), "updated": (int, float), "model": str, "n_ctx": int,
            "conversation": dict,
        }
        for key, kind in kinds.items():
            if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
                raise ConversationError(f"{where}: {key} is missing or of the wrong type")
        try:
            title = fields.text(data["title"], "title", 10 * TITLE_MAX)
            created = fields.timestamp(data["created"], "created")
            updated = fields.timestamp(data["updated"], "updated")
            model = fields.text(data["model"], "model", 4096)
            n_ctx = fields.integer(data["n_ctx"], "n_ctx", 0, MAX_N_CTX)
            in_flight = _optional(data.get("in_flight"), "in_flight")
            finished = fields.boolean(data.get("finished", False), "finished")
            renamed = fields.boolean(data.get("renamed", False), "renamed")
            origin = _optional(data.get("origin"), "origin")
        except fields.FieldError as err:
            raise ConversationError(f"{where}: {err}") from None
        return cls(
            id=check_id(data["id"]), conversation=Conversation.from_state_json(data["conversation"], where),
            title=title, created=created, updated=updated, model=model, n_ctx=n_ctx, in_flight=in_flight or None,
            finished=finished, renamed=renamed, origin=origin,
        )


def _optional(value: object, what: str) -> str | None:
    return None if value is None else fields.text(value, what)


@dataclass(frozen=True)
class Listing:
    records: tuple[ConversationRecord, ...]  # newest update first
    damaged: tuple[DamagedFile, ...]

    def latest(self) -> ConversationRecord | None:
        """The conversation updated last that has a message besides the system prompt."""
        return next((r for r in self.records if r.message_count), None)


class ConversationStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = ensure_private_dir(folder or data_dir() / FOLDER_NAME)

    def path(self, conversation_id: str) -> Path:
        return self.folder / f"{check_id(conversation_id)}.json"

    def exists(self, conversation_id: str) -> bool:
        return self.path(conversation_id).exists()

    def save(self, record: ConversationRecord) -> Path:
        path = self.path(record.id)
        write_private(path, json_bytes(record.to_json()))
        return path

    def _read(self, path: Path) -> ConversationRecord:
        where = f"conversation file {path.name}"
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ConversationError(f"{where}: larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
            data = parse_json(path.read_bytes())
        except FileNotFoundError:
            raise ConversationError(f"no conversation {path.stem!r}") from None
        except OSError as err:
            raise ConversationError(f"{where}: cannot read: {err.strerror or err}") from None
        except UnicodeDecodeError:
            raise ConversationError(f"{where}: not valid UTF-8") from None
        except json.JSONDecodeError as err:
            raise ConversationError(f"{where}: not valid JSON ({err.msg}, line {err.lineno}, column {err.colno})") from None
        record = ConversationRecord.from_json(data, where)
        if record.id != path.stem:
            raise ConversationError(f"{where}: it names another conversation ({record.id})")
        return record

    def load(self, conversation_id: str) -> ConversationRecord:
        return self._read(self.path(conversation_id))

    def list(self) -> Listing:
        records, damaged = [], []
        for path in sorted(self.folder.glob("*.json")):
            if not _ID.fullmatch(path.stem):
                damaged.append(DamagedFile(path.name, "not a conversation file name"))
                continue
            try:
                records.append(self._read(path))
            except UsageError as err:
                damaged.append(DamagedFile(path.name, str(err).split(": ", 1)[-1]))
        records.sort(key=lambda r: (r.updated, r.id), reverse=True)
        return Listing(tuple(records), tuple(damaged))

    def latest(self) -> ConversationRecord | None:
        return self.list().latest()

    def rename(self, conversation_id: str, title: str) -> ConversationRecord:
        record = replace(self.load(conversation_id), title=check_title(title), renamed=True)
        self.save(record)
        return record

    def delete(self, conversation_id: str) -> None:
        try:
            self.path(conversation_id).unlink()
        except FileNotFoundError:
            raise ConversationError(f"no conversation {conversation_id!r}") from None

    def delete_damaged(self, file_name: str) -> None:
        """Remove a damaged file from the list; only a plain `*.json` name inside the folder."""
        path = self.folder / file_name
        if path.parent != self.folder or path.suffix != ".json" or "/" in file_name or file_name.startswith("."):
            raise ConversationError(f"{file_name!r} is not a file of the conversations folder")
        try:
            path.unlink()
        except FileNotFoundError:
            raise ConversationError(f"{file_name} is already gone") from None
