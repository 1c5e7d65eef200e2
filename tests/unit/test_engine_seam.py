"""The engine seam: LlamaEngine implements the Engine protocol, and only app/core/engine/llama imports llama_cpp."""

import inspect
import pathlib
import re

import app
from app.core.engine.capabilities import EngineCapabilities
from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.protocol import Engine
from app.core.session.session import Session

PROTOCOL_PLUMBING = {"__init__", "__module__", "__doc__", "__dict__", "__weakref__", "__annotations__",
                     "__parameters__", "__abstractmethods__", "__subclasshook__", "__protocol_attrs__",
                     "__non_callable_proto_members__", "__orig_bases__", "__class_getitem__", "__slots__",
                     "_is_protocol", "_is_runtime_protocol", "__init_subclass__", "__static_attributes__",
                     "__firstlineno__", "__qualname__", "__type_params__", "_abc_impl"}


def protocol_members() -> set[str]:
    return (set(vars(Engine)) | set(Engine.__annotations__)) - PROTOCOL_PLUMBING


def test_llama_engine_has_every_member_of_the_protocol():
    engine = LlamaEngine()  # unloaded: its properties would raise, so look them up on the class
    missing = [name for name in protocol_members()
               if not hasattr(LlamaEngine, name) and name not in vars(engine)]
    assert missing == []


def test_llama_engine_methods_take_the_protocols_parameters():
    for name in protocol_members():
        wanted = vars(Engine).get(name)
        if not inspect.isfunction(wanted):
            continue
        have = inspect.signature(getattr(LlamaEngine, name))
        assert list(have.parameters) == list(inspect.signature(wanted).parameters), name


def test_properties_stay_properties():
    for name, member in vars(Engine).items():
        if isinstance(member, property):
            assert isinstance(inspect.getattr_static(LlamaEngine, name), property), name


def test_capabilities_are_a_frozen_record():
    caps = LlamaEngine.capabilities
    assert isinstance(caps, EngineCapabilities)
    assert caps.can_save_state and caps.counts_tokens_locally and caps.can_change_n_ctx
    assert not caps.can_shift_cache


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
