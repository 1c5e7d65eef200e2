"""What saving and restoring a snapshot did, as the session returns it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SnapshotSaved:
    name: str
    tokens: int  # tokens of KV state kept; 0 without one
    bytes: int
    seconds: float
    kv_saved: bool
    reason: str | None  # why the KV state was left out

    def to_json(self) -> dict:
        return {"name": self.name, "tokens": self.tokens, "bytes": self.bytes, "seconds": self.seconds,
                "kv_saved": self.kv_saved, "reason": self.reason}


@dataclass(frozen=True)
class SnapshotRestored:
    name: str
    kv_restored: bool  # False: the conversation was re-evaluated, `message` says why
    tokens: int
    reused: int
    evaluated: int
    seconds: float
    message: str

    def to_json(self) -> dict:
        return {"name": self.name, "kv_restored": self.kv_restored, "tokens": self.tokens, "reused": self.reused,
                "evaluated": self.evaluated, "seconds": self.seconds, "message": self.message}
