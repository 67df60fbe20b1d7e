"""The ground everything else stands on: the server, orchestrator-core's schema, the fixture."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import psutil
import pytest

from alembic_wfplugin import compat, pgserver
from tests.fixture_app import REPO, TUTORIAL, FixtureApp


def test_schema_and_products_migrate_with_main_py(app: FixtureApp) -> None:
    # The per-test database is a copy of the template; migrate it once more with the real CLI: at head,
    # nothing to do, and every head is recorded.
    app.upgrade()
    heads = {version for (version,) in app.query("SELECT version_num FROM alembic_version")}
    # The fixture's product revision (branch "data"); it depends on orchestrator-core's schema head,
    # so alembic records it alone.
    assert heads == {"b7e1c2d3a4f5"}
    products = {
        name: (product_type, tag)
        for name, product_type, tag in app.query("SELECT name, product_type, tag FROM products")
    }
    assert products == {
        "User Group": ("UserGroup", "GROUP"),
        "User internal": ("User", "USER_INT"),
        "User external": ("User", "USER_EXT"),
    }
    affiliation = dict(
        app.query(
            "SELECT p.name, f.value FROM fixed_inputs f JOIN products p USING (product_id) WHERE f.name = 'affiliation'"
        )
    )
    assert affiliation == {"User internal": "internal", "User external": "external"}
    blocks = {
        (block, resource)
        for block, resource in app.query(
            "SELECT b.name, r.resource_type FROM product_blocks b JOIN product_block_resource_types USING"
            " (product_block_id) JOIN resource_types r USING (resource_type_id)"
        )
    }
    assert blocks == {
        ("UserGroupBlock", "group_name"),
        ("UserGroupBlock", "group_id"),
        ("UserBlock", "username"),
        ("UserBlock", "age"),
        ("UserBlock", "user_id"),
    }
    # orchestrator-core's own workflows are there; the application's are not registered yet.
    assert "modify_note" in app.workflows()
    assert not set(TUTORIAL) & set(app.workflows())


def test_fixture_workflows_instantiate_with_their_targets(app: FixtureApp) -> None:
    script = textwrap.dedent(
        f"""
        import json
        import workflows
        from {compat.orchestrator_package()}.workflows import ALL_WORKFLOWS
        found = {{}}
        for name, lazy in ALL_WORKFLOWS.items():
            wf = lazy.instantiate()
            found[name] = [lazy.package, str(wf.target.value), wf.name, len(wf.steps)]
        print(json.dumps(found))
        """
    )
    result = app.run_command([sys.executable, "-c", script])
    found = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    for name, (module, target, _product_type) in TUTORIAL.items():
        package, actual_target, wf_name, steps = found[name]
        assert (package, actual_target, wf_name) == (module, target, name)
        assert steps >= 1


def test_embedded_server_stops_and_leaves_no_process(tmp_path: object) -> None:
    if pgserver.ENV_VAR in __import__("os").environ:
        pytest.skip("uses the user's own server; the embedded one is not started")
    script = textwrap.dedent(
        """
        from alembic_wfplugin import pgserver
        with pgserver.running() as cluster:
            cluster.create_database("probe")
            print(cluster._server.get_pid(), cluster._workdir)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    pid_text, workdir = result.stdout.split()
    assert not psutil.pid_exists(int(pid_text)) or psutil.Process(int(pid_text)).status() == psutil.STATUS_ZOMBIE
    assert not __import__("pathlib").Path(workdir).exists()
