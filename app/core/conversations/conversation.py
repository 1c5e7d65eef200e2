"""The conversation: messages with roles, pins, summaries, and each message's token cost."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from app.core.errors import UsageError
from app.core.files import field_checks as fields

ROLES = ("system", "user", "assistant")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    pinned: bool = False
    summary: bool = False
    tokens: int = 0  # what this message adds to the rendered prompt, template tokens included
    metrics: dict | None = field(default=None, compare=False)  # a reply's turn figures
    id: int = field(default_factory=lambda: next(_ids))

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UsageError(f"unknown role {self.role!r}: expected one of {', '.join(ROLES)}")

    def as_chat(self) -> dict:
        return {"role": self.role, "content": self.content}

    def to_json(self) -> dict:
        data: dict[str, object] = {"role": self.role, "content": self.content}
        if self.pinned:
            data["pinned"] = True
        if self.summary:
            data["summary"] = True
        if self.metrics:
            data["metrics"] = self.metrics
        return data

    @classmethod
    def from_json(cls, data: dict, where: str = "history") -> Message:
        if not isinstance(data, dict):
            raise UsageError(f"{where}: each message must be an object with role and content")
        role, content = data.get("role"), data.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise UsageError(f"{where}: each message needs a string role and a string content")
        extra = set(data) - {"role", "content", "pinned", "summary", "metrics"}
        if extra:
            raise UsageError(f"{where}: unknown message field(s): {', '.join(sorted(extra))}")
        fields.valid_unicode(content, f"{where}: content")
        pinned = fields.boolean(data.get("pinned", False), f"{where}: pinned")
        summary = fields.boolean(data.get("summary", False), f"{where}: summary")
        metrics = data.get("metrics")
        if metrics is not None:
            metrics = _metrics(metrics, f"{where}: metrics")
        return cls(role, content, pinned, summary, metrics=metrics)


_NUMERIC_METRICS = ("prompt_tokens", "generated_tokens", "reused", "evaluated", "context_after", "ttft_ms",
                    "decode_tps", "shifted", "context_shifts", "shifted_at", "shift_dropped")


def _metrics(data: object, where: str) -> dict:
    """A reply's turn figures: flat, and numbers where a transcript formats numbers."""
    metrics = fields.mapping(data, where)
    for key, value in metrics.items():
        fields.scalar(value, f"{where}: {fields.text(key, where + ' key')}")
        if key in _NUMERIC_METRICS and value is not None:
            fields.number(value, f"{where}: {key}")
    return metrics


@dataclass(frozen=True)
class Checkpoint:
    """The history a compression replaced, so it can be undone."""

    strategy: str
    messages: tuple[Message, ...]
    tokens_before: int
    tokens_after: int
    time: float


