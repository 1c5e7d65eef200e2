"""Plain prose that fills the context during a sweep, and the question asked after it.

The sweep fills the context with real prose rather than random token ids, so the tokens
it evaluates and the reply it times are those of ordinary use.
"""

from __future__ import annotations

from collections.abc import Callable

PARAGRAPHS: tuple[str, ...] = (
    "The ferry left the harbour an hour after dawn, when the fog had thinned to a pale "
    "band over the water. Fishermen on the quay were sorting their nets, and a boy ran "
    "along the wall with a basket of bread for the crew. Nobody on board spoke much; "
    "the engine was loud, the gulls were louder, and the island was still a grey shape "
    "that might have been a cloud.",
    "Old maps of the valley show the river in a different place. Three centuries ago it "
    "ran close to the western hills, and the mill that now stands in a dry meadow once "
    "had water at its door. Farmers still find smooth stones and broken pottery when "
    "they plough, and the parish records mention a flood that moved the whole channel "
    "in a single winter night.",
    "A good workshop is quiet in a particular way. Tools hang where the hand expects "
    "them, shavings gather under the bench, and the light comes from one side so that "
    "every shadow tells you the shape of the wood. The carpenter who kept this one "
    "wrote the date of each repair on the underside of the drawers, in pencil, with a "
    "short note about the weather.",
    "The library opened late on market days. Before the doors were unlocked the "
    "librarian walked the stacks with a cloth and a list, checking that the returned "
    "books had found their shelves. Children came first, then the students from the "
    "college, and in the afternoon the old men who read the newspapers from front to "
    "back and argued about the crossword.",
    "Winter in the mountains arrives in stages. First the high pastures turn brown, then "
    "the streams grow quiet as the snow holds back their water, and at last the road "
    "over the pass is closed with a wooden barrier and a painted sign. The village does "
    "not sleep: it mends fences, salts meat, and tells the same stories with new "
    "endings.",
    "The observatory stood on a ridge above the town, and on clear nights its dome "
    "turned with a low rumble that the neighbours no longer heard. Inside, a single "
    "lamp lit a desk covered with notebooks. Each page held a column of times and a "
    "column of brightness, written by hand, and in the margin small sketches of the "
    "clouds that had interrupted the work.",
)

QUESTION = "Describe in detail, in several sentences, the places and people in the text above."


def question_messages(system_prompt: str) -> list[dict]:
    """The chat turn asked after the prose; a chat turn, so an instruct model answers at length."""
    return [{"role": "system", "content": system_prompt}, {"role": "user", "content": QUESTION}]


def filler_ids(tokenize: Callable[[str], list[int]], n_tokens: int) -> list[int]:
    """Exactly `n_tokens` ids of prose: the paragraphs again and again, each round in a shifted order."""
    if n_tokens <= 0:
        return []
    pieces = [tokenize("\n\n" + text) for text in PARAGRAPHS]
    ids = tokenize(PARAGRAPHS[0])
    rounds = 0
    while len(ids) < n_tokens:
        rounds += 1
        shift = rounds % len(pieces)
        for piece in pieces[shift:] + pieces[:shift]:
            ids.extend(piece)
    return ids[:n_tokens]
