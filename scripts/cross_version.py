"""A revision generated on orchestrator-core 4.x still loads and runs after the application moves to 5.x.

Run with the 5.x environment's Python, naming the 4.x environment's Python:

    .venv/bin/python scripts/cross_version.py .venv-4.8/bin/python

1. With 4.8.2: the tutorial application (adapted to 4.x), a database at head, and the revision that
   autogenerate writes for its six workflows.
2. With 5.5.0: the same application as written for 5.x, a fresh database at head, that revision file
   copied into its versions folder, `python main.py db upgrade heads`; then the workflows must be
   registered and linked, and autogenerate must find nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alembic_wfplugin import pgserver  # noqa: E402
from tests.fixture_app import TUTORIAL, VERSIONS, FixtureApp, copy_fixture  # noqa: E402

GENERATE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from alembic_wfplugin import pgserver
from tests.fixture_app import FixtureApp, copy_fixture
url = pgserver.driver() + "://" + {url!r}.split("://", 1)[1]  # 4.x drives PostgreSQL through psycopg2
app = FixtureApp(copy_fixture(Path({folder!r})), url)
app.upgrade()
before = app.revision_files()
app.autogenerate("workflows, generated on orchestrator-core 4.x")
(revision,) = app.revision_files() - before
print(json.dumps(str(revision)))
"""


def main() -> int:
    old_python = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="wfplugin-cross-") as tmp, pgserver.running() as cluster:
        generate = GENERATE.format(repo=str(REPO), folder=f"{tmp}/old", url=cluster.create_database("wfplugin_old"))
        result = subprocess.run([old_python, "-c", generate], capture_output=True, text=True, cwd=tmp)
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:], file=sys.stderr)
            return 1
        revision = Path(json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"generated with {old_python}: {revision.name}")

        app = FixtureApp(copy_fixture(Path(tmp) / "new"), cluster.create_database("wfplugin_new"))
        app.upgrade()
        (app.directory / VERSIONS / revision.name).write_text(revision.read_text())
        app.upgrade()
        rows = app.workflows()
        wrong = [name for name, (_module, target, _type) in TUTORIAL.items() if rows[name].target != target]
        if wrong or any(not rows[name].products for name in TUTORIAL):
            print(f"FAIL: not registered as the code says: {wrong or rows}", file=sys.stderr)
            return 1
        files = app.revision_files()
        app.autogenerate("nothing left")
        if app.revision_files() != files:
            print("FAIL: autogenerate on 5.x found changes after the 4.x revision", file=sys.stderr)
            return 1
        print("a revision generated on 4.x upgraded a 5.x application; autogenerate then found nothing")
        return 0


if __name__ == "__main__":
    sys.exit(main())
