"""Every key binding of the app, each with an id that `[keys]` in config.toml can remap.

The classes that own the bindings read them from here, and so do the help screen, the
command palette and the check for unknown ids in `[keys]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import REPLACED_KEYS, Keys, key_to_character

_ALL_SCOPES: list[BindingScope] = []


@dataclass(frozen=True)
class BindingScope:
    """Where a group of bindings is active, and the bindings themselves.

    Every scope registers itself, so a screen that defines its own scope shows up in the
    help screen and the `[keys]` check as soon as its module is imported.
    """

    name: str
    title: str
    bindings: tuple[Binding, ...]

    def __post_init__(self) -> None:
        _ALL_SCOPES.append(self)


APP = BindingScope(
    "app",
    "Anywhere",
    (
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("f2", "toggle_history", "History", id="app.history"),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", show=False, id="app.sidebar"),
        Binding("f3", "charts", "Charts", id="app.charts"),
        Binding("f4", "change_theme", "Theme", show=False, id="app.theme"),
        Binding("ctrl+s", "snapshot", "Snapshot", show=False, id="app.snapshot"),
        Binding("f5", "conversations", "Conversations", show=False, priority=True, id="app.conversations"),
        Binding("f8", "snapshots", "Snapshots", id="app.snapshots"),
        Binding("ctrl+r", "restore_last", "Restore last snapshot", show=False, id="app.restore_last"),
        Binding("ctrl+t", "export_markdown", "Export transcript as Markdown", show=False, id="app.export_markdown"),
        Binding("ctrl+n", "export_json", "Export transcript as JSON", show=False, id="app.export_json"),
        Binding("f9", "growth", "Growth", id="app.growth"),
        Binding("f10", "context_size", "Context size", show=False, id="app.context_size"),
        Binding("ctrl+l", "models", "Switch model", show=False, id="app.models"),
        Binding("f12", "sweep", "Sweep", show=False, id="app.sweep"),
        Binding("ctrl+o", "compression_settings", "Compression settings", show=False, id="app.compression_settings"),
        Binding("ctrl+g", "chat_settings", "Chat settings", show=False, id="app.chat_settings"),
        Binding("escape", "cancel", "Cancel reply", id="app.cancel"),
        # priority: the input's own ctrl+f deletes the word to the right
        Binding("ctrl+f", "search", "Search the conversation", show=False, priority=True, id="app.search"),
        Binding("f6", "focus_input", "Focus input", show=False, id="app.focus_input"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True, id="app.palette"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("f7", "copy_reply", "Copy reply", show=False, priority=True, id="app.copy_reply"),
        # with nothing selected, copy_selection skips and the same key runs help_quit
        Binding("ctrl+c,super+c", "copy_selection", "Copy the selected text", show=False, id="app.copy"),
        Binding("ctrl+c", "help_quit", "How to quit", show=False, system=True, id="app.help_quit"),
    ),
)

SCREEN = BindingScope(
    "screen",
    "Focus",
    (
        Binding("tab", "app.focus_next", "Next field", show=False, id="screen.focus_next"),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, id="screen.focus_previous"),
    ),
)

CHAT = BindingScope(
    "chat",
    "Message input",
    (
        Binding("enter", "send", "Send", id="chat.send"),
        Binding("ctrl+j,shift+enter", "newline", "New line", id="chat.newline"),
        Binding("ctrl+u", "clear", "Clear the input", show=False, id="chat.clear"),
    ),
)

SEARCH = BindingScope(
    "search",
    "Search bar",
    (
        Binding("enter,down", "next", "Next match", id="search.next"),
        Binding("shift+enter,up", "previous", "Previous match", id="search.previous"),
        Binding("escape", "close", "Close the search", id="search.close"),
    ),
)

HISTORY = BindingScope(
    "history",
    "History pane",
    (
        Binding("e", "edit", "Edit", id="history.edit"),
        Binding("d,delete", "delete", "Delete", id="history.delete"),
        Binding("p", "pin", "Pin/unpin", id="history.pin"),
        Binding("r", "regenerate", "Regenerate", id="history.regenerate"),
    ),
)

HISTORY_UNDO = BindingScope(
    "history_undo",
    "History pane",
    (Binding("z", "undo_delete", "Undo delete", show=False, id="history.undo_delete"),),
)

EDITOR = BindingScope(
    "editor",
    "Edit dialog",
    (
        Binding("ctrl+s", "save", "Save", id="editor.save"),
        Binding("escape", "close", "Cancel", id="editor.cancel"),
    ),
)

VIEWER = BindingScope(
    "viewer",
    "Help and charts screens",
    (Binding("escape,q", "close", "Close", id="viewer.close"),),
)

SCOPES: tuple[BindingScope, ...] = (APP, SCREEN, CHAT, SEARCH, HISTORY, HISTORY_UNDO, EDITOR, VIEWER)


def all_scopes() -> tuple[BindingScope, ...]:
    """The scopes above plus those of every screen module imported so far."""
    return tuple(_ALL_SCOPES)


def all_binding_ids() -> set[str]:
    return {b.id for scope in all_scopes() for b in scope.bindings if b.id}


def unknown_ids(keymap: dict[str, str]) -> list[str]:
    known = all_binding_ids()
    return sorted(k for k in keymap if k not in known)


MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(k.value.rpartition("+")[2] for k in Keys if not k.value.startswith("<"))


def key_problem(value: object) -> str | None:
    """Why `value` is not a key, or comma-separated keys, that Textual can bind; None when it is."""
    if not isinstance(value, str):
        return "not a string"
    for key in value.split(","):
        key = key.strip()
        if len(key) == 1:  # any single character, "+" and "," included
            continue
        *modifiers, name = key.split("+")
        if not key:
            return "an empty key name"
        wrong = [m for m in modifiers if m not in MODIFIERS]
        if wrong or len(set(modifiers)) != len(modifiers):
            return f"{key!r} has modifiers other than {', '.join(sorted(MODIFIERS))} (each once)"
        if not (len(name) == 1 or name in NAMED_KEYS or key_to_character(REPLACED_KEYS.get(name, name))):
            return f"{key!r} names no key" if name else f"{key!r} has no key after {'+'.join(modifiers)}+"
    return None


def bad_keys(keymap: dict[str, object]) -> dict[str, str]:
    """The ids in `keymap` whose value is not a key, with the reason."""
    problems = {binding_id: key_problem(value) for binding_id, value in keymap.items()}
    return {binding_id: problem for binding_id, problem in problems.items() if problem is not None}


def key_for(binding_id: str, keymap: dict[str, str]) -> str:
    """The first key that runs `binding_id` now, as a user would write it ("F10", "ctrl+s")."""
    binding = next(b for scope in all_scopes() for b in scope.bindings if b.id == binding_id)
    key = effective_keys(binding, keymap).split(",")[0].strip()
    return key.upper() if len(key) > 1 and key[0] == "f" and key[1:].isdigit() else key


def effective_keys(binding: Binding, keymap: dict[str, str]) -> str:
    """The key(s) a binding answers to once `keymap` has been applied."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key


