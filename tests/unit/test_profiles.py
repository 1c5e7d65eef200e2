from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.config.profiles import (
    ContextProfile,
    ProfileError,
    load_profiles,
    resolve_context,
    size_label,
)
from app.core.errors import UsageError

TIERS = [
    {"tier": 1, "name": "Minimal", "sizes": [2048, 4096]},
    {"tier": 2, "name": "Basic", "sizes": [8192]},
    {"tier": 3, "name": "Standard", "sizes": [16384]},
    {"tier": 4, "name": "Premium", "sizes": [32768]},
    {"tier": 5, "name": "Ultra", "sizes": [65536, 131072]},
]

VALID: dict[str, Any] = {
    "format_version": 1,
    "tiers": TIERS,
    "models": [
        {
            "id": "default",
            "description": "anything",
            "match": {},
            "context_profiles": [
                {"size": 2048, "effective_context_size": 1740, "size_label": "2K"},
                {"size": 4096, "effective_context_size": 3481, "size_label": "4K"},
            ],
        },
        {
            "id": "qwen3",
            "description": "Qwen3",
            "match": {"name": ["qwen3"], "basename": ["qwen3"], "architecture": ["qwen3"]},
            "n_ctx_train": 32768,
            "context_profiles": [
                {"size": 16384, "effective_context_size": 13926, "size_label": "16K"},
                {"size": 32768, "effective_context_size": 27852, "size_label": "32K"},
            ],
        },
    ],
}

QWEN = 'models[1] ("qwen3")'


def write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def mutated(change: Callable[[dict], None]) -> dict:
    doc = copy.deepcopy(VALID)
    change(doc)
    return doc


@pytest.fixture(scope="module")
def book():
    return load_profiles()


def test_valid_fixture_loads(tmp_path: Path) -> None:
    loaded = load_profiles(write(tmp_path, VALID))
    qwen = loaded.get("qwen3")
    assert qwen.match_architecture == ("qwen3",)
    assert qwen.n_ctx_train == 32768
    assert qwen.context_profiles[1] == ContextProfile(32768, 27852, "32K", 4, "Premium")
    assert loaded.default.match_name == ()


def test_shipped_file_loads(book) -> None:
    assert book.path.name == "LLM_profiles.json"
    assert [(t.tier, t.name, t.sizes) for t in book.tiers] == [
        (1, "Minimal", (2048, 4096)),
        (2, "Basic", (8192,)),
        (3, "Standard", (16384,)),
        (4, "Premium", (32768,)),
        (5, "Ultra", (65536, 131072)),
    ]
    assert book.models[0].id == "default"
    assert book.default.sizes == (2048, 4096, 8192, 16384, 32768, 65536, 131072)
    smol = book.get("smollm2")
    assert smol.n_ctx_train == 8192
    assert smol.context_profiles == (
        ContextProfile(2048, 1740, "2K", 1, "Minimal"),
        ContextProfile(4096, 3481, "4K", 1, "Minimal"),
        ContextProfile(8192, 6963, "8K", 2, "Basic"),
    )


