"""The chat settings a person edits as text: the system prompt and how the next token is sampled.

Each field is read the way the command line reads a flag (`limits.parse_number`) and checked
the way config.toml is (`check_type`, then `check_settings` on the whole result), so what the
settings dialog accepts, config.toml accepts too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.core.config.settings import Settings, check_settings, check_type
from app.core.conversations.prompt_text import clean_system_prompt
from app.core.errors import UsageError
from app.core.limits import parse_number

SAMPLING_FIELDS = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "max_tokens")
WHOLE = "settings"  # the key of a problem no single field has
WHERE = "chat settings"


@dataclass(frozen=True)
class ChatSettingsRead:
    """What the fields say: the values, and why each refused field is refused (by field name)."""

    values: dict[str, Any]
    problems: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.problems


def read_chat_settings(base: Settings, system_prompt: str, texts: Mapping[str, str]) -> ChatSettingsRead:
    """The settings `texts` (one per sampling field) and `system_prompt` describe; a blank seed is random."""
    values: dict[str, Any] = {"system_prompt": clean_system_prompt(system_prompt)}
    problems: dict[str, str] = {}
    for name in SAMPLING_FIELDS:
        text = texts.get(name, "").strip()
        if name == "seed" and not text:
            values[name] = None
            continue
        try:
            values[name] = parse_number(name, text)
            check_type(WHERE, name, values[name])
        except UsageError as err:
            problems[name] = str(err)
    if not problems:
        try:
            check_settings(replace(base, **values))
        except UsageError as err:
            problems[WHOLE] = str(err)
    return ChatSettingsRead(values, problems)


def field_text(settings: Settings, name: str) -> str:
    """What a field shows for the setting `name`: a random seed is blank."""
    value = getattr(settings, name)
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)
