"""Context profiles and tiers from `profiles/LLM_profiles.json`.

The file is validated strictly on load: any mistake is a `ProfileError` naming the file
and the entry, so a bad edit never silently changes what the gauge shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config.paths import resource_dir
from app.core.errors import UsageError
from app.core.files.bounded_read import FileLimitError, read_capped
from app.core.files.json_io import parse_json_text

FORMAT_VERSION = 1
DEFAULT_ID = "default"
MATCH_KEYS = ("name", "basename", "architecture")


class ProfileError(UsageError):
    """The profile file is missing or malformed."""


@dataclass(frozen=True)
class Tier:
    tier: int
    name: str
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class ContextProfile:
    size: int
    effective_context_size: int
    size_label: str
    tier: int
    tier_name: str
    custom: bool = False


@dataclass(frozen=True)
class ModelProfile:
    id: str
    description: str
    match_name: tuple[str, ...]
    match_basename: tuple[str, ...]
    match_architecture: tuple[str, ...]
    n_ctx_train: int | None
    context_profiles: tuple[ContextProfile, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(p.size for p in self.context_profiles)

    def profile_for(self, size: int) -> ContextProfile | None:
        for profile in self.context_profiles:
            if profile.size == size:
                return profile
        return None

    def matches_name(self, name: str, basename: str) -> bool:
        """Whether a lower-cased GGUF name or basename contains one of this entry's patterns."""
        return any(s in name for s in self.match_name) or any(
            s in basename for s in self.match_basename
        )


@dataclass(frozen=True)
class ProfileBook:
    path: Path
    tiers: tuple[Tier, ...]
    models: tuple[ModelProfile, ...]

    @property
    def default(self) -> ModelProfile:
        return self.get(DEFAULT_ID)

    def get(self, profile_id: str) -> ModelProfile:
        for model in self.models:
            if model.id == profile_id:
                return model
        raise ProfileError(f"{self.path}: no profile with id {profile_id!r}")

    def match(
        self, name: str | None, basename: str | None, architecture: str | None
    ) -> tuple[ModelProfile, bool]:
        """The entry for a model's GGUF metadata, and whether it was a specific match.

        A name/basename substring match beats an architecture-only match; among equals
        the first entry in the file wins; with no match the `default` entry is returned.
        """
        lname, lbase = (name or "").lower(), (basename or "").lower()
        larch = (architecture or "").lower()
        candidates = [m for m in self.models if m.id != DEFAULT_ID]
        for model in candidates:
            if model.matches_name(lname, lbase):
                return model, True
        if larch:
            for model in candidates:
                if larch in model.match_architecture:
                    return model, True
        return self.default, False

    def tier_for(self, size: int) -> Tier | None:
        for tier in self.tiers:
            if size in tier.sizes:
                return tier
        return None

    def tier_at_or_below(self, size: int) -> Tier:
        """The tier of the largest tier size <= `size`; the first tier below all of them."""
        found = self.tiers[0]
        for tier in self.tiers:
            if tier.sizes[0] <= size:
                found = tier
        return found


def size_label(n: int) -> str:
    """`2048` -> "2K", `512` -> "512", `3000` -> "2.9K" (tenths rounded down)."""
    if n < 1024:
        return str(n)
    if n % 1024 == 0:
        return f"{n // 1024}K"
    tenths = n * 10 // 1024
    return f"{tenths // 10}.{tenths % 10}K"