def test_shipped_entries_respect_their_training_context(book) -> None:
    expected_max = {
        "smollm2": 8192, "llama3.1": 131072, "llama3": 8192, "qwen3": 32768,
        "qwen2.5": 32768, "gemma3-1b": 32768, "gemma3": 131072, "gemma2": 8192,
        "mistral": 32768, "phi3-128k": 131072, "phi4": 16384, "phi3": 4096,
    }
    assert {m.id: m.sizes[-1] for m in book.models if m.id != "default"} == expected_max
    for model in book.models:
        for p in model.context_profiles:
            assert 0.8 * p.size <= p.effective_context_size <= 0.9 * p.size


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(note="x"),
            f"{QWEN}: context_profiles[0]: unknown key 'note'",
        ),
        (
            lambda d: d["models"][1]["match"].update(path=["x"]),
            f"{QWEN}: match: unknown key 'path'",
        ),
        (lambda d: d["models"][1].pop("description"), f"{QWEN}: missing key 'description'"),
        (
            lambda d: d["models"][1]["context_profiles"][1].pop("effective_context_size"),
            f"{QWEN}: context_profiles[1]: missing key 'effective_context_size'",
        ),
        (lambda d: d.pop("tiers"), "missing key 'tiers'"),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(size="16384"),
            f'{QWEN}: context_profiles[0]: size must be an integer, got "16384"',
        ),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(size=True),
            f"{QWEN}: context_profiles[0]: size must be an integer, got true",
        ),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(effective_context_size=13926.0),
            f"{QWEN}: context_profiles[0]: effective_context_size must be an integer, got 13926.0",
        ),
        (lambda d: d.update(format_version=True), "format_version must be an integer, got true"),
        (
            lambda d: d["tiers"][0].update(tier=False),
            "tiers[0]: tier must be an integer, got false",
        ),
        (
            lambda d: d["models"][1].update(n_ctx_train=True),
            f"{QWEN}: n_ctx_train must be an integer, got true",
        ),
        (
            lambda d: d["models"][1]["match"].update(name="qwen3"),
            f'{QWEN}: match: name must be a list, got "qwen3"',
        ),
        (lambda d: d["models"][1].update(id=7), "models[1]: id must be a non-empty string, got 7"),
        (
            lambda d: d["models"][1]["context_profiles"].reverse(),
            f"{QWEN}: context_profiles sizes: 16384 after 32768, must be ascending",
        ),
        (
            lambda d: d["models"][1]["context_profiles"][1].update(effective_context_size=40000),
            f"{QWEN}: context_profiles[1]: effective_context_size 40000 > size 32768",
        ),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(effective_context_size=0),
            f"{QWEN}: context_profiles[0]: effective_context_size must be positive, got 0",
        ),
        (
            lambda d: d["models"][1]["context_profiles"].append(
                {"size": 32768, "effective_context_size": 27852, "size_label": "32K"}
            ),
            f"{QWEN}: context_profiles sizes: duplicate 32768",
        ),
        (
            lambda d: d["models"].append(copy.deepcopy(d["models"][1])),
            "models[2] (\"qwen3\"): duplicate id 'qwen3'",
        ),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(
                size=24576, effective_context_size=20889, size_label="24K"
            ),
            f"{QWEN}: context_profiles[0]: size 24576 is not in any tier",
        ),
        (lambda d: d["models"].pop(0), "models has no 'default' entry"),
        (
            lambda d: d["models"][1]["context_profiles"][0].update(size_label="8K"),
            f"{QWEN}: context_profiles[0]: size_label '8K' does not match 16384 (expected '16K')",
        ),
        (
            lambda d: d["models"][1].update(n_ctx_train=16384),
            f"{QWEN}: context_profiles[1]: size 32768 > n_ctx_train 16384",
        ),
        (
            lambda d: d["models"][1]["match"].update(name=["Qwen3"]),
            f"{QWEN}: match: name[0] 'Qwen3' must be lower-case",
        ),
        (
            lambda d: d["models"][0]["match"].update(name=["x"]),
            'models[0] ("default"): the default entry must have an empty match',
        ),
        (
            lambda d: d["models"][1].update(context_profiles=[]),
            f"{QWEN}: context_profiles must not be empty",
        ),
        (
            lambda d: d["tiers"][1].update(tier=1),
            "tiers[1]: tier 1 after tier 1, must be ascending and unique",
        ),
        (
            lambda d: d["tiers"][0].update(sizes=[4096, 2048]),
            "tiers[0]: sizes: 2048 after 4096, must be ascending",
        ),
        (
            lambda d: d["tiers"][1].update(sizes=[4096]),
            "tiers[1]: size 4096 is not above tier 1's sizes",
        ),
        (lambda d: d.update(format_version=2), "format_version 2 is not supported (expected 1)"),
    ],
)
def test_invalid_file_names_file_and_entry(tmp_path: Path, change, message: str) -> None:
    path = write(tmp_path, mutated(change))
    with pytest.raises(ProfileError) as err:
        load_profiles(path)
    assert str(err.value) == f"{path}: {message}"


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, [1, 2])
    with pytest.raises(ProfileError, match=r": must be an object, got list$"):
        load_profiles(path)


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format_version": 1,\n  "tiers": [}', encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profiles(path)
    assert str(err.value).startswith(f"{path}: invalid JSON at line 2 column 13: ")


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"format_version": 1, "x": "\xff"}')
    with pytest.raises(ProfileError) as err:
        load_profiles(path)
    assert str(err.value) == f"{path}: not valid UTF-8 (byte 28)"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ProfileError) as err:
        load_profiles(path)
    assert str(err.value) == f"{path}: profile file not found"
    assert isinstance(err.value, UsageError)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("name", "basename", "arch", "expected", "matched"),
    [
        ("SmolLM2 135M Instruct", "SmolLM2", "llama", "smollm2", True),
        (None, "SmolLM2", "llama", "smollm2", True),
        ("Mystery 7B", None, "qwen3", "qwen3", True),
        ("Mystery 7B", None, "QWEN2", "qwen2.5", True),
        ("Gemma 2 9b It", "gemma-2", "qwen3", "gemma2", True),
        ("Meta Llama 3.1 8B Instruct", "Meta-Llama-3.1", "llama", "llama3.1", True),
        ("Meta-Llama-3-8B-Instruct", None, "llama", "llama3", True),
        ("Phi 3.5 Mini Instruct", "Phi-3.5", "phi3", "phi3-128k", True),
        ("Phi 3 Mini 4k Instruct", None, "phi3", "phi3", True),
        ("Gemma 3 1b It", "gemma-3", "gemma3", "gemma3-1b", True),
        ("Gemma 3 12b It", "gemma-3", "gemma3", "gemma3", True),
        ("Unknown", None, "llama", "default", False),
        (None, None, None, "default", False),
    ],
)
def test_match(book, name, basename, arch, expected: str, matched: bool) -> None:
    model, was_matched = book.match(name, basename, arch)
    assert (model.id, was_matched) == (expected, matched)


