"""What the model picker offers, read on the engine thread: the models found and the setup now."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config.model_catalog import ModelCatalog, find_models
from app.core.session.reload import ContextSetup, current_setup, refuse_on_server


@dataclass(frozen=True)
class ModelOffer:
    catalog: ModelCatalog  # memory figures at the session's n_ctx and KV cache types
    setup: ContextSetup
    current: Path | None
    strategy: str  # the compression strategy used when the conversation does not fit


def model_offer(session: Any) -> ModelOffer:
    """Runs in the engine thread; a UsageError on a server, which has its model loaded already."""
    refuse_on_server(session, "model switch")
    setup = current_setup(session)
    catalog = find_models(setup.n_ctx, setup.type_k, setup.type_v)
    return ModelOffer(catalog, setup, session.model_path, session.settings.compress_strategy)
