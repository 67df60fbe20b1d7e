"""Domain models through the real ``python main.py db revision --autogenerate`` (issue 13): the tutorial's
products, product blocks, resource types and fixed inputs written from an empty product table, exactly
as the tutorial's hand-written migration (``b7e1c2d3a4f5``) writes them, with their workflows linked in
the same revision; and a missing value reported once, without a file and without touching the database."""

from __future__ import annotations

import re
import sys

from tests.domain_harness import TUTORIAL_OPTIONS
from tests.fixture_app import TUTORIAL, TUTORIAL_PRODUCTS, VERSIONS, FixtureApp
from tests.validation import assert_orchestrator_core_agrees


def without_products(app: FixtureApp) -> None:
    """Undo the hand-written products migration and remove it: the product tables are empty."""
    app.run("db", "downgrade", "data@-1")
    (migration,) = (app.directory / VERSIONS).glob("*_b7e1c2d3a4f5_*.py")
    migration.unlink()


def test_tutorial_from_an_empty_product_table(app: FixtureApp) -> None:
    by_hand = app.domain()  # the template database ran the hand-written migration
    assert [row[0] for row in by_hand["products"]] == ["User Group", "User external", "User internal"]
    without_products(app)
    empty = app.domain()
    assert not empty["products"] and not empty["product_blocks"] and not empty["resource_types"]
    workflows_before = app.snapshot()
    app.configure(**TUTORIAL_OPTIONS)
    files = app.revision_files()

    result = app.autogenerate("add the tutorial's products and workflows")
    (revision,) = app.revision_files() - files
    output = result.stdout + result.stderr
    assert "Detected added product 'User internal' (User)" in output
    assert "Detected added workflow 'create_user'" in output
    app.upgrade()

    assert app.domain() == by_hand
    workflows = app.workflows()
    for name, (_module, target, product_type) in TUTORIAL.items():
        assert workflows[name].target == target
        assert workflows[name].products == TUTORIAL_PRODUCTS[product_type], name
    assert workflows["modify_note"].products == ("User Group", "User external", "User internal")

    files = app.revision_files()
    rerun = app.autogenerate("nothing")
    assert app.revision_files() == files  # a rerun finds nothing
    assert_orchestrator_core_agrees(app, rerun.stdout + rerun.stderr)

    app.run("db", "downgrade", "data@-1")
    assert app.domain() == empty
    assert app.snapshot() == workflows_before
    assert revision.exists()


def test_a_missing_value_is_one_error_without_a_file(app: FixtureApp) -> None:
    without_products(app)
    options = {**TUTORIAL_OPTIONS, "wfplugin_resource_types": {"age": "Age of user"}}
    options["wfplugin_products"] = {"User Group": {"description": "The users of a group", "tag": "GROUP"}}
    app.configure(**options)
    before, files = (app.domain(), app.snapshot()), app.revision_files()

    result = app.autogenerate(check=False)

    assert result.returncode == 1
    assert app.revision_files() == files
    assert (app.domain(), app.snapshot()) == before
    # the message once, as it is: no traceback of orchestrator-core's CLI (which wraps it at 80 columns)
    message = result.stdout + result.stderr
    assert "Traceback" not in message, message
    assert message.count("the code does not say these values") == 1, message
    # the env.py text it asks for, pasted into context.configure(...) as it is shown, is Python
    option_text = message.split("again:\n", 1)[1].split("\n\n", 1)[0].rstrip()
    assert option_text.lstrip().startswith("wfplugin_"), option_text
    compile(f"dict(\n{option_text}\n)", "env.py", "eval")
    # every missing value, as the option text to add
    assert '"User internal": {"description": "...", "tag": "...", "fixed_inputs": {"affiliation": "..."}},' in message
    assert "affiliation: one of 'internal', 'external'" in message
    for resource_type in ("group_id", "group_name", "user_id", "username"):
        assert f'"{resource_type}": "...",' in message
    assert '"age"' not in message.split("wfplugin_resource_types={")[1]


def test_drift_report_and_alembic_check_cover_domain_models(app: FixtureApp) -> None:
    without_products(app)
    app.configure(**TUTORIAL_OPTIONS)

    report = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    assert report.returncode == 1, report.stdout + report.stderr
    # 5 resource types, 2 blocks, their 5 resource types and 1 relation, 3 products, 3 root blocks, 2 fixed inputs;
    # for databases with subscriptions: an instance of each required root block (3) and of UserBlock.group (1),
    # and a check that no instance lacks a value for the 4 required fields
    # and the workflows of the tutorial
    changes = int(
        re.search(r"^Drift in domain models and workflow registration: (\d+) changes$", report.stdout, re.M)[1]
    )
    rows = [line.split("  ") for line in report.stdout.splitlines()[3 : 3 + changes]]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    domain = [row for row in cells if row[0] != "workflow"]
    assert len(domain) == 29, report.stdout
    assert ["product", "User internal", "add", "User", "in SUBSCRIPTION_MODEL_REGISTRY"] in domain
    assert ["block resource type", "UserBlock, user_id", "add", "a field of block UserBlock"] in domain

    check = app.run_command(["alembic", "-c", "alembic.ini", "-n", "standalone", "check"], check=False)
    assert check.returncode != 0
    assert "('add_product', 'User internal')" in check.stdout + check.stderr


def test_every_entry_point_shows_the_same_warnings_and_names_what_it_compared(app: FixtureApp) -> None:
    # an option naming nothing, on the template database (the tutorial's products; not yet its workflows)
    app.configure(**{**TUTORIAL_OPTIONS, "wfplugin_product_blocks": {"UserBlok": {"tag": "US"}}})
    app.autogenerate("the tutorial's workflows")
    app.upgrade()
    warning = "Option wfplugin_product_blocks['UserBlok'] (did you mean 'UserBlock'?) names nothing in the code"

    files = app.revision_files()
    result = app.autogenerate("nothing")
    assert app.revision_files() == files
    output = result.stdout + result.stderr
    assert output.count(warning) == 1, output
    assert "No changes in domain models or workflow registration detected; no revision file written" in output

    report = app.run_command([sys.executable, "-m", "alembic_wfplugin", "diff"], check=False)
    assert report.returncode == 0, report.stdout + report.stderr
    assert report.stdout.startswith("Domain models and workflow registration are in sync with the database.\n")
    shown = [line[4:] for line in report.stdout.split("\nWarnings (", 1)[1].splitlines() if line.startswith("  - ")]
    assert any(each.startswith(warning) for each in shown), report.stdout
    for each in shown:  # autogenerate showed the same warnings, each once
        assert output.count(each) == 1, each

    check = app.run_command(["alembic", "-c", "alembic.ini", "-n", "standalone", "check"], check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    for each in shown:
        assert (check.stdout + check.stderr).count(each) == 1, (each, check.stdout + check.stderr)