def test_match_prefers_name_then_file_order(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        first = copy.deepcopy(d["models"][1])
        first.update(id="arch-only", match={"architecture": ["llama"]})
        second = copy.deepcopy(d["models"][1])
        second.update(id="by-name", match={"name": ["foo"], "architecture": ["llama"]})
        third = copy.deepcopy(d["models"][1])
        third.update(id="by-basename", match={"basename": ["foo"]})
        d["models"].extend([first, second, third])

    book = load_profiles(write(tmp_path, mutated(change)))
    assert book.match("Foo 1B", None, "llama")[0].id == "by-name"
    assert book.match("Bar", "foo-1", "llama")[0].id == "by-basename"
    assert book.match("Bar", "bar", "llama")[0].id == "arch-only"
    assert book.match("Bar", "bar", "mamba") == (book.default, False)


def test_tier_for(book) -> None:
    assert (book.tier_for(4096).tier, book.tier_for(4096).name) == (1, "Minimal")
    assert (book.tier_for(131072).tier, book.tier_for(131072).name) == (5, "Ultra")
    assert book.tier_for(3000) is None


def test_resolve_context_exact(book) -> None:
    smol = book.get("smollm2")
    assert resolve_context(book, smol, 8192) is smol.context_profiles[2]


@pytest.mark.parametrize(
    ("profile_id", "n_ctx", "expected"),
    [
        ("smollm2", 512, ContextProfile(512, 435, "512", 1, "Minimal", custom=True)),
        ("smollm2", 1024, ContextProfile(1024, 870, "1K", 1, "Minimal", custom=True)),
        ("smollm2", 3000, ContextProfile(3000, 2548, "2.9K", 1, "Minimal", custom=True)),
        ("default", 12288, ContextProfile(12288, 10444, "12K", 2, "Basic", custom=True)),
        ("default", 200000, ContextProfile(200000, 169999, "195.3K", 5, "Ultra", custom=True)),
    ],
)
def test_resolve_context_custom(
    book, profile_id: str, n_ctx: int, expected: ContextProfile
) -> None:
    assert resolve_context(book, book.get(profile_id), n_ctx) == expected


def test_resolve_context_rejects_non_positive(book) -> None:
    with pytest.raises(UsageError, match="n_ctx must be a positive integer, got 0"):
        resolve_context(book, book.default, 0)


@pytest.mark.parametrize(
    ("n", "label"),
    [
        (512, "512"), (1024, "1K"), (1536, "1.5K"), (2048, "2K"),
        (3000, "2.9K"), (3070, "2.9K"), (131072, "128K"),
    ],
)
def test_size_label(n: int, label: str) -> None:
    assert size_label(n) == label
