"""Markdown blocks that a streaming reply updates in place, at the least cost per frame.

Textual's Markdown re-parses the last block of a streamed document on every append. A
paragraph then sets its new text, which lays out the whole screen; `StreamedParagraph`
asks for a layout only when the paragraph gained a line. A list is removed and mounted
again, every item, every frame; these lists keep their items, update the last one, and
mount only the items that are new.
"""

from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.visual import visualize
from textual.widgets._markdown import (
    MarkdownBlock,
    MarkdownBullet,
    MarkdownBulletList,
    MarkdownFence,
    MarkdownList,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownParagraph,
)


class StreamedParagraph(MarkdownParagraph):
    def set_content(self, content: Content) -> None:
        self._content = content
        width = self.content_size.width
        if not width:
            self.update(content)
            return
        height = visualize(self, content, markup=False).get_height(self.styles, width)
        self.update(content, layout=height != self.content_size.height)


def _symbols(shown: MarkdownList, items: list[MarkdownListItem]) -> list[str]:
    """Each item's bullet, as the list's own compose would draw it."""
    if not isinstance(shown, MarkdownOrderedList):
        return [item.bullet for item in items]
    try:
        start = int(items[0].bullet)
    except ValueError:
        start = 1
    labels = [f"{number}. " for number in range(start, start + len(items))]
    width = max(map(len, labels)) + 1
    return [label.rjust(width) for label in labels]


async def _update_block(shown: MarkdownBlock, new: MarkdownBlock) -> bool:
    if type(shown) is not type(new):
        return False
    if isinstance(shown, MarkdownList):
        return await update_list(shown, new)
    if isinstance(shown, (MarkdownParagraph, MarkdownFence)):
        await shown._update_from_block(new)
        return True
    return False


async def _update_column(column: Vertical, blocks: list[MarkdownBlock]) -> None:
    shown = [b for b in column.children if isinstance(b, MarkdownBlock)]
    if len(shown) <= len(blocks) and len(shown) == len(column.children):
        for old, new in zip(shown, blocks):
            if not await _update_block(old, new):
                break
        else:
            if blocks[len(shown):]:
                await column.mount_all(blocks[len(shown):])
            return
    await column.remove_children()
    await column.mount_all(blocks)


async def update_list(shown: MarkdownList, new: MarkdownList) -> bool:
    """Bring `shown` up to `new` (the same list parsed again, longer); False if it must be built again."""
    rows = list(shown.query_children(Horizontal))
    items = [b for b in new._blocks if isinstance(b, MarkdownListItem)]
    if not rows or len(items) < len(rows):
        return False
    symbols = _symbols(shown, items)
    if [row.query_one(MarkdownBullet).symbol for row in rows] != symbols[:len(rows)]:
        return False  # the numbers grew a digit: every bullet moves
    await _update_column(rows[-1].query_one(Vertical), items[len(rows) - 1]._blocks)
    for item, symbol in zip(items[len(rows):], symbols[len(rows):]):
        bullet = MarkdownBullet()
        bullet.symbol = symbol
        await shown.mount(Horizontal(bullet, Vertical(*item._blocks)))
    shown._copy_context(new)
    new._blocks.clear()
    return True


class _UpdatedInPlace:
    """Mixed into a Markdown list: a longer parse of the same list updates it instead of building it again."""

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if not (type(block) is type(self) and await update_list(self, block)):
            await super()._update_from_block(block)


class StreamedBulletList(_UpdatedInPlace, MarkdownBulletList):
    pass


class StreamedOrderedList(_UpdatedInPlace, MarkdownOrderedList):
    pass
