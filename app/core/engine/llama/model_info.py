"""ModelInfo read from a loaded `llama_cpp.Llama` and its GGUF metadata."""

from __future__ import annotations

from pathlib import Path

from app.core.engine.model_info import ModelInfo


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
