"""Pilot tests of the chat settings dialog (Ctrl+G) on the fake session: open, bad values, save, cancel."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Button, Input, TextArea

from app.core.config.paths import config_dir
from app.core.config.settings import Settings, load_settings
from app.ui.screens.chat_settings import ChatSettingsScreen
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.chat_settings_panel import ChatSettingsPanel
from app.ui.widgets.conversation_view import ConversationView
from harness import async_test, fake_app, notifications, send, settle

SMALL = (80, 24)


def config_file():
    return config_dir() / "config.toml"


def panel_text(app) -> str:
    return app.main.query_one(ChatSettingsPanel).content.plain


async def open_dialog(pilot) -> ChatSettingsScreen:
    await settle(pilot)
    assert pilot.app.main.query_one(ChatInput).has_focus, "Ctrl+G works while the message input has focus"
    await pilot.press("ctrl+g")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChatSettingsScreen)
    return screen


def field(screen: ChatSettingsScreen, name: str) -> Input:
    return screen.query_one(f"#field-{name}", Input)


def visible(screen, widget, size) -> bool:
    """On screen, whole, and what a click at its first cell reaches."""
    region = widget.region
    width, height = size
    if not (region.area > 0 and region.right <= width and region.bottom <= height):
        return False
    return screen.get_widget_at(region.x + 1, region.y)[0] is widget


@async_test
async def test_ctrl_g_opens_the_dialog_with_the_settings_in_use():
    app = fake_app(Settings(n_ctx=2048, temperature=0.3, top_k=20, seed=None, max_tokens=300))
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_dialog(pilot)
        assert screen.query_one("#system-prompt", TextArea).text == "You are a helpful assistant."
        shown = {name: field(screen, name).value for name in
                 ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "max_tokens")}
        assert shown == {"temperature": "0.3", "top_k": "20", "top_p": "0.95", "min_p": "0.05",
                         "repeat_penalty": "1.1", "seed": "", "max_tokens": "300"}
        assert field(screen, "seed").placeholder == "random"
        for button in ("#chat-settings-save", "#chat-settings-cancel"):
            assert visible(screen, screen.query_one(button, Button), SMALL), f"{button} is on an 80x24 screen"


@async_test
async def test_a_bad_value_is_shown_next_to_its_field_and_the_dialog_stays_open():
    app = fake_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_dialog(pilot)
        field(screen, "temperature").value = "500"
        field(screen, "top_k").value = "1.5"
        field(screen, "top_p").value = "0"
        field(screen, "seed").value = "lucky"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # the words config.toml and the command line use for the same values
        assert screen.problem("temperature") == "must be between 0 and 100, got 500"
        assert screen.problem("top_k") == "must be a whole number between 0 and 1000000 (0 turns it off), got '1.5'"
        assert screen.problem("top_p") == "must be above 0 and at most 1, got 0"
        assert screen.problem("seed").startswith("must be a whole number between -1 and 4294967295")
        assert screen.problem("min_p") == "" and screen.problem("max_tokens") == ""
        assert field(screen, "temperature").has_class("-invalid") and not field(screen, "min_p").has_class("-invalid")
        assert field(screen, "temperature").has_focus, "the first bad field takes the focus"
        for button in ("#chat-settings-save", "#chat-settings-cancel"):
            assert visible(screen, screen.query_one(button, Button), SMALL), "the problems push no button off screen"
        assert app.session.settings == Settings(n_ctx=2048)
        assert not any(c.startswith("settings:") for c in app.session.calls)
        assert not config_file().exists()

        for name, good in (("temperature", "1"), ("top_k", "50"), ("top_p", "0.9"), ("seed", "")):
            field(screen, name).value = good
        await pilot.click("#chat-settings-save")
        await settle(pilot)
        assert app.screen is app.main
        assert app.session.settings.top_k == 50 and app.session.settings.seed is None


@async_test
async def test_save_applies_from_the_next_turn_writes_config_toml_and_shows_in_the_sidebar():
    app = fake_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await send(pilot, "Hello there")
        assert "T 0.7" in panel_text(app) and "system You are a helpful assistant." in panel_text(app)
        screen = await open_dialog(pilot)
        prompt = screen.query_one("#system-prompt", TextArea)
        prompt.text = "You answer in French,\nalways briefly."
        field(screen, "temperature").value = "0"
        field(screen, "seed").value = "42"
        field(screen, "max_tokens").value = " 64 "
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main

        s = app.session.settings
        assert (s.temperature, s.seed, s.max_tokens, s.system_prompt) == (0.0, 42, 64, "You answer in French,\nalways briefly.")
        messages = app.session.conversation.messages
        assert messages[0].role == "system" and messages[0].content == s.system_prompt
        assert [m.content for m in messages[1:]] == [m.content for m in app.messages()[1:]]
        assert app.messages()[0].content == s.system_prompt, "the history pane has the new system prompt"
        blocks = [b for b in app.main.query_one(ConversationView).children if hasattr(b, "key")]
        assert blocks[0].key[1] == s.system_prompt, "and so has the conversation"

        assert load_settings() == Settings(temperature=0.0, seed=42, max_tokens=64, system_prompt=s.system_prompt)
        assert config_file().stat().st_mode & 0o777 == 0o600
        assert notifications(app)[-1] == f"They apply from the next turn, and are saved in {config_file()}"
        text = panel_text(app)
        assert "T 0" in text and "seed 42" in text and "max 64" in text
        assert "system You answer in French, always briefly." in text

        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        reopened = app.screen
        assert reopened.query_one("#system-prompt", TextArea).text == s.system_prompt
        assert field(reopened, "temperature").value == "0" and field(reopened, "seed").value == "42"


@async_test
async def test_cancel_changes_nothing():
    app = fake_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_dialog(pilot)
        screen.query_one("#system-prompt", TextArea).text = "Something else"
        field(screen, "temperature").value = "1.5"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        assert app.session.settings == Settings(n_ctx=2048)
        assert app.session.conversation.messages[0].content == "You are a helpful assistant."
        assert not any(c.startswith("settings:") for c in app.session.calls)
        assert not config_file().exists()

        screen = await open_dialog(pilot)
        field(screen, "temperature").value = "1.5"
        await pilot.click("#chat-settings-cancel")
        await settle(pilot)
        assert app.screen is app.main and app.session.settings.temperature == 0.7


@async_test
async def test_a_broken_config_toml_is_reported_and_left_alone():
    config_dir().mkdir(parents=True, exist_ok=True)
    config_file().write_text("temperature = [\n")
    app = fake_app()
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_dialog(pilot)
        field(screen, "temperature").value = "0.2"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.session.settings.temperature == 0.2, "the session still takes them"
        assert config_file().read_text() == "temperature = [\n"
        assert any(n.startswith("config.toml was not changed") for n in notifications(app))
        assert notifications(app)[-1] == "They apply from the next turn, in this session only."


@async_test
async def test_a_blank_system_prompt_removes_it_and_the_palette_lists_the_dialog():
    app = fake_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        entry = next(e for e in app.palette_entries() if e.title == "Chat settings")
        assert entry.help == "Ctrl+G"
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"chat settings")
        await settle(pilot, 0.4)
        await pilot.press("enter")
        await settle(pilot, 0.3)
        screen = app.screen
        assert isinstance(screen, ChatSettingsScreen)
        screen.query_one("#system-prompt", TextArea).text = "  \n "
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.session.settings.system_prompt == ""
        assert app.session.conversation.system_prompt is None
        assert "system none" in panel_text(app)
        assert load_settings().system_prompt == ""


@async_test
async def test_the_sidebar_line_fits_48_columns_with_the_longest_values():
    settings = Settings(n_ctx=2048, temperature=0.123456, top_k=1_000_000, top_p=0.987654, min_p=0.123456,
                        repeat_penalty=99.5, seed=4294967295, max_tokens=16_777_216,
                        system_prompt="Supercalifragilisticexpialidocious " * 8)
    app = fake_app(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        panel = app.main.query_one(ChatSettingsPanel)
        width = panel.content_size.width
        assert width <= 46
        lines = panel.content.plain.split("\n")
        assert all(len(line) <= width for line in lines), lines
        items = [i for line in lines[1:-1] for i in line.split(" · ")]
        assert items == ["T 0.123456", "top-k 1000000", "top-p 0.987654", "min-p 0.123456", "rep 99.5",
                         "seed 4294967295", "max 16777216"], "no value is split from its label"
        assert lines[-1].startswith("system Supercalifragilisticexpialidocious") and lines[-1].endswith("…")
