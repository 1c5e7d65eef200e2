"""Clean what a user typed or pasted before it becomes a message."""

from __future__ import annotations

import re

from app.core.errors import UsageError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_prompt(text: str) -> str:
    """Drop NUL and other control characters (tabs and newlines stay); refuse an empty prompt."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n"))
    if not cleaned.strip():
        raise UsageError("the prompt is empty")
    return cleaned


def clean_system_prompt(text: str) -> str:
    """A system prompt without control characters (tabs and newlines stay); blank means none."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n"))
    return cleaned if cleaned.strip() else ""
