"""The chat settings from the app: the dialog (system prompt and sampling), applying it, and the sidebar's line.

The values go to the engine thread as one `ChangeChatSettings` and apply from the next turn;
once the session has taken them, config.toml keeps them too (a config.toml that does not load
is reported and left as it is).
"""

from __future__ import annotations

from app.core.session import commands as cmd
from app.core.session.runner import CommandFinished
from app.ui import bindings
from app.ui.screens.chat_settings import ChatSettingsScreen
from app.ui.widgets.chat_settings_panel import ChatSettingsView


class ChatSettingsActions:
    """The chat settings dialog and the sidebar's view of it, for `ContextWatchApp`."""

    def action_chat_settings(self) -> None:
        if self.screen is not self.main:
            return
        self.push_screen(ChatSettingsScreen(self.engine_settings, self.system_prompt_now()), self._chat_settings_chosen)

    def system_prompt_now(self) -> str:
        """The system prompt the next turn sends: the conversation's, or the settings' before any history came."""
        if not self.history:
            return self.engine_settings.system_prompt
        first = self.history[0]
        return first.content if first.role == "system" and not first.summary else ""

    def _chat_settings_chosen(self, values: dict | None) -> None:
        if values is not None:
            self.run_command(cmd.ChangeChatSettings.of(**values), self._chat_settings_changed)

    def _chat_settings_changed(self, event: CommandFinished) -> None:
        if not event.ok:
            self.notify("The chat settings were not changed.", title="Chat settings", severity="error")
            return
        self.engine_settings = event.result
        self.show_chat_settings()
        if not self._save_defaults(dict(event.command.values), "Chat settings",
                                   "They apply from the next turn, and are saved in"):
            self.notify("They apply from the next turn, in this session only.", title="Chat settings")

    def show_chat_settings(self) -> None:
        if self._showing():
            key = bindings.key_label(bindings.key_for("app.chat_settings", self.keymap))
            self.main.show_chat_settings(ChatSettingsView(self.engine_settings, self.system_prompt_now(), key))
