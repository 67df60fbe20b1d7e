"""The whole job on the tutorial application, against a throwaway PostgreSQL:
migrate, autogenerate, show the revision, apply it, autogenerate again (nothing to do); then, with
domain models switched on, a new product of an existing type, linked to its type's workflows in the
same revision."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic_wfplugin import pgserver
from tests.domain_harness import TUTORIAL_OPTIONS
from tests.fixture_app import FixtureApp, copy_fixture


def step(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wfplugin-demo-") as tmp, pgserver.running() as cluster:
        app = FixtureApp(copy_fixture(Path(tmp) / "app"), cluster.create_database("wfplugin_demo"))
        step("python main.py db upgrade heads  (orchestrator-core's schema and the tutorial's products)")
        app.upgrade()
        print("workflows in the database:", ", ".join(sorted(app.workflows())))

        step('python main.py db revision --autogenerate -m "add User and UserGroup workflows"')
        before = app.revision_files()
        app.autogenerate("add User and UserGroup workflows")
        (revision,) = app.revision_files() - before
        print(f"wrote {revision.relative_to(app.directory)}:\n")
        print(revision.read_text())

        step("python main.py db upgrade heads  (apply it)")
        app.upgrade()
        for name, row in sorted(app.workflows().items()):
            products = ", ".join(row.products)
            print(f"  {name:34} {row.target:9} is_task={row.is_task!s:5} {row.description[:28]!r:32} {products}")

        step("python main.py db revision --autogenerate  (again: nothing left to do)")
        if not nothing_to_do(app):
            return 1

        step('Domain models: products/__init__.py registers "User contractor" (a User); env.py sets')
        options = {**TUTORIAL_OPTIONS, "wfplugin_products": {**TUTORIAL_OPTIONS["wfplugin_products"], **CONTRACTOR}}
        print(f"  wfplugin_domain_models=True, wfplugin_products={CONTRACTOR!r}")
        registry = app.directory / "products" / "__init__.py"
        registry.write_text(
            registry.read_text().replace(
                '"User external": User,', '"User external": User,\n        "User contractor": User,'
            )
        )
        app.configure(**options)
        step('python main.py db revision --autogenerate -m "add User contractor"')
        before = app.revision_files()
        app.autogenerate("add User contractor")
        (revision,) = app.revision_files() - before
        print(f"wrote {revision.relative_to(app.directory)}; its upgrade():\n")
        source = revision.read_text()
        print(source[source.index("def upgrade") : source.index("def downgrade")])
        step("python main.py db upgrade heads  (apply it)")
        app.upgrade()
        for name, row in sorted(app.workflows().items()):
            if "User contractor" in row.products:
                print(f"  {name} is linked to User contractor")
        step("python main.py db revision --autogenerate  (again: nothing left to do)")
        return 0 if nothing_to_do(app) else 1


CONTRACTOR = {
    "User contractor": {"description": "A contractor", "tag": "USER_CON", "fixed_inputs": {"affiliation": "external"}}
}


def nothing_to_do(app: FixtureApp) -> bool:
    before = app.revision_files()
    app.autogenerate("nothing")
    new = app.revision_files() - before
    print("no revision file written" if not new else f"UNEXPECTED: {sorted(new)}")
    return not new


if __name__ == "__main__":
    sys.exit(main())
