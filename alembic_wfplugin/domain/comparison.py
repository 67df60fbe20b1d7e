"""Domain models as a kind of the comparator (``comparison.Comparison``): the product, product block and
resource type tables, and the subscription data a change needs, against orchestrator-core's
``SUBSCRIPTION_MODEL_REGISTRY``. Compared before workflows, to which it hands the products once the
revision has run and the product renames."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from alembic_wfplugin import compat
from alembic_wfplugin.cache import ComparisonCache, value_digest
from alembic_wfplugin.comparison import Code, Compared, Handoff
from alembic_wfplugin.domain.declared import declared_domain
from alembic_wfplugin.domain.defined import parse_shape, read_shape, read_usage, with_usage
from alembic_wfplugin.domain.diff import diff_domain
from alembic_wfplugin.domain.model import DeclaredDomain
from alembic_wfplugin.domain.usage import usage_needed
from alembic_wfplugin.options import Options


def read_database(connection: Connection, before_sending: Callable[[], None]) -> str:
    before_sending()
    return read_shape(connection)  # the registry's shape only: catalogue-sized, whatever the subscriptions


class DomainComparison:
    def __init__(self, connection: Connection, options: Options, cache: ComparisonCache) -> None:
        self.connection, self.options = connection, options
        self.declared = DeclaredDomain({}, {})
        self.skipped = compat.skipped_products()

    def read_code(self) -> Code:
        self.declared = declared_domain()
        return Code(value_digest((self.declared, self.skipped)))

    def compare(self, database: str, handed: Handoff) -> Compared:
        defined = parse_shape(database)
        request = usage_needed(self.declared, defined, self.options)  # only what a change touches is counted
        if request:
            defined = with_usage(defined, read_usage(self.connection, request))
        domain = diff_domain(self.declared, defined, self.options, self.skipped)
        unknown = tuple(
            f"Option {name} names nothing in the code or the database; remove it from env.py" for name in domain.unknown
        )
        return Compared(
            Handoff(domain.products, domain.renamed_products),
            before=domain.additions,
            after=domain.removals,
            warnings=unknown,
        )
