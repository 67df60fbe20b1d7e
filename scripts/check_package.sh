#!/usr/bin/env bash
# Build the sdist and the wheel, check their metadata, install the wheel (not the checkout) into a
# fresh virtual environment with orchestrator-core, and show that `import alembic` works there and
# that alembic finds the plugin in the installed wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

.venv/bin/python -m build --sdist --wheel --outdir "$work/dist" . >/dev/null
.venv/bin/python -m twine check --strict "$work"/dist/*
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/*.whl 'orchestrator-core==5.5.0'
cd "$work"  # away from the checkout, so nothing can be imported from it
"$work/venv/bin/python" - <<'PY'
import importlib.metadata
import sys

import alembic  # the plugin is set up while alembic is imported
import alembic_wfplugin
from alembic.runtime import plugins

(entry_point,) = importlib.metadata.entry_points(group="alembic.plugins", name="alembic_wfplugin")
assert alembic_wfplugin.__file__.startswith(sys.prefix), alembic_wfplugin.__file__
assert "alembic_wfplugin" in plugins._all_plugins, sorted(plugins._all_plugins)
print(f"installed wheel: {entry_point.value} from {alembic_wfplugin.__file__}; alembic {alembic.__version__} found it")
PY
