"""Whether a class has every member of a Protocol, with the protocol's parameter names."""

from __future__ import annotations

import inspect

PROTOCOL_PLUMBING = {"__init__", "__module__", "__doc__", "__dict__", "__weakref__", "__annotations__",
                     "__parameters__", "__abstractmethods__", "__subclasshook__", "__protocol_attrs__",
                     "__non_callable_proto_members__", "__orig_bases__", "__class_getitem__", "__slots__",
                     "_is_protocol", "_is_runtime_protocol", "__init_subclass__", "__static_attributes__",
                     "__firstlineno__", "__qualname__", "__type_params__", "_abc_impl"}


def protocol_members(protocol: type) -> set[str]:
    return (set(vars(protocol)) | set(protocol.__annotations__)) - PROTOCOL_PLUMBING


def missing_members(protocol: type, cls: type, instance: object) -> list[str]:
    """Members neither on the class nor set on `instance` (attributes a constructor sets)."""
    return sorted(name for name in protocol_members(protocol) if not hasattr(cls, name) and name not in vars(instance))


def parameter_mismatches(protocol: type, cls: type) -> list[str]:
    """Methods whose parameters are named otherwise than the protocol's, or come in another order.

    Members the class lacks are `missing_members`' to report.
    """
    wrong = []
    for name in sorted(protocol_members(protocol)):
        wanted = vars(protocol).get(name)
        if inspect.isfunction(wanted) and hasattr(cls, name):
            have = inspect.signature(getattr(cls, name))
            if list(have.parameters) != list(inspect.signature(wanted).parameters):
                wrong.append(name)
    return wrong
