"""The offer, on start, to continue the last conversation: Enter continues, Esc starts a new one.

The conversation is kept either way; a session that did not end cleanly is said so.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from app.core.growth.format import prompt_excerpt
from app.ui.actions.early_keys import OpensOnItsOwn
from app.ui.bindings import BindingScope

RESUME = BindingScope(
    "resume",
    "Resume offer",
    (
        Binding("enter", "answer(True)", "Continue", id="resume.accept"),
        Binding("escape", "answer(False)", "New conversation", id="resume.decline"),
    ),
)


def _when(saved: float | None, now: float) -> str:
    if not saved:
        return "at an unknown time"
    if time.strftime("%Y-%m-%d", time.localtime(saved)) == time.strftime("%Y-%m-%d", time.localtime(now)):
        return time.strftime("%H:%M", time.localtime(saved))
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(saved))


def resume_summary(pending: dict, model_path: Path | str | None = None, now: float | None = None) -> str:
    """'12 messages, saved 14:03, reply cut off mid-way' (and the model, when it was another one)."""
    messages = [m for m in pending["conversation"].messages if m.role != "system"]
    count = len(messages) + (1 if pending.get("in_flight") else 0)
    parts = [f"{count} message{'s' if count != 1 else ''}", f"saved {_when(pending.get('saved'), now or time.time())}"]
    if pending.get("in_flight"):
        parts.append("reply cut off mid-way")
    elif messages and (messages[-1].metrics or {}).get("cut_off") == "quit":
        parts.append("the last reply was cut off by the quit")
    saved_model = pending.get("model")
    if saved_model and model_path is not None and Path(saved_model).name != Path(model_path).name:
        parts.append(f"saved with {Path(saved_model).name}: it will be re-read with this model")
    return ", ".join(parts)


def resume_question(pending: dict) -> str:
    if pending.get("finished", False):
        return "Continue the last conversation?"
    return "Resume the last session? It did not end cleanly."


def last_prompt(pending: dict) -> str | None:
    user = pending["conversation"].last_index("user")
    return None if user is None else pending["conversation"].messages[user].content


class ResumeScreen(OpensOnItsOwn, ModalScreen[bool]):
    CSS_PATH = "saved_sessions.tcss"
    BINDINGS = list(RESUME.bindings)

    def __init__(self, pending: dict, model_path: Path | str | None = None) -> None:
        super().__init__()
        self.pending = pending
        self.model_path = model_path

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-dialog", classes="dialog"):
            yield Static(Content.styled(resume_question(self.pending), "bold $text-primary"), id="resume-question")
            if self.pending.get("title"):
                yield Static(Content.styled(self.pending["title"], "bold"), id="resume-title")
            yield Static(Content(resume_summary(self.pending, self.model_path)), id="resume-summary")
            prompt = last_prompt(self.pending)
            if prompt:
                yield Static(
                    Content.assemble(("last prompt: ", "$text-muted"), prompt_excerpt(prompt, 48)), id="resume-prompt"
                )
            yield Static(
                Content.assemble(("Enter: continue", "bold $text-accent"),
                                 ("  ·  Esc: new conversation (this one is kept)", "$text-muted")),
                id="resume-keys",
            )

    def action_answer(self, resume: bool) -> None:
        self.dismiss(resume)
