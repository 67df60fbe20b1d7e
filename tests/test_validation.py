"""Issue 23 through the real ``python main.py db revision --autogenerate``: a renamed workflow keeps its row
(processes, links, schedule), a retired workflow's scheduler jobs go, a product removed while its
workflows stay is asked about in the first run, and orchestrator-core's own ``task_validate_products``
agrees with the database afterwards but for what the plugin's warnings named."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.domain_harness import TUTORIAL_OPTIONS
from tests.fixture_app import FixtureApp
from tests.validation import assert_orchestrator_core_agrees, warned_lacking, warned_untranslated

USERS = ("User external", "User internal")


def has_schedules(app: FixtureApp) -> bool:
    """orchestrator-core 4.7+ keeps schedules in the database."""
    return bool(app.query("SELECT to_regclass('workflows_apscheduler_jobs') IS NOT NULL")[0][0])


def schedule(app: FixtureApp, workflow: str, job: str) -> None:
    """A scheduler job for ``workflow``, as orchestrator-core's scheduler API stores one."""
    app.query("INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (:job, 0, '\\x00')", job=job)
    app.query(
        "INSERT INTO workflows_apscheduler_jobs (workflow_id, schedule_id)"
        " SELECT workflow_id, :job FROM workflows WHERE name = :workflow",
        job=job,
        workflow=workflow,
    )


def schedules(app: FixtureApp) -> dict[str, list[str]]:
    """Every scheduler job -> the workflows it is linked to."""
    jobs = app.query(
        "SELECT j.id, coalesce(array_agg(w.name ORDER BY w.name) FILTER (WHERE w.name IS NOT NULL), '{}')"
        " FROM apscheduler_jobs j LEFT JOIN workflows_apscheduler_jobs l ON l.schedule_id = j.id"
        " LEFT JOIN workflows w USING (workflow_id) GROUP BY j.id ORDER BY j.id"
    )
    return {job: list(names) for job, names in jobs}


def run_processes(app: FixtureApp, workflow: str, count: int) -> None:
    app.query(
        "INSERT INTO processes (workflow_id, last_status, is_task)"
        " SELECT workflow_id, 'completed', false FROM workflows, generate_series(1, :count) WHERE name = :workflow",
        count=count,
        workflow=workflow,
    )


def workflow_ids(app: FixtureApp) -> dict[str, object]:
    return dict(app.query("SELECT name, workflow_id FROM workflows"))


def generate(app: FixtureApp, message: str) -> tuple[Path, str]:
    """A revision written by autogenerate, and what the command printed."""
    files = app.revision_files()
    result = app.autogenerate(message)
    (revision,) = app.revision_files() - files
    return revision, result.stdout + result.stderr


def in_sync(app: FixtureApp) -> str:
    """Autogenerate finds nothing (no file written); what it printed (its warnings)."""
    files = app.revision_files()
    result = app.autogenerate("nothing")
    assert app.revision_files() == files
    return result.stdout + result.stderr


def test_a_renamed_workflow_keeps_its_row_processes_links_and_schedule(registered_app: FixtureApp) -> None:
    app = registered_app
    scheduled = has_schedules(app)
    run_processes(app, "modify_user", 2)
    if scheduled:
        schedule(app, "modify_user", "nightly-modify-user")
    ids, before = workflow_ids(app), app.snapshot()
    app.unregister("modify_user")
    app.add_workflow("user", "update_user", "MODIFY", description="Update user")
    # orchestrator-core 4.x compares the decorator's description with the row's: the code's wins
    app.configure(wfplugin_renames={"workflows": {"modify_user": "update_user"}}, wfplugin_compare_descriptions=True)

    revision, output = generate(app, "rename modify_user")
    assert "Detected renamed workflow 'modify_user' to 'update_user'" in output
    assert "Detected retired workflow" not in output and "Detected added workflow 'update_user'" in output
    source = revision.read_text()
    assert "renamed = [" in source and "retired = [" not in source.split("def downgrade")[0]
    app.upgrade()

    rows = app.workflows()
    assert "modify_user" not in rows
    assert rows["update_user"].products == USERS and not rows["update_user"].deleted
    assert workflow_ids(app)["update_user"] == ids["modify_user"]
    processes = app.query(
        "SELECT count(*) FROM processes JOIN workflows USING (workflow_id) WHERE name = 'update_user'"
    )
    assert processes[0][0] == 2
    if scheduled:
        assert schedules(app) == {"nightly-modify-user": ["update_user"]}
    assert_orchestrator_core_agrees(app, in_sync(app))

    app.run("db", "downgrade", "data@-1")
    assert app.snapshot() == before
    assert workflow_ids(app)["modify_user"] == ids["modify_user"]
    if scheduled:
        assert schedules(app) == {"nightly-modify-user": ["modify_user"]}


