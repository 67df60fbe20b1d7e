# Copyright 2019-2026 SURF, ESnet, GÉANT.
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

import structlog
from alembic import context
from orchestrator.core.db.database import BaseModel
from orchestrator.core.settings import app_settings
from sqlalchemy import engine_from_config, pool

import alembic_wfplugin
from alembic_wfplugin import no_schema_objects, skip_empty_revision

# alembic-wfplugin: the switch for alembic before 1.18, which has no plugin system (harmless on 1.18+).
alembic_wfplugin.register()

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Setup logging
logger = structlog.get_logger()

config.set_main_option("sqlalchemy.url", str(app_settings.DATABASE_URI.get_secret_value()))

# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
target_metadata = BaseModel.metadata

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, dialect_opts={"paramstyle": "named"}
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    engine = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
    )

    connection = engine.connect()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # alembic-wfplugin: compare workflow registration only. A plain autogenerate on orchestrator-core's
        # own schema proposes unrelated operations; use ["alembic.autogenerate.*", "alembic_wfplugin"] to
        # compare the schema too.
        autogenerate_plugins=["alembic_wfplugin"],
        # The same on alembic before 1.18 (which ignores autogenerate_plugins): no schema objects.
        include_object=no_schema_objects,
        # Write no file when autogenerate finds nothing (orchestrator-core's own check never fires
        # through main.py).
        process_revision_directives=skip_empty_revision,
        # Lets plain `alembic check` (which does not run main.py) see the application's workflows.
        wfplugin_import_modules=["products", "workflows"],
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
