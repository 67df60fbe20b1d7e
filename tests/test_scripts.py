"""The maintainers' scripts that CI does not run: what they report is what happened."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_make_compat_succeeds_exactly_when_every_release_passed() -> None:
    compat = script("compat")
    passed = compat.Result("5.5.0", "1.20.0", "5 passed", passed=True)
    warned = compat.Result("4.8.2", "1.18.4", "5 passed, 1 warning", passed=True)
    failed = compat.Result("5.1.3", "1.18.5", "FAILED: 2 failed, 3 passed (see log)")
    not_installed = compat.Result("4.0.4", "?", "install failed: no matching distribution")
    assert compat.exit_status([passed, warned]) == 0
    assert compat.exit_status([passed, failed]) == 1
    assert compat.exit_status([not_installed, passed]) == 1
    assert compat.exit_status([]) == 1


def test_every_mutation_of_make_mutants_finds_its_text_once_in_its_file() -> None:
    """A mutation whose text the code no longer holds would stop ``make mutants`` halfway: checked on every
    run, so that a change of the code updates its mutations too."""
    mutants = script("mutants")
    assert mutants.MUTATIONS
    assert mutants.stale() == []