def test_a_retired_workflow_loses_its_scheduler_jobs_on_releases_that_have_them(registered_app: FixtureApp) -> None:
    app = registered_app
    scheduled = has_schedules(app)
    run_processes(app, "terminate_user", 1)
    if scheduled:
        schedule(app, "terminate_user", "nightly-terminate-user")
        schedule(app, "modify_user", "nightly-modify-user")
    app.unregister("terminate_user")

    report = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    assert report.returncode == 1, report.stdout + report.stderr
    listed = "'nightly-terminate-user' of 'terminate_user' (this revision retires it and removes the job)"
    assert (listed in report.stdout) == scheduled, report.stdout

    revision, output = generate(app, "retire terminate_user")
    assert "a downgrade does not bring them back" in " ".join(revision.read_text().replace("#", "").split())
    assert (listed in output) == scheduled
    app.upgrade()
    assert app.workflows()["terminate_user"].deleted  # it ran: soft-deleted
    if scheduled:
        assert schedules(app) == {"nightly-modify-user": ["modify_user"]}
    assert_orchestrator_core_agrees(app, in_sync(app))

    app.run("db", "downgrade", "data@-1")
    assert not app.workflows()["terminate_user"].deleted
    if scheduled:  # the job is not brought back; the other workflow's is untouched
        assert schedules(app) == {"nightly-modify-user": ["modify_user"]}


def test_a_product_removed_while_its_workflows_stay_is_asked_about_in_the_first_run(
    registered_app: FixtureApp,
) -> None:
    app = registered_app
    app.configure(**TUTORIAL_OPTIONS)
    registry = app.directory / "products" / "__init__.py"
    registry.write_text(registry.read_text().replace('        "User Group": UserGroup,\n', ""))
    files, before = app.revision_files(), app.snapshot()

    stopped = app.autogenerate("remove User Group", check=False)
    assert stopped.returncode != 0
    message = stopped.stdout + stopped.stderr
    assert "Cannot tell which product type these workflows belong to" in message
    for name in ("create_user_group", "modify_user_group", "terminate_user_group"):
        assert f"  - {name} (" in message
    assert app.revision_files() == files and app.snapshot() == before

    app.configure(wfplugin_product_types={"create_user_group": [], "modify_user_group": [], "terminate_user_group": []})
    _revision, output = generate(app, "remove User Group")
    app.upgrade()
    rows = app.workflows()
    assert "User Group" not in {name for (name, *_rest) in app.domain()["products"]}
    assert rows["create_user_group"].products == () and rows["create_user"].products == USERS
    assert warned_lacking(output) == list(USERS)  # no VALIDATE workflow in the tutorial
    assert_orchestrator_core_agrees(app, in_sync(app))


def test_warnings_name_what_task_validate_products_will_report(registered_app: FixtureApp) -> None:
    """The tutorial has no translations and no VALIDATE workflows: autogenerate, the drift report and
    alembic check warn of exactly what orchestrator-core's task reports; wfplugin_warnings_are_errors
    makes them stop autogenerate."""
    app = registered_app
    result = app.autogenerate("nothing")
    output = result.stdout + result.stderr
    assert warned_untranslated(output) == {
        "create_user",
        "modify_user",
        "terminate_user",
        "create_user_group",
        "modify_user_group",
        "terminate_user_group",
    }
    assert warned_lacking(output) == ["User Group", *USERS]
    assert_orchestrator_core_agrees(app, output)

    report = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "Warnings (2):" in report.stdout
    assert warned_untranslated(report.stdout) == warned_untranslated(output)
    check = app.run_command(["alembic", "-c", "alembic.ini", "-n", "standalone", "check"], check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert warned_lacking(check.stdout + check.stderr) == warned_lacking(output), check.stdout + check.stderr

    app.configure(wfplugin_warnings_are_errors=True)
    files = app.revision_files()
    stopped = app.autogenerate("nothing", check=False)
    assert stopped.returncode != 0 and "wfplugin_warnings_are_errors=True" in stopped.stdout + stopped.stderr
    assert app.revision_files() == files