def resolve_context(book: ProfileBook, model_profile: ModelProfile, n_ctx: int) -> ContextProfile:
    """The profile entry whose size is `n_ctx`, else a custom one built for `n_ctx`.

    The custom case is the one place an effective size is derived at run time:
    floor(n_ctx * E / S), with E/S the ratio of the entry's profile nearest in size
    (the smaller one on a tie). Its tier is the tier of the largest tier size <= n_ctx,
    or the first tier below all of them, and `custom` is True.
    """
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx <= 0:
        raise UsageError(f"n_ctx must be a positive integer, got {n_ctx!r}")
    exact = model_profile.profile_for(n_ctx)
    if exact is not None:
        return exact
    nearest = min(model_profile.context_profiles, key=lambda p: (abs(p.size - n_ctx), p.size))
    effective = max(1, n_ctx * nearest.effective_context_size // nearest.size)
    tier = book.tier_at_or_below(n_ctx)
    return ContextProfile(
        size=n_ctx,
        effective_context_size=effective,
        size_label=size_label(n_ctx),
        tier=tier.tier,
        tier_name=tier.name,
        custom=True,
    )


def default_profiles_path() -> Path:
    return resource_dir("profiles") / "LLM_profiles.json"


def load_profiles(path: Path | None = None) -> ProfileBook:
    if path is None:
        try:
            path = default_profiles_path()
        except FileNotFoundError as err:
            raise ProfileError(str(err)) from None
    path = Path(path)
    try:
        raw = read_capped(path)
    except FileLimitError as err:
        raise ProfileError(str(err)) from None
    except FileNotFoundError:
        raise ProfileError(f"{path}: profile file not found") from None
    except OSError as err:
        raise ProfileError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProfileError(f"{path}: not valid UTF-8 (byte {err.start})") from None
    try:
        data = parse_json_text(text)
    except json.JSONDecodeError as err:
        raise ProfileError(
            f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    return _parse_book(path, data)


def _fail(where: str, message: str) -> ProfileError:
    return ProfileError(f"{where}: {message}")


def _shown(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__


def _fields(
    value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, f"must be an object, got {_shown(value)}")
    unknown = [k for k in value if k not in required and k not in optional]
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r}")
    missing = [k for k in required if k not in value]
    if missing:
        raise _fail(where, f"missing key {missing[0]!r}")
    return value


def _int(value: Any, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"{key} must be an integer, got {_shown(value)}")
    return value


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{key} must be a non-empty string, got {_shown(value)}")
    return value


def _list(value: Any, where: str, key: str) -> list:
    if not isinstance(value, list):
        raise _fail(where, f"{key} must be a list, got {_shown(value)}")
    return value


def _ascending(values: list[int], where: str, key: str) -> None:
    for i in range(1, len(values)):
        if values[i] == values[i - 1]:
            raise _fail(where, f"{key}: duplicate {values[i]}")
        if values[i] < values[i - 1]:
            raise _fail(where, f"{key}: {values[i]} after {values[i - 1]}, must be ascending")


def _parse_book(path: Path, data: Any) -> ProfileBook:
    top = _fields(data, str(path), ("format_version", "tiers", "models"))
    version = _int(top["format_version"], str(path), "format_version")
    if version != FORMAT_VERSION:
        raise _fail(
            str(path), f"format_version {version} is not supported (expected {FORMAT_VERSION})"
        )
    tiers = _parse_tiers(path, top["tiers"])
    models = _parse_models(path, top["models"], tiers)
    return ProfileBook(path=path, tiers=tiers, models=models)


def _parse_tiers(path: Path, value: Any) -> tuple[Tier, ...]:
    items = _list(value, str(path), "tiers")
    if not items:
        raise _fail(str(path), "tiers must not be empty")
    tiers: list[Tier] = []
    for i, item in enumerate(items):
        where = f"{path}: tiers[{i}]"
        fields = _fields(item, where, ("tier", "name", "sizes"))
        number = _int(fields["tier"], where, "tier")
        name = _text(fields["name"], where, "name")
        raw_sizes = _list(fields["sizes"], where, "sizes")
        sizes = [_int(s, where, f"sizes[{j}]") for j, s in enumerate(raw_sizes)]
        if not sizes:
            raise _fail(where, "sizes must not be empty")
        if any(s <= 0 for s in sizes):
            raise _fail(where, "sizes must be positive")
        _ascending(sizes, where, "sizes")
        if tiers:
            prev = tiers[-1]
            if number <= prev.tier:
                raise _fail(
                    where, f"tier {number} after tier {prev.tier}, must be ascending and unique"
                )
            if sizes[0] <= prev.sizes[-1]:
                raise _fail(where, f"size {sizes[0]} is not above tier {prev.tier}'s sizes")
        tiers.append(Tier(tier=number, name=name, sizes=tuple(sizes)))
    return tuple(tiers)


def _parse_models(path: Path, value: Any, tiers: tuple[Tier, ...]) -> tuple[ModelProfile, ...]:
    items = _list(value, str(path), "models")
    by_size = {size: tier for tier in tiers for size in tier.sizes}
    models: list[ModelProfile] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{path}: models[{i}]"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            where += f" ({json.dumps(item['id'])})"
        model = _parse_model(where, item, by_size)
        if model.id in seen:
            raise _fail(where, f"duplicate id {model.id!r}")
        seen.add(model.id)
        models.append(model)
    if DEFAULT_ID not in seen:
        raise _fail(str(path), f"models has no {DEFAULT_ID!r} entry")
    return tuple(models)


def _parse_model(where: str, item: Any, by_size: dict[int, Tier]) -> ModelProfile:
    required = ("id", "description", "match", "context_profiles")
    fields = _fields(item, where, required, ("n_ctx_train",))
    model_id = _text(fields["id"], where, "id")
    description = _text(fields["description"], where, "description")
    n_ctx_train = fields.get("n_ctx_train")
    if n_ctx_train is not None and _int(n_ctx_train, where, "n_ctx_train") <= 0:
        raise _fail(where, f"n_ctx_train must be positive, got {n_ctx_train}")
    match = _parse_match(f"{where}: match", fields["match"])
    if model_id == DEFAULT_ID and any(match):
        raise _fail(where, "the default entry must have an empty match")
    raw_profiles = _list(fields["context_profiles"], where, "context_profiles")
    if not raw_profiles:
        raise _fail(where, "context_profiles must not be empty")
    profiles = tuple(
        _parse_context(f"{where}: context_profiles[{j}]", raw, by_size, n_ctx_train)
        for j, raw in enumerate(raw_profiles)
    )
    _ascending([p.size for p in profiles], where, "context_profiles sizes")
    return ModelProfile(
        id=model_id,
        description=description,
        match_name=match[0],
        match_basename=match[1],
        match_architecture=match[2],
        n_ctx_train=n_ctx_train,
        context_profiles=profiles,
    )


def _parse_match(where: str, value: Any) -> tuple[tuple[str, ...], ...]:
    fields = _fields(value, where, (), MATCH_KEYS)
    result = []
    for key in MATCH_KEYS:
        patterns = _list(fields.get(key, []), where, key)
        for j, pattern in enumerate(patterns):
            _text(pattern, where, f"{key}[{j}]")
            if pattern != pattern.lower():
                raise _fail(where, f"{key}[{j}] {pattern!r} must be lower-case")
        if len(set(patterns)) != len(patterns):
            raise _fail(where, f"{key} has a duplicate pattern")
        result.append(tuple(patterns))
    return tuple(result)


def _parse_context(
    where: str, value: Any, by_size: dict[int, Tier], n_ctx_train: int | None
) -> ContextProfile:
    fields = _fields(value, where, ("size", "effective_context_size", "size_label"))
    size = _int(fields["size"], where, "size")
    effective = _int(fields["effective_context_size"], where, "effective_context_size")
    label = _text(fields["size_label"], where, "size_label")
    tier = by_size.get(size)
    if tier is None:
        raise _fail(where, f"size {size} is not in any tier")
    if n_ctx_train is not None and size > n_ctx_train:
        raise _fail(where, f"size {size} > n_ctx_train {n_ctx_train}")
    if effective <= 0:
        raise _fail(where, f"effective_context_size must be positive, got {effective}")
    if effective > size:
        raise _fail(where, f"effective_context_size {effective} > size {size}")
    expected = size_label(size)
    if label != expected:
        raise _fail(where, f"size_label {label!r} does not match {size} (expected {expected!r})")
    return ContextProfile(
        size=size,
        effective_context_size=effective,
        size_label=label,
        tier=tier.tier,
        tier_name=tier.name,
    )
