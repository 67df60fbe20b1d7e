"""Reading target and description from a workflow module's source, without importing it."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from alembic_wfplugin import compat
from alembic_wfplugin.workflows.declared import declared_workflows
from alembic_wfplugin.workflows.source import read_from_source

PREAMBLE = f"""\
from {compat.orchestrator_package()}.targets import Target
from {compat.orchestrator_package()}.workflow import StepList, begin, done, workflow
from {compat.orchestrator_package()}.workflows.utils import create_workflow, task as make_task
"""


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "srcwf"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    yield folder
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("srcwf")]:
        del sys.modules[name]


def module(package: Path, name: str, body: str) -> str:
    (package / f"{name}.py").write_text(PREAMBLE + textwrap.dedent(body))
    return f"srcwf.{name}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("@workflow(target=Target.MODIFY)\ndef wf() -> StepList: ...\n", ("MODIFY", "")),
        ('@workflow("Modify it", target=Target.VALIDATE)\ndef wf(): ...\n', ("VALIDATE", "Modify it")),
        ('@workflow("Positional", None, Target.TERMINATE)\ndef wf(): ...\n', ("TERMINATE", "Positional")),
        ("@workflow()\ndef wf(): ...\n", ("SYSTEM", "")),  # @workflow's default target
        ('@create_workflow("Create it")\ndef wf(): ...\n', ("CREATE", "Create it")),
        ("@make_task(description='Clean')\ndef wf(): ...\n", ("SYSTEM", "Clean")),
    ],
)
def test_plain_decorators_are_read_without_import(package: Path, body: str, expected: tuple[str, str]) -> None:
    name = module(package, "plain", body + "raise RuntimeError('must not be imported')\n")
    assert read_from_source(name, "wf") == expected
    assert name not in sys.modules


@pytest.mark.parametrize(
    "body",
    [
        "@workflow(target=TARGET)\ndef wf(): ...\n",  # not a literal Target
        "@workflow(DESCRIPTION, target=Target.MODIFY)\ndef wf(): ...\n",  # not a literal description
        "@workflow(**OPTIONS)\ndef wf(): ...\n",
        "@other(target=Target.MODIFY)\ndef wf(): ...\n",  # not orchestrator-core's decorator
        "@workflow(target=Target.MODIFY)\n@extra\ndef wf(): ...\n",
        "@workflow(target=Target.MODIFY)\ndef wf(): ...\nwf = wrap(wf)\n",  # rebound
        "wf = make_workflow('x')\n",  # made by a factory
        "def wf(): ...\n",
        "@workflow(target=Target.MODIFY)\ndef wf(:\n",  # syntax error: the import reports it
    ],
)
def test_anything_less_plain_is_left_to_an_import(package: Path, body: str) -> None:
    assert read_from_source(module(package, "odd", body), "wf") is None


def test_missing_module_is_left_to_an_import() -> None:
    assert read_from_source("srcwf_missing.module", "wf") is None


@pytest.mark.usefixtures("fixture_registry")
def test_source_and_import_agree_on_the_fixture_and_orchestrator_core() -> None:
    assert declared_workflows(from_source=True) == declared_workflows()
