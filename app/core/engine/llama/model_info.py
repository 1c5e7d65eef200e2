"""What we know about a loaded model, read from its GGUF metadata."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    @property
    def params_label(self) -> str:
        n = self.n_params
        if n >= 1e9:
            return f"{n / 1e9:.1f}B"
        return f"{n / 1e6:.0f}M"


def _int(meta: dict, key: str, default: int) -> int:
    try:
        return int(meta[key])
    except (KeyError, TypeError, ValueError):
        return default


def read_model_info(llm, path: Path, file_bytes: int) -> ModelInfo:
    """Collect ModelInfo from a loaded `llama_cpp.Llama`."""
    import llama_cpp

    meta = dict(llm.metadata or {})
    model = llm._model.model
    arch = meta.get("general.architecture", "unknown")
    n_head = llama_cpp.llama_model_n_head(model)
    n_embd = llama_cpp.llama_model_n_embd(model)
    head_dim = n_embd // n_head if n_head else 0
    return ModelInfo(
        path=str(path),
        file_bytes=file_bytes,
        name=meta.get("general.name", path.stem),
        basename=meta.get("general.basename", ""),
        architecture=arch,
        description=llm._model.desc(),
        n_params=llm._model.n_params(),
        weights_bytes=llm._model.size(),
        n_ctx_train=llama_cpp.llama_model_n_ctx_train(model),
        n_layer=llama_cpp.llama_model_n_layer(model),
        n_head=n_head,
        n_head_kv=llama_cpp.llama_model_n_head_kv(model),
        n_embd=n_embd,
        head_dim_k=_int(meta, f"{arch}.attention.key_length", head_dim),
        head_dim_v=_int(meta, f"{arch}.attention.value_length", head_dim),
        n_vocab=llm.n_vocab(),
        chat_template=meta.get("tokenizer.chat_template") or None,
    )
