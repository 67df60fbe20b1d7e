"""``make compat``: the end-to-end tutorial and domain-model tests on one release of every orchestrator-core
minor from 4.0 to the latest 5.x, and a table of the results (release, alembic, result) for
docs/compatibility.md.

Each release gets a virtual environment of its own under ``.venv-compat/`` (kept between runs: a release
already installed is not installed again), with this checkout installed editable. The tests are the same
files CI runs, selected by name; each run starts its own embedded PostgreSQL.

    python scripts/compat.py                 # every release below, two at a time
    python scripts/compat.py 4.0.4 5.5.0     # only these
    COMPAT_JOBS=1 python scripts/compat.py   # one at a time
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# COMPAT_VENVS: environments made by another checkout (their editable install is not what the tests
# import: pytest and the fixture's main.py runs import this checkout first).
VENVS = Path(os.environ.get("COMPAT_VENVS", REPO / ".venv-compat"))

# The newest patch release of every minor (PyPI, 2026-12-03). Update when a minor is released.
RELEASES = (
    "4.0.4",
    "4.1.0",
    "4.2.0",
    "4.3.1",
    "4.4.2",
    "4.5.3",
    "4.6.5",
    "4.7.2",
    "4.8.2",
    "5.0.5",
    "5.1.3",
    "5.2.0",
    "5.3.0",
    "5.4.0",
    "5.5.0",
)
# orchestrator-core 4.x resolves graphql-core 3.3 and oauth2-lib 3, with which it does not import.
PINS_4 = ("graphql-core<3.3", "oauth2-lib<3")

TESTS = (
    "tests/test_autogenerate.py::test_tutorial_revision_upgrade_again_and_downgrade",
    "tests/test_domain_models.py",
)


@dataclass(frozen=True)
class Result:
    release: str
    alembic: str
    outcome: str  # "5 passed", "5 passed, 1 warning", "FAILED: ...", "install failed: ..."
    passed: bool = False


def main(argv: list[str]) -> int:
    releases = tuple(argv) or RELEASES
    jobs = int(os.environ.get("COMPAT_JOBS", "2"))
    VENVS.mkdir(exist_ok=True)
    # Installed one at a time: an editable install writes into the checkout (its egg-info).
    installed = {release: install(release) for release in releases}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda release: run(release, installed[release]), releases))
    print()
    print(table(results))
    return exit_status(results)


def exit_status(results: list[Result]) -> int:
    """0 when every release passed (its outcome reads "5 passed", with or without warnings), else 1."""
    return 0 if results and all(result.passed for result in results) else 1


def install(release: str) -> str:
    """The environment's installation error, or ``""``."""
    venv = VENVS / release
    if (venv / ".installed").exists():
        return ""
    print(f"=== installing orchestrator-core {release}", flush=True)
    requirements = [f"orchestrator-core=={release}", *(PINS_4 if release.startswith("4.") else ())]
    steps = (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "-e", ".[test]", *requirements],
    )
    for step in steps:
        done = subprocess.run(step, cwd=REPO, capture_output=True, text=True)
        if done.returncode:
            return f"install failed: {last_line(done.stderr)}"
    (venv / ".installed").touch()
    return ""


def run(release: str, install_error: str) -> Result:
    venv = VENVS / release
    if install_error:
        return Result(release, "?", install_error)
    alembic = version(venv, "alembic")
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),  # this checkout
    }
    command = [str(venv / "bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    log = VENVS / f"{release}.log"
    log.write_text(done.stdout + done.stderr)
    summary = last_line(done.stdout).split(" in ")[0]  # "5 passed", without the time
    outcome = summary if done.returncode == 0 else f"FAILED: {summary} (see {log})"
    print(f"=== orchestrator-core {release}: {outcome}", flush=True)
    return Result(release, alembic, outcome, passed=done.returncode == 0)


def version(venv: Path, package: str) -> str:
    program = f"import importlib.metadata as m; print(m.version({package!r}))"
    done = subprocess.run([str(venv / "bin/python"), "-c", program], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def last_line(text: str) -> str:
    lines = [line.strip("= ") for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def table(results: list[Result]) -> str:
    rows = ["| orchestrator-core | alembic | result |", "|---|---|---|"]
    rows += [f"| {r.release} | {r.alembic} | {r.outcome} |" for r in results]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
