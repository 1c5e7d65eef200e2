"""The sidebar's chat settings: the sampling the next turn uses, and the first words of its system prompt."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.reactive import reactive

from app.core.config.settings import Settings
from app.ui.widgets.bars import LABEL, header
from app.ui.widgets.text_block import LivePanel

SEPARATOR = " · "
ELLIPSIS = "…"


@dataclass(frozen=True)
class ChatSettingsView:
    """What the panel shows: the session's settings, the conversation's system prompt, the dialog's key."""

    settings: Settings
    system_prompt: str
    key: str = ""


def sampling_items(s: Settings) -> list[Content]:
    """One short "label value" item per sampling setting."""
    pairs = [
        ("T", f"{s.temperature:g}"), ("top-k", str(s.top_k)), ("top-p", f"{s.top_p:g}"), ("min-p", f"{s.min_p:g}"),
        ("rep", f"{s.repeat_penalty:g}"), ("seed", "random" if s.seed is None or s.seed == -1 else str(s.seed)),
        ("max", str(s.max_tokens)),
    ]
    return [Content.assemble((f"{label} ", LABEL), (value, "bold")) for label, value in pairs]


def packed(items: list[Content], width: int) -> list[Content]:
    """Items joined by " · " into lines of at most `width` cells, never splitting an item."""
    lines: list[Content] = []
    line = Content("")
    for item in items:
        joined = Content.assemble(line, (SEPARATOR, LABEL), item) if line.cell_length else item
        if line.cell_length and joined.cell_length > width:
            lines.append(line)
            line = item
        else:
            line = joined
    if line.cell_length:
        lines.append(line)
    return lines


def first_words(text: str, width: int) -> str:
    """The start of `text` on one line of at most `width` cells, cut at a word with "…" when it goes on."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[:max(0, width - 1)]
    if " " in cut:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip() + ELLIPSIS


class ChatSettingsPanel(LivePanel):
    view: reactive[ChatSettingsView | None] = reactive(None, repaint=False)

    def watch_view(self) -> None:
        self.redraw()

    def draw(self, width: int) -> Content:
        v = self.view
        hint = Content.styled(f"{v.key} edits", LABEL) if v is not None and v.key else ""
        lines = [header("CHAT SETTINGS", hint, width)]
        if v is None:
            return Content("\n").join(lines)
        lines += packed(sampling_items(v.settings), width)
        label = "system "
        prompt = first_words(v.system_prompt, width - len(label))
        lines.append(Content.assemble((label, LABEL), Content(prompt) if prompt else Content.styled("none", LABEL)))
        return Content("\n").join(lines)
