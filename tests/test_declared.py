"""The code side, with real LazyWorkflowInstance registrations (in-process, no database)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alembic_wfplugin import compat
from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.runtime import import_modules
from alembic_wfplugin.workflows.declared import declared_workflows


@pytest.fixture
def broken_package(tmp_path: Path) -> Iterator[str]:
    package = tmp_path / "broken_wf"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "raises.py").write_text("raise RuntimeError('no database settings')\n")
    (package / "plain.py").write_text("def create_thing():\n    return 1\n")
    sys.path.insert(0, str(tmp_path))
    yield "broken_wf"
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("broken_wf")]:
        del sys.modules[name]


def test_orchestrator_core_own_workflows_are_declared_with_targets() -> None:
    declared = declared_workflows()
    assert declared["modify_note"].target == "MODIFY"
    assert declared["modify_note"].module == f"{compat.orchestrator_package()}.workflows.modify_note"
    assert declared["task_clean_up_tasks"].target == "SYSTEM"


@pytest.mark.usefixtures("fixture_registry")
def test_fixture_workflows_are_declared_with_module_target_and_empty_description() -> None:
    declared = declared_workflows()
    assert declared["create_user_group"].module == "workflows.user_group.create_user_group"
    assert declared["terminate_user"].target == "TERMINATE"
    # 5.x style: no description in the decorator; the fixture's 4.x version states the tutorial's
    assert declared["create_user"].description == (
        "" if compat.orchestrator_package() == "orchestrator.core" else "Create user"
    )


@pytest.mark.usefixtures("registry", "broken_package")
def test_every_broken_registration_is_reported_at_once() -> None:
    lazy = compat._module("workflows").LazyWorkflowInstance
    lazy("broken_wf.missing", "create_missing")
    lazy("broken_wf.plain", "no_such_function")
    lazy("broken_wf.raises", "create_raises")
    lazy("broken_wf.plain", "create_thing")
    with pytest.raises(WorkflowPluginError) as error:
        declared_workflows()
    message = str(error.value)
    assert 'LazyWorkflowInstance("broken_wf.missing", "create_missing"): cannot be instantiated' in message
    assert "does not exist" in message
    assert 'LazyWorkflowInstance("broken_wf.plain", "no_such_function")' in message
    assert "has no attribute 'no_such_function'" in message
    assert "RuntimeError: no database settings" in message
    assert "broken_wf.plain.create_thing is not a workflow" in message
    assert "Fix the module path or function name" in message


def test_import_modules_names_the_module_and_the_fix() -> None:
    with pytest.raises(WorkflowPluginError, match=r"cannot import 'no_such_workflows_pkg'.*PYTHONPATH=\."):
        import_modules(["no_such_workflows_pkg"])
