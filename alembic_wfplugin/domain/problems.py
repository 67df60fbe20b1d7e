"""What stops a domain-model autogenerate, collected so that one run reports it all, and the exact
option text for env.py that gives the values the code does not say (valid Python when pasted)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic_wfplugin.errors import WorkflowPluginError, listed
from alembic_wfplugin.options import PREFIX
from alembic_wfplugin.pysource import py_str


@dataclass
class Problems:
    """Everything that stops autogenerate, collected so that one run reports it all."""

    products: dict[str, dict[str, str]] = field(default_factory=dict)  # option text to add, per product
    blocks: dict[str, dict[str, str]] = field(default_factory=dict)
    resource_types: dict[str, tuple[str, str]] = field(default_factory=dict)  # option text, its comment
    in_use: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # shown with missing values: often a typo
    invalid: list[str] = field(default_factory=list)  # values the field's type refuses, strings a column cannot hold

    def raise_if_any(self) -> None:
        parts = []
        if self.invalid:
            parts.append(
                listed(
                    "These values cannot be written as they are (orchestrator-core would fail to load them, or the "
                    "database refuses them); correct them in the option or the code named",
                    self.invalid,
                )
            )
        if self.products or self.blocks or self.resource_types:
            parts.append(_missing_values_message(self))
            if self.unknown:
                parts.append(listed("These options name nothing in the code or the database", self.unknown))
        if self.in_use:
            parts.append(
                listed(
                    "These objects are no longer in the code but this database still uses them, so removing them "
                    "would lose data",
                    self.in_use,
                )
                + "\nKeep them in the code until nothing uses them: move the subscriptions to a product that stays "
                "(UPDATE subscriptions SET product_id = ... in a data migration), or delete the subscriptions and "
                "their processes if their history may go (terminated subscriptions count too); then autogenerate "
                "again. To rename an object instead, state it in wfplugin_renames."
            )
        if parts:
            raise WorkflowPluginError("\n\n".join(parts))


def _missing_values_message(problems: Problems) -> str:
    """The exact option text to add to ``context.configure(...)``."""
    lines = [
        "Domain models: the code does not say these values of new objects. Add them to context.configure(...) "
        "in migrations/env.py (merging with what is there), then run autogenerate again:"
    ]
    if problems.products:
        lines.append(f"    {PREFIX}products={{")
        for name, missing in sorted(problems.products.items()):
            fixed = {key.split(".", 1)[1]: hint for key, hint in missing.items() if key.startswith("fixed_inputs.")}
            parts = [f'"{key}": "..."' for key in ("description", "tag") if key in missing]
            if fixed:
                parts.append('"fixed_inputs": {' + ", ".join(f'{py_str(key)}: "..."' for key in sorted(fixed)) + "}")
            notes = [f"{key}: {hint}" for key, hint in sorted(fixed.items()) if hint != "..."]
            lines.append(f"        {py_str(name)}: {{{', '.join(parts)}}},{'  # ' + '; '.join(notes) if notes else ''}")
        lines.append("    },")
    if problems.blocks:
        lines.append(f"    {PREFIX}product_blocks={{")
        for name, missing in sorted(problems.blocks.items()):
            values = ", ".join(f'{py_str(key)}: "..."' for key in missing)
            lines.append(f"        {py_str(name)}: {{{values}}},")
        lines.append("    },")
    if problems.resource_types:
        lines.append(f"    {PREFIX}resource_types={{")
        for name, (text, why) in sorted(problems.resource_types.items()):
            lines.append(f"        {py_str(name)}: {text},{'  # ' + why if why else ''}")
        lines.append("    },")
    return "\n".join(lines)
