"""The default mode's cache: keyed by content, never the reason for a wrong revision, safe to lose.

In-process comparator runs against this test's database (fast); no wall-clock time is asserted.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import UpgradeOps
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from alembic_wfplugin import cache as cache_module
from alembic_wfplugin import compare, compat
from alembic_wfplugin.cache import ComparisonCache, cache_file
from alembic_wfplugin.workflows import comparison as workflow_comparison
from alembic_wfplugin.workflows import module_files
from alembic_wfplugin.workflows.changes import AddWorkflow, WorkflowChange
from alembic_wfplugin.workflows.declared import declared_workflows
from alembic_wfplugin.workflows.module_files import ModuleFiles
from alembic_wfplugin.workflows.ops import WorkflowOps
from alembic_wfplugin.workflows.remembered import WorkflowMemory, declared_digest
from tests.revision_code import rendered, run_rendered

PACKAGE = "cachewf"
MODULE = f"""\
from {compat.orchestrator_package()}.targets import Target
from {compat.orchestrator_package()}.workflow import StepList, begin, done, workflow


@workflow("Cached workflow", target=Target.MODIFY)
def cached_wf() -> StepList:
    return begin >> done
"""


@pytest.fixture
def package(tmp_path: Path, registry: MutableMapping[str, Any]) -> Iterator[Path]:
    """``cachewf.cached`` defining ``cached_wf``, registered (the registry is restored afterwards), ``cachewf``
    imported."""
    folder = tmp_path / "code" / PACKAGE
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "cached.py").write_text(MODULE)
    sys.path.insert(0, str(folder.parent))
    importlib.import_module(PACKAGE)  # as main.py imports the package whose __init__.py registers workflows
    compat._module("workflows").LazyWorkflowInstance(f"{PACKAGE}.cached", "cached_wf")
    yield folder
    sys.path.remove(str(folder.parent))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def run_comparator(connection: sa.Connection, cache_dir: Path | bool, **options: object) -> list[WorkflowChange]:
    """One autogenerate comparison in this process, as ``main.py db revision --autogenerate`` runs it."""
    opts = {
        "autogenerate_plugins": ["alembic_wfplugin"],
        "wfplugin_cache_dir": str(cache_dir) if isinstance(cache_dir, Path) else cache_dir,
        "wfplugin_product_types": {"cached_wf": []},
        **options,
    }
    context = MigrationContext.configure(connection, opts=opts)
    upgrade_ops = UpgradeOps()
    compare.compare_workflows(AutogenContext(context), upgrade_ops)
    return [
        change for container in upgrade_ops.ops if isinstance(container, WorkflowOps) for change in container.changes
    ]


def added_target(changes: list[WorkflowChange], name: str = "cached_wf") -> str:
    (target,) = [c.spec.target for c in changes if isinstance(c, AddWorkflow) and c.spec.name == name]
    return target


def the_cache_file(cache_dir: Path) -> Path:
    return cache_file(cache_dir)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprints of files and folders changed just now are trusted (by default they are not, as the
    next change may share their timestamps): the fingerprint itself is what these tests test."""
    monkeypatch.setattr(module_files, "RECENT_NS", 0)