KEY_NAMES = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace",
    "delete": "Del", "insert": "Ins", "home": "Home", "end": "End", "pageup": "PgUp", "pagedown": "PgDn",
    "up": "↑", "down": "↓", "left": "←", "right": "→",
}


def key_label(key: str) -> str:
    """How the footer, the help screen and the palette write a key: 'F1', 'Ctrl+B', 'Shift+Tab', 'Esc', '?', 'e'."""
    key = key.strip()
    if len(key) == 1:
        return key
    *modifiers, name = key.split("+")
    if not name:  # "ctrl++": the key is "+" itself
        modifiers, name = modifiers[:-1], "+"
    if name in KEY_NAMES:
        label = KEY_NAMES[name]
    elif name[:1] == "f" and name[1:].isdigit():
        label = name.upper()
    elif len(name) == 1:
        label = name.upper() if modifiers else name
    else:
        character = key_to_character(REPLACED_KEYS.get(name, name))
        label = character if character and character.isprintable() else name.replace("_", " ").title()
    return "+".join([*(m.title() for m in modifiers), label])


def keys_label(binding: Binding, keymap: dict[str, str], joiner: str = ", ") -> str:
    """Every key that runs `binding` once `keymap` is applied, each as `key_label` writes it."""
    return joiner.join(key_label(k) for k in effective_keys(binding, keymap).split(",") if k.strip())
