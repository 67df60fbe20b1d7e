"""The tutorial application's entry point: the web app and orchestrator-core's CLI (`python main.py db ...`)."""

import products  # noqa: F401  (fills orchestrator-core's SUBSCRIPTION_MODEL_REGISTRY)
import workflows  # noqa: F401  (fills orchestrator-core's ALL_WORKFLOWS registry)
from orchestrator.core import OrchestratorCore
from orchestrator.core.cli.main import app as core_cli
from orchestrator.core.settings import AppSettings

app = OrchestratorCore(base_settings=AppSettings())

if __name__ == "__main__":
    core_cli()
