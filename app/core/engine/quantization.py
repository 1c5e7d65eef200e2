"""A model's quantization by name ("Q4_K_M"), from its GGUF `general.file_type` or its file name."""

from __future__ import annotations

import re

# llama.cpp's llama_ftype values (llama.h); the gaps are types it no longer writes.
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE",
}

_IN_NAME = re.compile(
    r"(?<![A-Za-z0-9])(I?Q[1-8]_K_[SMLX]L?|I?Q[1-8]_[0-9K](?:_[SMLX]L?)?|IQ[1-4]_[SMLX]{1,3}|IQ4_NL|TQ[12]_0|MXFP4|BF16|F16|F32)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def quantization(file_type: object, file_name: str) -> str | None:
    """The name of `general.file_type` when it is a known one, else the one the file name carries, else None."""
    if isinstance(file_type, int) and not isinstance(file_type, bool) and file_type in FILE_TYPES:
        return FILE_TYPES[file_type]
    match = _IN_NAME.search(file_name)
    return match.group(1).upper() if match else None
