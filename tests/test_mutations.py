"""``make mutants`` holds the tests to the rules; a mutation whose text the code no longer holds would stop
that run halfway. Checked here, on every run, so that a change of the code updates its mutations too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mutants.py"


def test_every_mutation_finds_its_text_once_in_its_file() -> None:
    spec = importlib.util.spec_from_file_location("mutants", SCRIPT)
    assert spec and spec.loader
    mutants = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutants)
    assert mutants.MUTATIONS
    assert mutants.stale() == []
