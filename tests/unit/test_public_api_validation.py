"""Every public callable of every ``cecode`` module rejects bad arguments the same way.

The modules are discovered with :mod:`pkgutil` (so a new module is found without editing this
file). Each one has a table in ``tests/unit/api_cases/``, one file per module, named after it
(``cecode.models`` -> ``models.py``, ``cecode.exercises.ch05`` -> ``exercises_ch05.py``)::

    MODULE = "cecode.models"
    CASES = {
        "MLP": {
            "good": lambda: ((), {"hidden": 8}),   # (args, kwargs) of a valid call
            "bad_type": ("hidden", "a"),          # must raise TypeError naming "hidden"
            "bad_value": ("dropout", 1.0),        # must raise ValueError naming "dropout"
        },
    }

Each bad argument replaces one argument of the good call. Where no value of the right type is
out of range, say why instead of ``bad_value``: ``"no_bad_value": "any callable is valid"``.
A class that only holds results may be ``{"exempt": "why"}``; ``"run_good": False`` skips the
valid call itself (it would need the network or data files). Callables without parameters and
exception classes need no entry. A public callable (in its module's ``__all__``, defined there)
without an entry fails :func:`test_every_public_callable_has_an_entry`: new modules register.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import cecode

CASES_DIR = Path(__file__).parent / "api_cases"
KEYS = {"good", "bad_type", "bad_value", "no_bad_value", "exempt", "run_good"}


def _public_modules() -> list[str]:
    """Every importable ``cecode`` module whose dotted name has no private part."""
    names = [m.name for m in pkgutil.walk_packages(cecode.__path__, "cecode.")]
    return sorted(n for n in names if not any(p.startswith("_") for p in n.split(".")))


def _own_callables(module_name: str) -> dict[str, object]:
    """The callables in ``__all__`` defined in the module itself (re-exports belong elsewhere)."""
    module = importlib.import_module(module_name)
    found = {}
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if not callable(obj) or getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            continue  # exceptions are raised, not called with user input
        if not inspect.signature(obj).parameters:
            continue  # nothing to pass a bad value to
        found[name] = obj
    return found


def _load_tables() -> dict[str, dict[str, dict]]:
    tables = {}
    for path in sorted(CASES_DIR.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"api_cases_{path.stem}", path)
        table = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(table)
        tables[table.MODULE] = table.CASES
    return tables


TABLES = _load_tables()
MODULES = _public_modules()
ENTRIES = [
    pytest.param(module, name, id=f"{module}.{name}")
    for module in MODULES
    for name, entry in sorted(TABLES.get(module, {}).items())
    if "exempt" not in entry
]


def test_every_public_callable_has_an_entry():
    missing, stale = [], []
    for module in MODULES:
        own, table = _own_callables(module), TABLES.get(module, {})
        missing += [f"{module}.{name}" for name in own if name not in table]
        stale += [f"{module}.{name}" for name in table if name not in own]
    assert missing == [], f"add entries to tests/unit/api_cases/ for {missing}"
    assert stale == [], f"entries for names that are not public callables: {stale}"


def test_every_table_is_well_formed():
    assert set(TABLES) <= set(MODULES), "a table names a module that does not exist"
    for module, table in TABLES.items():
        for name, entry in table.items():
            where = f"{module}.{name}"
            assert set(entry) <= KEYS, f"{where}: unknown keys {set(entry) - KEYS}"
            if "exempt" in entry:
                assert len(entry) == 1 and entry["exempt"], where
                continue
            assert {"good", "bad_type"} <= set(entry), where
            assert ("bad_value" in entry) != ("no_bad_value" in entry), where


def _call_with(obj, entry: dict, replace: tuple[str, object] | None):
    args, kwargs = entry["good"]()
    if replace is None:
        return obj(*args, **kwargs)
    name, value = replace
    bound = inspect.signature(obj).bind(*args, **kwargs)
    bound.apply_defaults()
    assert name in bound.arguments, f"{name} is not a parameter"
    bound.arguments[name] = value
    return obj(*bound.args, **bound.kwargs)


def _close_figures() -> None:
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(("module", "name"), ENTRIES)
def test_bad_arguments_raise_naming_the_argument(module, name):
    obj = getattr(importlib.import_module(module), name)
    entry = TABLES[module][name]
    try:
        if entry.get("run_good", True):
            _call_with(obj, entry, None)
        checks = [(TypeError, entry["bad_type"])]
        if "bad_value" in entry:
            checks.append((ValueError, entry["bad_value"]))
        for error, (arg, value) in checks:
            with pytest.raises(error) as info:
                _call_with(obj, entry, (arg, value))
            message = str(info.value)
            assert re.search(rf"(?<![\w.]){re.escape(arg)}(?!\w)", message), (
                f"{module}.{name}({arg}={value!r}): the message does not name {arg}: {message}"
            )
    finally:
        _close_figures()


def test_no_message_says_must_be():
    offenders = [
        f"{path.relative_to(Path(cecode.__file__).parent)}:{i}"
        for path in sorted(Path(cecode.__file__).parent.rglob("*.py"))
        for i, line in enumerate(path.read_text().splitlines(), start=1)
        if "must be" in line.lower()
    ]
    assert offenders == [], "say 'name: expected X, got Y' instead of 'must be'"