@pytest.mark.usefixtures("settled")
def test_an_edited_module_is_seen_though_its_size_and_timestamps_are_kept(
    package: Path, connection: sa.Connection, tmp_path: Path
) -> None:
    module = package / "cached.py"
    assert added_target(run_comparator(connection, tmp_path / "cache")) == "MODIFY"
    assert the_cache_file(tmp_path / "cache").exists()
    assert f"{PACKAGE}.cached" not in sys.modules  # read from its source, not imported

    before = module.stat()
    edited = module.read_text().replace("Target.MODIFY", "Target.SYSTEM")
    assert len(edited) == len(module.read_text())
    module.write_text(edited)
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (module.stat().st_size, module.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    assert added_target(run_comparator(connection, tmp_path / "cache")) == "SYSTEM"


def test_an_unchanged_module_is_not_parsed_again_and_an_edited_one_is(package: Path, tmp_path: Path) -> None:
    path = the_cache_file(tmp_path / "cache")
    first = ComparisonCache(path)
    assert declared_workflows(from_source=True, memory=WorkflowMemory.of(first))["cached_wf"].target == "MODIFY"
    first.save()
    assert WorkflowMemory.of(first).parsed >= 1  # this module, and orchestrator-core's own

    second = ComparisonCache(path)
    assert declared_workflows(from_source=True, memory=WorkflowMemory.of(second))["cached_wf"].target == "MODIFY"
    assert WorkflowMemory.of(second).parsed == 0

    (package / "cached.py").write_text(MODULE.replace('"Cached workflow"', '"Cached, edited"'))
    third = ComparisonCache(path)
    assert (
        declared_workflows(from_source=True, memory=WorkflowMemory.of(third))["cached_wf"].description
        == "Cached, edited"
    )
    assert WorkflowMemory.of(third).parsed == 1


def reads_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the cache reads from now on."""
    reads: list[str] = []
    original = module_files.read_bytes
    monkeypatch.setattr(module_files, "read_bytes", lambda name: reads.append(name) or original(name))
    return reads


def reads_in_a_second_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two runs with the cache file at ``path``: what the second one reads (and keeps reading after)."""
    first = ComparisonCache(path)
    declared_workflows(from_source=True, memory=WorkflowMemory.of(first))
    first.save()
    reads = reads_of(monkeypatch)
    second = ComparisonCache(path)
    assert declared_workflows(from_source=True, memory=WorkflowMemory.of(second))["cached_wf"].target == "MODIFY"
    return reads


@pytest.mark.usefixtures("settled")
def test_an_unchanged_file_is_not_even_read_again(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose stat fingerprint (size, mtime, ctime, inode) is unchanged keeps its content hash; the
    edit in the test above moves its ctime, which ``os.utime`` cannot put back."""
    path = the_cache_file(tmp_path / "cache")
    reads = reads_in_a_second_run(path, monkeypatch)
    assert reads == []
    (package / "cached.py").write_text(MODULE.replace('"Cached workflow"', '"Cached, edited"'))
    third = ComparisonCache(path)
    assert (
        declared_workflows(from_source=True, memory=WorkflowMemory.of(third))["cached_wf"].description
        == "Cached, edited"
    )
    assert reads == [str(package / "cached.py")]


def test_a_file_changed_just_before_its_fingerprint_was_taken_is_read_again(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timestamps come from a clock that ticks every few milliseconds: an edit right after a run, keeping
    the size, may leave the fingerprint as it was. So a fingerprint taken less than RECENT_NS after the
    file's last change is not kept, and the next run hashes the file again (here: an hour, so that the
    module written by the fixture is recent whatever the machine's speed)."""
    monkeypatch.setattr(module_files, "RECENT_NS", 3600 * 10**9)
    assert str(package / "cached.py") in reads_in_a_second_run(the_cache_file(tmp_path / "cache"), monkeypatch)


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all {",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'{"format": 999, "entries": {}}',
        b"",
    ],
)
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_replaced(
    package: Path, connection: sa.Connection, tmp_path: Path, content: bytes
) -> None:
    path = the_cache_file(tmp_path / "cache")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert added_target(run_comparator(connection, tmp_path / "cache")) == "MODIFY"
    assert json.loads(path.read_bytes().partition(b"\n")[0])["format"] == cache_module.FORMAT
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"entries": [], "files": {}, "in_sync": null}',
        b'{"entries": {"k": 5}}',
        b'{"in_sync": 5, "in_sync_warnings": [], "sections": {}}',
        # a file of the right shape whose workflows' section is not
        b'{"in_sync": null, "in_sync_warnings": [], "sections": {"workflows": {"entries": {"k": 5}}}}',
    ],
)
def test_a_cache_file_of_the_wrong_shape_is_ignored_though_its_checksum_matches(
    package: Path, connection: sa.Connection, tmp_path: Path, body: bytes
) -> None:
    path = the_cache_file(tmp_path / "cache")
    path.parent.mkdir(parents=True)
    header = {
        "format": cache_module.FORMAT,
        "code": cache_module.code_version(),
        "sha1": hashlib.sha1(body).hexdigest(),
    }
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert added_target(run_comparator(connection, tmp_path / "cache")) == "MODIFY"


def test_an_edited_cache_file_is_ignored_as_a_whole(package: Path, connection: sa.Connection, tmp_path: Path) -> None:
    """The header's SHA-1 of the body is what makes the file trusted: a body edited afterwards (here: every
    answer forged to SYSTEM, which would make the revision wrong) is not used at all."""
    path = the_cache_file(tmp_path / "cache")
    run_comparator(connection, tmp_path / "cache")
    header, _, body = path.read_bytes().partition(b"\n")
    document = json.loads(body)
    entries = document["sections"]["workflows"]["entries"]
    document["sections"]["workflows"]["entries"] = {key: ["SYSTEM", "x"] for key in entries}
    path.write_bytes(header + b"\n" + json.dumps(document).encode())
    assert added_target(run_comparator(connection, tmp_path / "cache")) == "MODIFY"


