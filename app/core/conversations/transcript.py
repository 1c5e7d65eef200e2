"""Transcripts for people and scripts: Markdown and JSON, with each reply's turn metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from app.core.config.paths import data_dir
from app.core.config.settings import write_private
from app.core.errors import UsageError

_ROLE_TITLES = {"system": "System", "user": "User", "assistant": "Assistant"}


def _metrics_line(metrics: dict) -> str:
    parts = []
    if "prompt_tokens" in metrics:
        parts.append(f"prompt {metrics['prompt_tokens']} tokens")
    if "generated_tokens" in metrics:
        parts.append(f"reply {metrics['generated_tokens']} tokens")
    if metrics.get("ttft_ms") is not None:
        parts.append(f"TTFT {metrics['ttft_ms']:.0f} ms")
    if metrics.get("decode_tps") is not None:
        parts.append(f"{metrics['decode_tps']:.1f} tokens/s")
    if "reused" in metrics:
        shifted = f" / {metrics['shifted']} shifted" if metrics.get("shifted") else ""
        parts.append(f"KV {metrics['reused']} reused{shifted} / {metrics.get('evaluated', 0)} evaluated")
    if metrics.get("context_shifts"):
        times = "once" if metrics["context_shifts"] == 1 else f"{metrics['context_shifts']} times"
        parts.append(f"full context: {metrics.get('on_full', 'shift')} {times}, first at reply token "
                     f"{metrics.get('shifted_at', 0)}, {metrics.get('shift_dropped', 0)} tokens dropped")
    if metrics.get("context_after") is not None:
        parts.append(f"context {metrics['context_after']} tokens")
    if metrics.get("stop_reason"):
        parts.append(f"stop: {metrics['stop_reason']}")
    return "; ".join(parts)


def to_markdown(manifest: dict) -> str:
    model = manifest.get("model", {})
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(manifest.get("created", 0)))
    lines = [
        f"# {manifest.get('name', 'Conversation')}",
        "",
        f"- Model: {model.get('name') or model.get('path', '?')}",
        f"- Context: n_ctx {manifest.get('n_ctx')}, {manifest.get('kv', {}).get('n_tokens', 0)} tokens in the KV cache",
        f"- Saved: {created}",
        "",
    ]
    for message in manifest["conversation"]["messages"]:
        title = _ROLE_TITLES.get(message["role"], message["role"])
        marks = [m for m, on in (("pinned", message.get("pinned")), ("summary", message.get("summary"))) if on]
        lines.append(f"## {title}" + (f" ({', '.join(marks)})" if marks else ""))
        lines.append("")
        lines.append(message["content"])
        lines.append("")
        if message.get("metrics"):
            lines.append(f"*{_metrics_line(message['metrics'])}*")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(manifest: dict) -> str:
    data = {
        "name": manifest.get("name"), "created": manifest.get("created"), "model": manifest.get("model"),
        "n_ctx": manifest.get("n_ctx"), "sampling": manifest.get("sampling"), "metrics": manifest.get("metrics"),
        "messages": manifest["conversation"]["messages"],
        "checkpoints": manifest["conversation"].get("checkpoints", []),
    }
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def export_transcript(session: Any, fmt: str, folder: Path | None = None) -> Path:
    """Write the current conversation as a transcript; runs in the engine thread. Returns the path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    manifest = session.snapshot_manifest(f"conversation-{stamp}")
    text = to_markdown(manifest) if fmt == "md" else to_json(manifest)
    folder = folder or data_dir() / "exports"
    path = folder / f"conversation-{stamp}.{fmt}"
    n = 2
    while path.exists():
        path = folder / f"conversation-{stamp}-{n}.{fmt}"
        n += 1
    try:
        write_private(path, text.encode("utf-8", "replace"))
    except OSError as err:
        raise UsageError(f"could not write the transcript to {path}: {err.strerror or err}") from None
    return path
