import sys

from alembic_wfplugin.cli import main

sys.exit(main())