class Conversation:
    """An ordered list of messages; a system prompt, when present, is message 0."""

    def __init__(self, messages: Iterable[Message] = (), checkpoints: Iterable[Checkpoint] = ()) -> None:
        self.messages: list[Message] = list(messages)
        self.checkpoints: list[Checkpoint] = list(checkpoints)
        self.revision = 0

    @classmethod
    def with_system(cls, system_prompt: str | None) -> Conversation:
        conv = cls()
        if system_prompt:
            conv.messages.append(Message("system", system_prompt, pinned=True))
        return conv

    def __len__(self) -> int:
        return len(self.messages)

    def _touch(self) -> None:
        self.revision += 1

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.messages):
            raise UsageError(f"no message at position {index}")

    def append(self, role: str, content: str, **flags) -> Message:
        message = Message(role, content, **flags)
        self.messages.append(message)
        self._touch()
        return message

    def edit(self, index: int, content: str) -> None:
        self._check(index)
        self.messages[index] = replace(self.messages[index], content=content, tokens=0)
        self._touch()

    def delete(self, index: int) -> Message:
        self._check(index)
        removed = self.messages.pop(index)
        self._touch()
        return removed

    def insert(self, index: int, message: Message) -> None:
        if not 0 <= index <= len(self.messages):
            raise UsageError(f"no place {index} in a history of {len(self.messages)} messages")
        self.messages.insert(index, message)
        self._touch()

    def toggle_pin(self, index: int) -> bool:
        self._check(index)
        message = self.messages[index]
        self.messages[index] = replace(message, pinned=not message.pinned)
        self._touch()
        return not message.pinned

    def truncate(self, length: int) -> list[Message]:
        """Drop every message from position `length` on; return what was dropped."""
        dropped = self.messages[length:]
        del self.messages[length:]
        self._touch()
        return dropped

    def replace_all(self, messages: Iterable[Message]) -> None:
        self.messages = list(messages)
        self._touch()

    def apply_compression(self, strategy: str, messages: Iterable[Message], tokens_before: int, tokens_after: int) -> None:
        self.checkpoints.append(Checkpoint(strategy, tuple(self.messages), tokens_before, tokens_after, time.time()))
        self.replace_all(messages)

    def undo_compression(self) -> Checkpoint:
        if not self.checkpoints:
            raise UsageError("there is no compression to undo")
        checkpoint = self.checkpoints.pop()
        self.replace_all(checkpoint.messages)
        return checkpoint

    def set_system_prompt(self, text: str) -> bool:
        """Make `text` the system prompt (blank: none), in the history and in every compression
        checkpoint, so an undo does not bring the old one back. False when nothing changed."""
        if (self.system_prompt or "") == text:
            return False
        self.messages = _with_system(self.messages, text)
        self.checkpoints = [replace(c, messages=tuple(_with_system(list(c.messages), text))) for c in self.checkpoints]
        self._touch()
        return True

    def set_tokens(self, counts: list[int]) -> None:
        self.messages = [replace(m, tokens=n) for m, n in zip(self.messages, counts)]

    def as_chat(self) -> list[dict]:
        return [m.as_chat() for m in self.messages]

    def to_json(self) -> list[dict]:
        return [m.to_json() for m in self.messages]

    def state_json(self) -> dict:
        """Messages and compression checkpoints, for snapshots and autosave."""
        return {
            "messages": self.to_json(),
            "checkpoints": [
                {"strategy": c.strategy, "tokens_before": c.tokens_before, "tokens_after": c.tokens_after,
                 "time": c.time, "messages": [m.to_json() for m in c.messages]}
                for c in self.checkpoints
            ],
        }

    @classmethod
    def from_state_json(cls, data: object, where: str = "conversation") -> Conversation:
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            raise UsageError(f"{where}: expected an object with a message list")
        messages = [Message.from_json(m, f"{where}: message {i}") for i, m in enumerate(data["messages"])]
        raw = fields.sequence(data.get("checkpoints", []), f"{where}: checkpoints")
        checkpoints = [_checkpoint(c, f"{where}: checkpoint {i}") for i, c in enumerate(raw)]
        return cls(messages, checkpoints)

    @property
    def system_prompt(self) -> str | None:
        if self.messages and self.messages[0].role == "system" and not self.messages[0].summary:
            return self.messages[0].content
        return None

    def last_index(self, role: str) -> int | None:
        for i in range(len(self.messages) - 1, -1, -1):
            if self.messages[i].role == role:
                return i
        return None


def _with_system(messages: list[Message], text: str) -> list[Message]:
    """`messages` with `text` as the system prompt: message 0 replaced, added before the rest, or dropped."""
    has_one = bool(messages) and messages[0].role == "system" and not messages[0].summary
    rest = messages[1:] if has_one else messages
    if not text:
        return list(rest)
    if has_one:
        return [replace(messages[0], content=text, tokens=0), *rest]
    return [Message("system", text, pinned=True), *rest]


def _checkpoint(raw: object, where: str) -> Checkpoint:
    data = fields.mapping(raw, where)
    missing = [k for k in ("strategy", "messages", "tokens_before", "tokens_after", "time") if k not in data]
    if missing:
        raise fields.FieldError(f"{where}: {missing[0]} is missing")
    messages = fields.sequence(data["messages"], f"{where}: messages")
    return Checkpoint(
        fields.text(data["strategy"], f"{where}: strategy", 100),
        tuple(Message.from_json(m, f"{where}: message {j}") for j, m in enumerate(messages)),
        fields.integer(data["tokens_before"], f"{where}: tokens_before"),
        fields.integer(data["tokens_after"], f"{where}: tokens_after"),
        fields.timestamp(data["time"], f"{where}: time"),
    )