def test_a_comparison_that_found_nothing_is_skipped_only_while_nothing_changed(
    package: Path,
    connection: sa.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the code's workflows made live, as the revision would
    connection.execute(
        sa.text("INSERT INTO workflows (name, target, description, is_task) VALUES ('cached_wf', 'MODIFY', 'C', false)")
    )
    core_drift = run_comparator(connection, tmp_path / "cache")  # orchestrator-core's own drift, if any
    assert not [change for change in core_drift if change.name == "cached_wf"]
    if core_drift:  # 4.8 leaves task_validate_product_type's is_task false: apply the fix, as a revision would
        run_rendered(rendered(UpgradeOps([WorkflowOps.of(core_drift)])), connection)
        assert run_comparator(connection, tmp_path / "cache") == []  # in sync now: remembered as such
    calls: list[object] = []
    real_diff = workflow_comparison.diff_workflows

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real_diff(*args, **kwargs)

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "alembic.wfplugin" and r.levelname == "WARNING"]

    caplog.clear()
    assert run_comparator(connection, tmp_path / "cache") == []
    compared = warnings()
    assert any("task_validate_products reports on" in warning for warning in compared)  # no VALIDATE workflow
    monkeypatch.setattr(workflow_comparison, "diff_workflows", counted)
    caplog.clear()
    assert run_comparator(connection, tmp_path / "cache") == []
    assert calls == []  # same code, same database, same options: the diff is not run again
    assert warnings() == compared  # and it warns of what the comparison it stands for warned of

    connection.execute(sa.text("UPDATE workflows SET target = 'CREATE' WHERE name = 'cached_wf'"))
    changes = run_comparator(connection, tmp_path / "cache")
    assert len(calls) == 1
    assert [change.word for change in changes] == ["update"]

    connection.execute(sa.text("UPDATE workflows SET target = 'MODIFY' WHERE name = 'cached_wf'"))
    assert run_comparator(connection, tmp_path / "cache") == []
    assert run_comparator(connection, tmp_path / "cache", wfplugin_compare_descriptions=True) != []  # options count


def test_a_missing_module_or_function_stops_autogenerate_in_the_default_mode(
    package: Path, connection: sa.Connection, tmp_path: Path
) -> None:
    lazy = compat._module("workflows").LazyWorkflowInstance
    lazy(f"{PACKAGE}.missing", "create_missing")
    lazy(f"{PACKAGE}.cached", "no_such_function")
    with pytest.raises(CommandError) as error:
        run_comparator(connection, tmp_path / "cache", wfplugin_product_types={})
    message = str(error.value)
    assert f'LazyWorkflowInstance("{PACKAGE}.missing", "create_missing"): cannot be instantiated' in message
    assert f'LazyWorkflowInstance("{PACKAGE}.cached", "no_such_function")' in message


def test_no_cache_writes_nothing(package: Path, connection: sa.Connection, tmp_path: Path) -> None:
    assert added_target(run_comparator(connection, False)) == "MODIFY"
    assert not (tmp_path / "cache").exists()


def test_the_default_folder_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_module.default_folder() == tmp_path / "alembic-wfplugin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_module.default_folder() == Path.home() / ".cache" / "alembic-wfplugin"


@pytest.mark.usefixtures("fixture_registry")
def test_module_files_agree_with_the_import_system() -> None:
    default_package = compat.default_workflows_package()
    for lazy in compat.workflow_registry().values():
        module = f"{default_package}{lazy.package}" if lazy.package.startswith(".") else lazy.package
        spec = importlib.util.find_spec(module)
        assert spec is not None
        assert ModuleFiles().source_file(module) == spec.origin


