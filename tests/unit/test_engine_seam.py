"""The engine seam: LlamaEngine implements the Engine protocol, and only app/core/engine/llama imports llama_cpp."""

import inspect
import pathlib
import re

import app
from app.core.engine.capabilities import EngineCapabilities
from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.protocol import Engine
from app.core.session.session import Session
from fakes.protocol_check import missing_members, parameter_mismatches


def test_llama_engine_has_every_member_of_the_protocol():
    engine = LlamaEngine()  # unloaded: its properties would raise, so look them up on the class
    assert missing_members(Engine, LlamaEngine, engine) == []


def test_llama_engine_methods_take_the_protocols_parameters():
    assert parameter_mismatches(Engine, LlamaEngine) == []


def test_properties_stay_properties():
    for name, member in vars(Engine).items():
        if isinstance(member, property):
            assert isinstance(inspect.getattr_static(LlamaEngine, name), property), name


def test_capabilities_are_a_frozen_record():
    caps = LlamaEngine.capabilities
    assert isinstance(caps, EngineCapabilities)
    assert caps.can_save_state and caps.counts_tokens_locally and caps.can_change_n_ctx and caps.can_shift_cache


def test_a_session_defaults_to_the_llama_engine():
    field = Session.__dataclass_fields__["engine"]
    assert field.type in ("Engine", Engine)
    assert isinstance(field.default_factory(), LlamaEngine)


def test_only_the_llama_package_imports_llama_cpp():
    root = pathlib.Path(app.__file__).parent
    llama = root / "core" / "engine" / "llama"
    pattern = re.compile(r"^\s*(import llama_cpp\b|from llama_cpp\b)", re.M)
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if llama not in p.parents and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    assert any(pattern.search(p.read_text(encoding="utf-8")) for p in llama.rglob("*.py"))
