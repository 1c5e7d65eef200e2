"""Claude Code session logs (JSONL) read into growth turns, so the same reports work on them.

Each `assistant` entry with `message.usage` is one turn: its context is input + cache read +
cache creation tokens, and its growth is measured from the previous entry of the same session
in timestamp order. Claude Code writes one line per content block of a reply, all with the
same `message.id`; those lines are merged into one turn. A turn's prompt is the text of the
latest user entry with text before it (tool results carry none). Malformed lines are counted
and skipped; entries already imported (same `uuid`, or same file and line) are skipped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from app.core.errors import UsageError
from app.core.files.field_checks import LATEST_TIME
from app.core.growth.records import ImportedSession, ImportedTurn
from app.core.growth.store import GrowthStore

PROMPT_CHARS = 500
MAX_TOKENS = 10**9  # far above any context window; larger counts are damage, not usage


class Malformed(ValueError):
    """A line that looks like an entry we use but cannot be read as one."""


@dataclass
class ImportReport:
    files: int = 0
    sessions: int = 0
    imported: int = 0
    duplicates: int = 0
    malformed: int = 0
    merged: int = 0
    empty: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Event:
    session: str
    time: float
    order: tuple[int, int]
    prompt: str | None = None
    turn: ImportedTurn | None = None
    message_id: str | None = None


@dataclass
class _Parsed:
    events: list[_Event] = field(default_factory=list)
    malformed: int = 0
    empty: int = 0


def find_log_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and every *.jsonl under the folders named; each file once."""
    files: list[Path] = []
    seen: set[Path] = set()
    given = [Path(p).expanduser() for p in paths]
    for path in given:
        if path.is_dir():
            found = sorted(f for f in path.rglob("*.jsonl") if f.is_file())
        elif path.is_file():
            found = [path]
        elif path.exists():
            raise UsageError(f"{path} is not a file or a folder")
        else:
            raise UsageError(f"{path}: no such file or folder")
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(key)
    if not files:
        raise UsageError("no .jsonl files in " + ", ".join(str(p) for p in given))
    return files


def import_claude_logs(store: GrowthStore, paths: Iterable[str | Path]) -> ImportReport:
    """Read every log first, then store all new turns in one transaction."""
    files = find_log_files(paths)
    report = ImportReport(files=len(files))
    events: list[_Event] = []
    for file_index, path in enumerate(files):
        parsed = parse_file(path, file_index)
        events.extend(parsed.events)
        report.malformed += parsed.malformed
        report.empty += parsed.empty
    sessions, report.merged = _sessions(events)
    report.sessions = len(sessions)
    report.imported, report.duplicates = store.import_sessions(sessions)
    return report


def parse_file(path: Path, file_index: int = 0) -> _Parsed:
    parsed = _Parsed()
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, raw in enumerate(fh, start=1):
                line = raw.strip()
                if not line:
                    continue
                try:
                    event = _event(json.loads(line), path, (file_index, number))
                except (ValueError, OverflowError, RecursionError):
                    parsed.malformed += 1
                    continue
                if event is None:
                    continue
                if event.turn is not None and event.turn.context_after == 0:
                    parsed.empty += 1  # Claude Code's synthetic replies carry no tokens
                    continue
                parsed.events.append(event)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    return parsed


def _event(entry: object, path: Path, order: tuple[int, int]) -> _Event | None:
    if not isinstance(entry, dict):
        raise Malformed("not an object")
    kind = entry.get("type")
    if kind not in ("user", "assistant"):
        return None
    message = entry.get("message")
    if not isinstance(message, dict):
        raise Malformed("no message")
    when = _timestamp(entry.get("timestamp"))
    session = _session_key(entry, path)
    _valid_unicode(session, entry.get("uuid"), message.get("id"), message.get("model"))
    if kind == "user":
        return _Event(session, when, order, prompt=_text(message.get("content")))
    usage = message.get("usage")
    if not isinstance(usage, dict):
        raise Malformed("no usage")
    fresh = _count(usage, "input_tokens", required=True)
    read = _count(usage, "cache_read_input_tokens")
    created = _count(usage, "cache_creation_input_tokens")
    model = message.get("model")
    uuid = entry.get("uuid")
    message_id = message.get("id")
    turn = ImportedTurn(
        prompt="",
        time=when,
        model=model if isinstance(model, str) else "",
        input_tokens=fresh + read + created,
        output_tokens=_count(usage, "output_tokens", required=True),
        context_after=fresh + read + created,
        reused=read,
        evaluated=fresh + created,
        source_file=_printable_name(str(path)),
        source_line=order[1],
        source_uuid=uuid if isinstance(uuid, str) and uuid else None,
    )
    return _Event(session, when, order, turn=turn, message_id=message_id if isinstance(message_id, str) else None)


def _sessions(events: list[_Event]) -> tuple[list[ImportedSession], int]:
    """Group by session in time order, attach prompts, merge lines of one reply; returns (sessions, merged)."""
    by_session: dict[str, list[_Event]] = defaultdict(list)
    for event in events:
        by_session[event.session].append(event)
    sessions, merged = [], 0
    for key, group in by_session.items():
        group.sort(key=lambda e: (e.time, e.order))
        turns: list[ImportedTurn] = []
        by_message: dict[str, int] = {}
        prompt = ""
        for event in group:
            if event.turn is None:
                prompt = event.prompt or prompt
                continue
            if event.message_id and event.message_id in by_message:
                at = by_message[event.message_id]
                later = event.turn  # the last line of a reply carries its final token counts
                turns[at] = replace(turns[at], input_tokens=later.input_tokens, output_tokens=later.output_tokens,
                                    context_after=later.context_after, reused=later.reused, evaluated=later.evaluated)
                merged += 1
                continue
            if event.message_id:
                by_message[event.message_id] = len(turns)
            turns.append(replace(event.turn, prompt=prompt))
        if turns:
            model = next((t.model for t in turns if t.model), "")
            sessions.append(ImportedSession(key, model, tuple(turns)))
    return sessions, merged


def _count(usage: dict, key: str, required: bool = False) -> int:
    value = usage.get(key)
    if value is None and not required:
        return 0
    if type(value) is not int or not 0 <= value <= MAX_TOKENS:
        raise Malformed(f"{key} is not a token count")
    return value


def _printable_name(name: str) -> str:
    """A file name as text the database can hold: on Linux a name need not be UTF-8."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _valid_unicode(*values: object) -> None:
    """Ids and names are stored as they are: one with a lone surrogate is damage."""
    for value in values:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("text that is not valid Unicode") from None


def _timestamp(value: object) -> float:
    if not isinstance(value, str):
        raise Malformed("no timestamp")
    when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not 0 <= when.timestamp() <= LATEST_TIME:
        raise Malformed("a time before 1970 or past what a clock shows")
    return when.timestamp()


def _session_key(entry: dict, path: Path) -> str:
    session = entry.get("sessionId")
    key = session if isinstance(session, str) and session else _printable_name(path.stem)
    if entry.get("isSidechain") is True:
        agent = entry.get("agentId")
        key += f"/agent-{agent}" if isinstance(agent, str) and agent else "/sidechain"
    return key


def _text(content: object) -> str:
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = "\n".join(
            part["text"] for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        )
    else:
        text = ""
    return text.strip()[:PROMPT_CHARS].encode("utf-8", "replace").decode("utf-8")