def test_module_files_leave_packages_namespaces_and_path_changes_to_the_import_system(tmp_path: Path) -> None:
    root = tmp_path / "resolve"
    (root / "mfpkg" / "shadowed").mkdir(parents=True)
    (root / "mfpkg" / "__init__.py").write_text("")
    (root / "mfpkg" / "shadowed.py").write_text("")  # the package folder of that name wins
    (root / "mfpkg" / "shadowed" / "__init__.py").write_text("")
    (root / "mfpkg" / "namespace").mkdir()
    (root / "mfpkg" / "namespace" / "inner.py").write_text("")
    (root / "mfpkg" / "moved").mkdir()
    (root / "mfpkg" / "moved" / "__init__.py").write_text(f"__path__ = [{str(root / 'elsewhere')!r}]\n")
    (root / "mfpkg" / "moved" / "inner.py").write_text("")
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "inner.py").write_text("")
    sys.path.insert(0, str(root))
    try:
        for module in ("mfpkg.shadowed", "mfpkg.namespace.inner", "mfpkg.moved.inner", "mfpkg.absent"):
            spec = importlib.util.find_spec(module)
            assert ModuleFiles().source_file(module) == (spec.origin if spec else None), module
        assert ModuleFiles().source_file("mfpkg.moved.inner") == str(root / "elsewhere" / "inner.py")
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == "mfpkg" or name.startswith("mfpkg.")]:
            del sys.modules[name]


def test_a_plain_module_that_fails_to_import_is_reported_by_the_import_mode_only(
    package: Path, connection: sa.Connection, tmp_path: Path
) -> None:
    """The documented price of the default mode: a module whose decorator is read is not imported."""
    (package / "cached.py").write_text(MODULE + "raise RuntimeError('cannot reach the IPAM')\n")
    assert added_target(run_comparator(connection, tmp_path / "cache")) == "MODIFY"
    with pytest.raises(CommandError, match="RuntimeError: cannot reach the IPAM"):
        run_comparator(connection, tmp_path / "cache", wfplugin_read_workflows="import")


@pytest.fixture
def resolvable(tmp_path: Path) -> Iterator[Path]:
    """``rmpkg.sub.mod`` under the folder returned, ``rmpkg`` imported (as main.py imports the registry's
    package), ``rmpkg.sub`` not."""
    root = tmp_path / "resolve"
    (root / "rmpkg" / "sub").mkdir(parents=True)
    (root / "rmpkg" / "__init__.py").write_text("")
    (root / "rmpkg" / "sub" / "__init__.py").write_text("")
    (root / "rmpkg" / "sub" / "mod.py").write_text("")
    sys.path.insert(0, str(root))
    importlib.import_module("rmpkg")
    yield root
    sys.path.remove(str(root))
    for name in [name for name in sys.modules if name == "rmpkg" or name.startswith("rmpkg.")]:
        del sys.modules[name]


def _change_nothing(root: Path) -> None:
    pass


def _shadow_with_a_package(root: Path) -> None:
    (root / "rmpkg" / "sub" / "mod").mkdir()
    (root / "rmpkg" / "sub" / "mod" / "__init__.py").write_text("")


def _shadow_with_an_extension(root: Path) -> None:
    (root / "rmpkg" / "sub" / f"mod{importlib.machinery.EXTENSION_SUFFIXES[0]}").write_bytes(b"")


def _give_the_parent_code(root: Path) -> None:
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "mod.py").write_text("")
    (root / "rmpkg" / "sub" / "__init__.py").write_text(f"__path__ = [{str(root / 'elsewhere')!r}]\n")


def _import_the_parent_from_elsewhere(root: Path) -> None:
    _give_the_parent_code(root)
    importlib.import_module("rmpkg.sub")


def _move_the_module(root: Path) -> None:
    (root / "rmpkg" / "sub" / "mod.py").rename(root / "rmpkg" / "sub" / "gone.py")


@pytest.mark.parametrize(
    "change",
    [
        _change_nothing,
        _shadow_with_a_package,
        _shadow_with_an_extension,
        _give_the_parent_code,
        _import_the_parent_from_elsewhere,
        _move_the_module,
    ],
)
@pytest.mark.usefixtures("settled")
def test_a_remembered_module_file_is_found_again_only_while_what_it_rested_on_holds(
    resolvable: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None]
) -> None:
    """The oracle is a fresh lookup, checked against the import system's own answer, after the change:
    whatever changed in the folders, files or imports the remembered lookup rested on, its answer is not
    used again."""
    first = ModuleFiles()
    assert first.source_file("rmpkg.sub.mod") == str(resolvable / "rmpkg" / "sub" / "mod.py")
    assert "rmpkg.sub" not in sys.modules  # found without importing its package

    change(resolvable)
    listed: list[str] = []
    original = os.listdir
    monkeypatch.setattr(module_files.os, "listdir", lambda folder: listed.append(folder) or original(folder))
    remembered = ModuleFiles(first.found).source_file("rmpkg.sub.mod")
    listed_by_remembered = list(listed)
    expected = ModuleFiles().source_file("rmpkg.sub.mod")
    spec = importlib.util.find_spec("rmpkg.sub.mod")  # imports rmpkg.sub: last
    assert expected == (spec.origin if spec and spec.origin and spec.origin.endswith(".py") else None)
    assert remembered == expected
    if change is _change_nothing:
        assert listed_by_remembered == []  # not looked up again
    else:
        assert listed_by_remembered != []
        assert expected != str(resolvable / "rmpkg" / "sub" / "mod.py")


