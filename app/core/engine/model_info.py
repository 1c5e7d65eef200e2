"""What we know about a loaded model, read from its GGUF metadata."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class ModelInfo:
    path: str
    file_bytes: int
    name: str
    basename: str
    architecture: str
    description: str
    n_params: int
    weights_bytes: int
    n_ctx_train: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_embd: int
    head_dim_k: int
    head_dim_v: int
    n_vocab: int
    chat_template: str | None
    n_gpu_layers: int = 0  # the layers really offloaded as asked: 0 on a build without GPU support; -1 all

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    @property
    def short_name(self) -> str:
        """A name that fits a title: the file name without .gguf (it tells two quantizations of one model
        apart), else GGUF `general.basename`, else the model's name."""
        file_name = PurePath(self.path).name
        if file_name.lower().endswith(".gguf") and len(file_name) > 5:
            return file_name[:-5]
        return self.basename.strip() or self.name

    @property
    def params_label(self) -> str:
        n = self.n_params
        if n >= 1e9:
            return f"{n / 1e9:.1f}B"
        return f"{n / 1e6:.0f}M"
