"""Greedy picking without llama.cpp's sampler chain: the index of the largest logit, found by numpy.

`llama_sampler_sample` copies every logit into a new candidate array (49,152 entries for
SmolLM2) before its greedy sampler scans them; reading the logits in place and taking
`argmax` gives the same token (the first of equal maxima, as llama.cpp's greedy sampler
keeps) at a fraction of the cost. Only a chain that is greedy alone can be replaced
(`sampling.greedy_alone`): a repeat penalty changes the logits first.
"""

from __future__ import annotations

import ctypes
from typing import Any

from app.core.engine.llama.gil_calls import holding_gil


class ArgmaxSampler:
    """Called like `llama_sampler_sample(chain, ctx, idx)`; the chain is not used."""

    def __init__(self, n_vocab: int) -> None:
        import numpy as np

        self._row = ctypes.c_float * n_vocab
        self._frombuffer = np.frombuffer
        self._float32 = np.float32
        self._logits_ith = holding_gil("llama_get_logits_ith", ctypes.c_void_p)  # the row's address, 0 for none
        self._address = 0
        self._view: Any = None

    def __call__(self, chain, ctx, idx: int) -> int:
        address = self._logits_ith(ctx, idx)
        if address != self._address:
            if not address:
                raise RuntimeError("llama.cpp returned no logits for the last token")
            self._view = self._frombuffer(memoryview(self._row.from_address(address)), self._float32)
            self._address = address
        return int(self._view.argmax())
