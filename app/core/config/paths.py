"""Where config, data and the shipped resources (themes, profiles) live."""

from __future__ import annotations

import os
from pathlib import Path

from app.core.errors import UsageError

APP_NAME = "contextwatch"
_PACKAGE_DIR = Path(__file__).resolve().parents[2]


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_NAME


def data_dir(create: bool = True) -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    path = Path(base) / APP_NAME
    if create:
        try:
            ensure_private_dir(path)
        except OSError as err:
            raise UsageError(f"the data folder {path} cannot be written: {err.strerror or err}") from None
    return path


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def resource_dir(name: str) -> Path:
    """`themes` or `profiles`: inside the installed wheel, else beside the checkout's `app/`."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from the installation ({_PACKAGE_DIR})")


def llama_log_path() -> Path:
    return data_dir() / "llama.log"
