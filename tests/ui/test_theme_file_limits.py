"""Theme files are read with a size cap, and their numbers must be finite and in range."""

from __future__ import annotations

import pytest

from app.ui.display.themes import ThemeFileError, theme_from_toml


def test_a_huge_theme_file_is_refused(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b'primary = "#112233"\n# ' + b"x" * (2 << 20) + b"\n")
    with pytest.raises(ThemeFileError, match=r"^big.toml: too large \(2.00 MiB; at most 1.00 MiB\)$"):
        theme_from_toml(path)


@pytest.mark.parametrize("number", ["nan", "inf", "-0.5", "7", "1" * 400])
def test_theme_numbers_out_of_range(tmp_path, number):
    path = tmp_path / "odd.toml"
    path.write_text(f'primary = "#112233"\ntext_alpha = {number}\n')
    with pytest.raises(ThemeFileError, match="text_alpha must be a number between 0 and 1"):
        theme_from_toml(path)
