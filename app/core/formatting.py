"""Number formats shared by the CLI report and the UI, so both print the same text."""

from __future__ import annotations

DASH = "—"

_UNITS = (("TiB", 1024**4, 2), ("GiB", 1024**3, 1), ("MiB", 1024**2, 2), ("KiB", 1024, 2))


def fmt_bytes(n: int) -> str:
    """'512 B', '1.50 KiB', '90.00 MiB', '3.1 GiB'."""
    if n < 0:
        return "-" + fmt_bytes(-n)
    for unit, size, decimals in _UNITS:
        if n >= size:
            return f"{n / size:.{decimals}f} {unit}"
    return f"{int(n)} B"


def fmt_signed_bytes(n: int) -> str:
    """'+1.00 MiB', '-512 B', '0 B'."""
    if n > 0:
        return "+" + fmt_bytes(n)
    return fmt_bytes(n)


def fmt_ms(x: float | None) -> str:
    return DASH if x is None else f"{x:,.1f} ms"


def fmt_int(n: int | None) -> str:
    return DASH if n is None else f"{n:,}"


def fmt_turns(n: int) -> str:
    """When something `n` turns away happens: 'now' (0), 'in 1 turn', 'in 12 turns'."""
    return "now" if n == 0 else f"in {n:,} turn{'s' if n != 1 else ''}"


def fmt_tokens_label(n: int) -> str:
    """'512', '2K', '16K', '2.9K' (3000), '1M'; K and M are 1024 and 1024**2."""
    for suffix, size in (("M", 1024**2), ("K", 1024)):
        if n >= size:
            value = n / size
            text = f"{value:.0f}" if n % size == 0 else f"{value:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    return str(n)


def gpu_layers_label(n_gpu_layers: int) -> str:
    """What `n_gpu_layers` asks for, in words: -1 offloads every layer, 0 none."""
    if n_gpu_layers < 0:
        return "all layers on the GPU"
    if n_gpu_layers == 0:
        return "CPU only"
    return f"{n_gpu_layers} layer{'s' if n_gpu_layers != 1 else ''} on the GPU"
