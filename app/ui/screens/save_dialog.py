"""What the settings dialogs share: their Save button and Enter in any field save, any other button closes."""

from __future__ import annotations

from typing import ClassVar

from textual.widgets import Button, Input


class SavesOnEnter:
    """Mixed into a dialog screen that has `action_save` and `action_close`."""

    SAVE_BUTTON: ClassVar[str]  # the id of the dialog's Save button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == self.SAVE_BUTTON:
            self.action_save()
        else:
            self.action_close()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()
