"""Memory: process RSS, system RAM, VRAM or "no GPU", the KV cache, and the level badge."""

from __future__ import annotations

from textual.content import Content

from app.core.formatting import fmt_bytes, fmt_int, fmt_signed_bytes
from app.core.telemetry.kv_cache import KVCacheInfo
from app.core.telemetry.memory import MemorySnapshot
from app.ui.widgets.bars import LABEL, badge, header, row
from app.ui.widgets.levels import MEMORY_STYLES
from app.ui.widgets.text_block import LivePanel


class MemoryPanel(LivePanel):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.memory: MemorySnapshot | None = None
        self.kv: KVCacheInfo | None = None
        self.remote = False  # the model runs on a server: RSS is this client's, VRAM and the KV cache the server's

    def show(self, memory: MemorySnapshot, kv: KVCacheInfo | None) -> None:
        self.memory, self.kv = memory, kv
        self.redraw()

    def draw(self, width: int) -> Content:
        m = self.memory
        if m is None:
            return Content.assemble(header("MEMORY", "", width), "\n", ("—", LABEL))
        style = MEMORY_STYLES[m.level]
        lines = [
            header("MEMORY", badge(m.level.value.upper(), style), width),
            *([Content.styled("this client; the model's is the server's", LABEL)] if self.remote else []),
            row(("RSS", Content.styled(fmt_bytes(m.rss_bytes), "bold")), ("peak", fmt_bytes(m.peak_rss_bytes))),
            row(("growth", fmt_signed_bytes(m.growth_bytes))),
            row(("RAM", Content.styled(f"{m.ram_percent:.1f}%", f"bold {style}")), ("used", fmt_bytes(m.ram_used_bytes))),
            row(("", ""), ("of", fmt_bytes(m.ram_total_bytes))),
            *(self._gpu_lines(m) if not self.remote else []),
            *(self._kv_lines(self.kv) if not self.remote else self._remote_kv_lines(self.kv)),
        ]
        return Content("\n").join(lines)

    @staticmethod
    def _gpu_lines(m: MemorySnapshot) -> list[Content]:
        if not m.gpus:
            return [row(("VRAM", Content.styled("no GPU", LABEL)))]
        return [
            line
            for g in m.gpus
            for line in (
                row((f"VRAM {g.index}", Content.styled(f"{g.percent:.1f}%", "bold")), ("used", fmt_bytes(g.used_bytes))),
                row(("", ""), ("of", fmt_bytes(g.total_bytes))),
            )
        ]

    @staticmethod
    def _remote_kv_lines(kv: KVCacheInfo | None) -> list[Content]:
        tokens = fmt_int(kv.n_tokens) if kv is not None else "—"
        return [row(("KV cache", Content.styled("on server", LABEL)), ("tokens", tokens))]

    @staticmethod
    def _kv_lines(kv: KVCacheInfo | None) -> list[Content]:
        if kv is None:
            return []
        if kv.logged_bytes is None:
            logged = Content.styled("not in the log", LABEL)
        else:
            mark = (" ✓ agrees", "$text-success") if kv.agrees else (" ≠ differs", "$text-warning")
            logged = Content.assemble(fmt_bytes(kv.logged_bytes), mark)
        return [
            row(("KV cache", Content.styled(fmt_bytes(kv.allocated_bytes), "bold")), ("type", f"{kv.type_k}/{kv.type_v}")),
            row(("in use", fmt_bytes(kv.in_use_bytes)), ("tokens", fmt_int(kv.n_tokens))),
            row(("logged", logged)),
        ]
