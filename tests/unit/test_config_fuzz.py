"""Property: any bytes in config.toml either load as settings or raise the project's own UsageError."""

from __future__ import annotations

import math
from dataclasses import fields

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.config.settings import Settings, check_settings, load_settings
from app.core.errors import UsageError

KEYS = [f.name for f in fields(Settings)] + ["colour"]
SCALARS = (st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.booleans() | st.text(max_size=20) | st.just("auto"))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=6)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _load(tmp_path, data: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    try:
        loaded = load_settings(path)
    except UsageError as err:
        assert str(err) and "\n" not in str(err).strip()
    else:
        check_settings(loaded)  # what loads is in range: nothing later refuses it


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes(tmp_path, data):
    _load(tmp_path, data)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_any_toml_document_of_known_and_unknown_keys(tmp_path, document):
    _load(tmp_path, tomli_w.dumps(document).encode("utf-8"))


def _typed(key: str):
    """Values of the key's own type (the ones most likely to load), now and then of another."""
    default = getattr(Settings(), key, None)
    if isinstance(default, bool):
        own = st.booleans()
    elif isinstance(default, float):
        own = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**70), 2**70)
    elif isinstance(default, int) or key in ("n_threads", "seed"):
        own = st.integers(-(2**70), 2**70)
    elif isinstance(default, dict):
        own = st.dictionaries(st.text(max_size=8), st.text(max_size=8) | st.integers(), max_size=3)
    else:
        own = st.text(max_size=30) | st.sampled_from(["auto", "hybrid", "zip", "contextwatch-dark"])
    return own | SCALARS


@FUZZ
@given(st.lists(st.sampled_from(KEYS).flatmap(lambda k: st.tuples(st.just(k), _typed(k))), max_size=4))
def test_keys_with_values_of_their_own_type(tmp_path, items):
    _load(tmp_path, tomli_w.dumps(dict(items)).encode("utf-8"))


@FUZZ
@given(st.sampled_from(KEYS), st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**80), 2**80))
def test_numbers_load_only_when_finite_and_in_range(tmp_path, key, number):
    path = tmp_path / "config.toml"
    path.write_bytes(tomli_w.dumps({key: number}).encode("utf-8"))
    try:
        loaded = load_settings(path)
    except UsageError:
        return
    value = getattr(loaded, key)
    assert not isinstance(value, float) or math.isfinite(value)
