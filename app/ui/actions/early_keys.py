"""Dialogs that open on their own, and the keys typed before they were on screen.

The resume offer opens when the model has loaded, a preview or an offer when the engine
thread has produced it: keys typed meanwhile (a message for the input, often) may still be
queued behind the work that opened the dialog. A key pressed before such a dialog was shown
goes to the screen that was there when it was pressed, to its focused widget (the message
input, usually), and runs no binding of the dialog's.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from textual import events
from textual.dom import DOMNode
from textual.screen import Screen


class OpensOnItsOwn:
    """Mixed into a screen that opens without a key asking for it at that moment."""

    shown_at: float | None = None

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.shown_at is None:
            self.shown_at = event.time

    def typed_before_shown(self, key: events.Key) -> bool:
        return self.shown_at is None or key.time < self.shown_at


def meant_for(stack: Sequence[Screen], key: events.Key) -> DOMNode | None:
    """Where a key typed before the dialogs on top opened should go; None when it is the top screen's."""
    below = len(stack) - 1
    while below > 0 and isinstance(stack[below], OpensOnItsOwn) and stack[below].typed_before_shown(key):
        below -= 1
    if below == len(stack) - 1:
        return None
    screen = stack[below]
    return screen.focused or screen


class EarlyKeyRouting:
    """Mixed into the App: sends each key typed before the dialogs on top opened to the screen beneath."""

    _early_keys: deque | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            target = meant_for(self.screen_stack, event)
            if target is not None:
                if self._early_keys is None:
                    self._early_keys = deque(maxlen=64)
                self._early_keys.append(event)
                target._forward_event(event)  # what Textual does with a key for the focused widget
                return
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """A rerouted key the widget left alone bubbles up here: the dialog's bindings are not for it."""
        if any(early is event for early in self._early_keys or ()):
            event.prevent_default()
