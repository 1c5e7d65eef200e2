"""The model: its full name, the file (or server) it comes from, its size and architecture.

The title bar shows only the short name; this panel keeps the whole of it.
"""

from __future__ import annotations

from textual.content import Content

from app.core.engine.capabilities import BackendInfo
from app.core.engine.model_info import ModelInfo
from app.ui.widgets.bars import LABEL, header
from app.ui.widgets.text_block import LivePanel


class ModelPanel(LivePanel):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.info: ModelInfo | None = None
        self.backend: BackendInfo | None = None

    def show(self, info: ModelInfo, backend: BackendInfo | None) -> None:
        self.info, self.backend = info, backend
        self.redraw()

    def draw(self, width: int) -> Content:
        info = self.info
        if info is None:
            return Content.assemble(header("MODEL", "", width), "\n", ("waiting for the model…", LABEL))
        facts = Content.styled(f"{info.params_label} · {info.architecture}", LABEL)
        remote = self.backend is not None and self.backend.remote
        lines = [header("MODEL", facts, width), Content.styled(info.name, "bold")]
        if remote:
            lines.append(Content.assemble(("on ", LABEL), self.backend.where))
        if info.path:
            lines.append(Content.styled(info.path, LABEL))
        return Content("\n").join(lines)