def test_a_module_file_found_in_a_folder_changed_just_before_is_looked_up_again(
    resolvable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module_files, "RECENT_NS", 3600 * 10**9)
    first = ModuleFiles()
    first.source_file("rmpkg.sub.mod")
    listed: list[str] = []
    original = os.listdir
    monkeypatch.setattr(module_files.os, "listdir", lambda folder: listed.append(folder) or original(folder))
    assert ModuleFiles(first.found).source_file("rmpkg.sub.mod") == str(resolvable / "rmpkg" / "sub" / "mod.py")
    assert str(resolvable / "rmpkg" / "sub") in listed


def _edit_the_module(package: Path) -> None:
    (package / "cached.py").write_text(MODULE.replace("Target.MODIFY", "Target.SYSTEM"))


def _register_another(package: Path) -> None:
    (package / "other.py").write_text(MODULE.replace("cached_wf", "other_wf"))
    compat._module("workflows").LazyWorkflowInstance(f"{PACKAGE}.other", "other_wf")


def _import_the_module(package: Path) -> None:
    importlib.import_module(f"{PACKAGE}.cached")  # its file is its origin: the same file


def _load_the_module_from_another_file(package: Path) -> None:
    elsewhere = package.parent / "elsewhere.py"
    elsewhere.write_text(MODULE.replace("Target.MODIFY", "Target.SYSTEM"))
    spec = importlib.util.spec_from_file_location(f"{PACKAGE}.cached", elsewhere)
    assert spec is not None and spec.loader is not None
    sys.modules[f"{PACKAGE}.cached"] = module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


@pytest.mark.parametrize(
    "change",
    [_change_nothing, _import_the_module, _edit_the_module, _register_another, _load_the_module_from_another_file],
)
@pytest.mark.usefixtures("settled")
def test_the_whole_registry_is_taken_as_remembered_only_while_nothing_it_rested_on_changed(
    package: Path, tmp_path: Path, change: Callable[[Path], None]
) -> None:
    """The oracle: what reading every registration again, without any cache, gives after the change."""
    path = the_cache_file(tmp_path / "cache")
    first = ComparisonCache(path)
    registry = compat.workflow_registry()
    first_digest = WorkflowMemory.of(first).remember_declared(
        registry, declared_workflows(registry, from_source=True, memory=WorkflowMemory.of(first))
    )
    first.save()
    assert WorkflowMemory.of(first).this_run.declared is not None  # every registration read from a file: remembered

    change(package)
    oracle = declared_digest(declared_workflows(registry, from_source=True, memory=WorkflowMemory()))
    remembered = WorkflowMemory.of(ComparisonCache(path)).unchanged_declared(registry)
    if change in (_change_nothing, _import_the_module):
        assert remembered == oracle == first_digest
    else:
        assert oracle != first_digest
        assert remembered is None


def test_a_registry_read_just_after_a_change_is_not_taken_as_remembered(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module_files, "RECENT_NS", 3600 * 10**9)
    first = ComparisonCache(the_cache_file(tmp_path / "cache"))
    registry = compat.workflow_registry()
    WorkflowMemory.of(first).remember_declared(
        registry, declared_workflows(registry, from_source=True, memory=WorkflowMemory.of(first))
    )
    assert WorkflowMemory.of(first).this_run.declared is None


def test_a_package_whose_init_has_only_a_licence_header_and_a_docstring_is_not_imported(resolvable: Path) -> None:
    """As orchestrator-core's own ``workflows/tasks/__init__.py``: importing it would do nothing."""
    (resolvable / "rmpkg" / "sub" / "__init__.py").write_text('# Copyright 2026\n# Licensed under ...\n\n"""Sub."""\n')
    files = ModuleFiles()
    assert files.source_file("rmpkg.sub.mod") == str(resolvable / "rmpkg" / "sub" / "mod.py")
    assert "rmpkg.sub" not in sys.modules
    assert files.files_of(["rmpkg.sub.mod"]) == [str(resolvable / "rmpkg" / "sub" / "mod.py")]  # can be remembered
