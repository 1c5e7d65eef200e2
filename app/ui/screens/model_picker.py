"""The model picker: every GGUF model found on this machine, the loaded one marked; Enter picks one.

The screen only shows the catalog core built (`find_models`, run on the engine thread) and
dismisses with the chosen file; the app reloads the model with the conversation kept.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from app.core.config.model_catalog import FoundModel, ModelCatalog
from app.core.formatting import fmt_bytes, fmt_int
from app.ui.actions.early_keys import OpensOnItsOwn
from app.ui.bindings import SCREEN, BindingScope

MODEL_PICKER = BindingScope(
    "model_picker",
    "Model picker",
    (
        # not a priority binding: a key typed just before Enter (a Down) must reach the table first
        Binding("enter", "pick", "Load this model", id="model_picker.pick"),
        Binding("escape,q", "close", "Close", id="model_picker.close"),
    ),
)

CURRENT_MARK = "●"


COLUMNS = (("mark", " "), ("name", "Model"), ("source", "Found in"), ("quant", "Quant"),
           ("trained", "Trained"), ("file", "File"), ("needs", "Needs"))
CELL_PADDING = 2  # DataTable's padding around each cell
MIN_NAME_WIDTH = 16


def name_width(rows: list[tuple[Text, ...]], screen_width: int) -> int | None:
    """The model column's width when every column would not fit `screen_width` (None: as wide as its names)."""
    widths = [max([len(label), *(row[i].cell_len for row in rows)]) for i, (_, label) in enumerate(COLUMNS)]
    others = sum(widths) - widths[1] + CELL_PADDING * len(COLUMNS)
    room = screen_width - others - 1  # the table's scrollbar gutter
    return max(MIN_NAME_WIDTH, room) if widths[1] > room else None


def model_row(model: FoundModel, current: bool) -> tuple[Text, ...]:
    return (
        Text(CURRENT_MARK if current else "", style="bold"),
        Text(model.name, style="bold" if current else "", overflow="ellipsis", no_wrap=True),
        Text(model.source),
        Text(model.quantization or "?"),
        Text(fmt_int(model.n_ctx_train) if model.n_ctx_train else "?", justify="right"),
        Text(fmt_bytes(model.file_bytes), justify="right"),
        Text(fmt_bytes(model.needs_bytes) if model.needs_bytes is not None else "?", justify="right"),
    )


class ModelPickerScreen(OpensOnItsOwn, Screen[Path | None]):
    CSS_PATH = "model_picker.tcss"
    BINDINGS = [*SCREEN.bindings, *MODEL_PICKER.bindings]

    def __init__(self, catalog: ModelCatalog, current: Path | None, heading: str = "") -> None:
        super().__init__()
        self.catalog = catalog
        self.current = current.resolve() if current is not None else None
        self.heading = heading

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="models-info")
        yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="models-path")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Models"
        loaded = self.current is not None
        self.sub_title = ("Enter loads the model, the conversation kept · Esc closes" if loaded
                          else "Enter loads the model · Esc loads the first")
        table = self.query_one(DataTable)
        models = self.catalog.models
        rows = [model_row(model, self.is_current(model)) for model in models]
        fitted = name_width(rows, self.app.size.width)
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=fitted if key == "name" else None)
        for i, row in enumerate(rows):
            table.add_row(*row, key=str(i))
        at = next((i for i, m in enumerate(models) if self.is_current(m)), 0)
        if models:
            table.move_cursor(row=at)
        self._show_info()
        table.focus()

    def is_current(self, model: FoundModel) -> bool:
        return self.current is not None and model.path.resolve() == self.current

    def _show_info(self) -> None:
        n = len(self.catalog.models)
        skipped = len(self.catalog.skipped)
        parts: list[tuple[str, str] | str] = []
        if self.heading:
            parts += [(self.heading, "bold $text-warning"), "\n"]
        if n:
            parts.append((f"{n} model{'s' if n != 1 else ''} found", "bold $text-primary"))
            legend = f"  ·  {CURRENT_MARK} loaded now" if self.current is not None else ""
            n_ctx = self.catalog.models[0].n_ctx
            parts.append((f"{legend}  ·  needs = weights + KV cache at n_ctx {fmt_int(n_ctx)}", "$text-muted"))
        else:
            parts.append(("No GGUF models found", "bold $text-primary"))
            parts.append((" in " + "; ".join(self.catalog.looked_in), "$text-muted"))
        if skipped:
            parts.append((f"  ·  {skipped} file{'s' if skipped != 1 else ''} skipped "
                          "(contextwatch models lists why)", "$text-warning"))
        self.query_one("#models-info", Static).update(Content.assemble(*parts))

    def selected(self) -> FoundModel | None:
        table = self.query_one(DataTable)
        models = self.catalog.models
        return models[table.cursor_row] if models and 0 <= table.cursor_row < len(models) else None

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        model = self.selected()
        self.query_one("#models-path", Static).update(str(model.path) if model else "")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_pick()

    def action_pick(self) -> None:
        model = self.selected()
        if model is not None:
            self.dismiss(model.path)

    def action_close(self) -> None:
        self.dismiss(None)
