"""The public surface: what numbers_core and numbers_core.adapter export, and that it is documented."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import numbers_core
import numbers_core.adapter
import numbers_core.bulk
import numbers_core.emulator
import numbers_core.sync
import numbers_core.sync.bulk
import pydantic
import pytest
from numbers_core import errors
from numbers_core.sandbox import SandboxProvider

MODULES = [
    numbers_core,
    numbers_core.adapter,
    numbers_core.bulk,
    numbers_core.emulator,
    numbers_core.sync,
    numbers_core.sync.bulk,
    errors,
]


def _ours(obj: Any) -> bool:
    return (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith("numbers_core")


def _public(module: ModuleType) -> list[tuple[str, Any]]:
    return [(name, getattr(module, name)) for name in module.__all__ if _ours(getattr(module, name))]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_unique_and_complete(module: ModuleType) -> None:
    assert module.__all__ == sorted(module.__all__)
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_star_import_gives_exactly_all(module: ModuleType) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {module.__name__} import *", namespace)  # noqa: S102 - a fixed module name
    assert set(namespace) - {"__builtins__"} == set(module.__all__)


@pytest.mark.parametrize(
    ("name", "obj"),
    [pair for module in MODULES for pair in _public(module)],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_public_class_and_function_is_documented(name: str, obj: Any) -> None:
    # __doc__ of the object itself: a class does not get its base's docstring this way.
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc, f"{name} has no docstring"
    assert doc.strip(), f"{name} has an empty docstring"


def _documented_members(cls: type) -> list[tuple[str, Any]]:
    return [
        (f"{cls.__name__}.{name}", member)
        for name, member in vars(cls).items()
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, classmethod))
    ]


@pytest.mark.parametrize(
    ("name", "member"),
    [pair for cls in (numbers_core.Provider, numbers_core.SearchQuery) for pair in _documented_members(cls)],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_public_methods_are_documented(name: str, member: Any) -> None:
    function = member.__func__ if isinstance(member, classmethod) else member
    assert (function.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_provider_interface_of_the_contract() -> None:
    provider = numbers_core.Provider
    for method in ("search", "purchase", "purchase_any", "get", "configure", "release", "transfer", "aclose"):
        assert inspect.iscoroutinefunction(getattr(provider, method)), method
    # list() is a plain method returning an async iterator, so bad filters fail at the call.
    assert inspect.get_annotations(provider.list, eval_str=True)["return"].__name__ == "Pager"
    assert hasattr(SandboxProvider().list(), "__anext__")
    assert callable(provider.supports)
    assert hasattr(provider, "__aenter__")
    assert hasattr(provider, "__aexit__")
    search = inspect.signature(provider.search).parameters
    assert search["query"].kind is inspect.Parameter.POSITIONAL_ONLY
    assert search["criteria"].kind is inspect.Parameter.VAR_KEYWORD
    purchase = inspect.signature(provider.purchase).parameters
    assert purchase["config"].kind is inspect.Parameter.KEYWORD_ONLY


def test_the_commerce_and_compliance_methods_of_the_contract() -> None:
    provider = numbers_core.Provider
    for method in (
        "prices",
        "coverage",
        "requirements",
        "create_address",
        "delete_address",
        "validate_emergency_address",
        "reserve",
    ):
        assert inspect.iscoroutinefunction(getattr(provider, method)), method
    # addresses() pages as list() does: a plain method returning an async iterator.
    assert inspect.get_annotations(provider.addresses, eval_str=True)["return"].__name__ == "Pager"
    assert hasattr(SandboxProvider().addresses(), "__anext__")
    assert (
        inspect.signature(provider.transfer).parameters["compliance"].kind is inspect.Parameter.KEYWORD_ONLY
    )


def test_errors_module_and_top_level_agree() -> None:
    error_names = [name for name in errors.__all__ if name != "error_for_status"]
    for name in error_names:
        assert getattr(numbers_core, name) is getattr(errors, name)
        assert name in numbers_core.__all__

    def exceptions(module: object, names: list[str]) -> set[str]:
        return {
            name
            for name in names
            if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), BaseException)
        }

    assert exceptions(numbers_core, numbers_core.__all__) == exceptions(errors, error_names)
    assert "Charge" in numbers_core.__all__  # the lines of a PaymentRequiredError's quote
    assert numbers_core.adapter.error_for_status is errors.error_for_status


def test_models_are_pydantic_and_frozen() -> None:
    for name in (
        "ActiveNumber",
        "Address",
        "AddressCheck",
        "AvailableNumber",
        "Callback",
        "Capabilities",
        "Coverage",
        "EmergencyRegistration",
        "Geography",
        "MmsCapabilities",
        "Money",
        "NumberCompliance",
        "NumberConfig",
        "NumberPrice",
        "Requirement",
        "Route",
        "SearchQuery",
        "SmsCapabilities",
        "VoiceCapabilities",
    ):
        model = getattr(numbers_core, name)
        assert issubclass(model, pydantic.BaseModel)
        assert model.model_config.get("frozen") is True, name
        assert model.model_config.get("extra") == "forbid", name


def test_adapter_kit_is_the_same_objects() -> None:
    assert numbers_core.adapter.Provider is numbers_core.Provider
    assert numbers_core.adapter.Feature is numbers_core.Feature
    assert numbers_core.adapter.ProviderSettings is numbers_core.ProviderSettings
    assert numbers_core.adapter.ENTRY_POINT_GROUP == "numbers_core.providers"


def test_version() -> None:
    assert isinstance(numbers_core.__version__, str)
    assert numbers_core.__version__


def test_the_package_namespace_holds_only_the_public_api() -> None:
    # __all__ alone let importlib's `version`, `PackageNotFoundError` and `annotations` through.
    leaked = {
        name
        for name in dir(numbers_core)
        if not name.startswith("_")
        and name not in numbers_core.__all__
        and not (
            isinstance(getattr(numbers_core, name), ModuleType)
            and name in {"errors", "adapter", "sandbox", "cli", "emulator", "bulk", "providers", "sync"}
        )
    }
    assert leaked == set()
