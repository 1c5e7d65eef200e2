"""What the compression, context-size and sweep dialogs share: on a short terminal their body scrolls
above buttons docked at the bottom (tuning.tcss), and they open showing the body's beginning."""

from __future__ import annotations


class OpensAtTheTop:
    """Mixed into such a screen: Textual's automatic focus would scroll the body to centre the
    focused field, hiding the dialog's title; the first field gets the focus without a scroll."""

    AUTO_FOCUS = ""  # None would mean the app's own setting

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        if self.focused is None and self.focus_chain:
            self.set_focus(self.focus_chain[0], scroll_visible=False)
