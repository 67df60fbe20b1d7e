"""The pure core's renames (``wfplugin_renames``): which stated renames this database still needs, and
the database as it is once they are applied, so that the comparison that follows sees the new names.
Never guessed: a rename the option does not state is a removal plus an addition."""

from __future__ import annotations

import dataclasses

from alembic_wfplugin.domain.model import DeclaredDomain, DefinedDomain, DomainChange
from alembic_wfplugin.errors import WorkflowPluginError, listed
from alembic_wfplugin.options import PREFIX, Options, did_you_mean


def stated_renames(declared: DeclaredDomain, database: DefinedDomain, options: Options) -> list[DomainChange]:
    """The ``wfplugin_renames`` entries this database still needs: where the old name is here and the new
    one is not (an entry already applied, or for objects this database never had, is nothing to do).
    Never guessed: a rename the option does not state is a removal plus an addition. Products and blocks
    are renamed first; fixed inputs and resource types are then looked up under their new names."""
    problems: list[str] = []
    renames: list[DomainChange] = []

    def where(option: str, old: str) -> str:
        return f"{PREFIX}renames[{option!r}][{old!r}]"

    for option, kind, present, declared_names in (
        ("products", "product", database.products, set(declared.products)),
        ("product_blocks", "product_block", database.blocks, set(declared.blocks)),
    ):
        for old, new in sorted(options.renames.get(option, {}).items()):
            if new not in declared_names:
                problems.append(f"{where(option, old)}: the code declares no {kind.replace('_', ' ')} {new!r}")
            elif old in present and new in present:
                problems.append(f"{where(option, old)}: the database has both {old!r} and {new!r}; merge them by hand")
            elif old in present:
                renames.append(DomainChange("rename", kind, (old, new), {}, f"{PREFIX}renames[{option!r}]"))
    database = renamed(database, renames)
    for old, new in sorted(options.renames.get("fixed_inputs", {}).items()):
        if not any(new in product.fixed_inputs for product in declared.products.values()):
            problems.append(f"{where('fixed_inputs', old)}: no product type in the code has a fixed input {new!r}")
        for name, row in database.products.items():
            code = declared.products.get(name)
            if code and new in code.fixed_inputs and old not in code.fixed_inputs and old in row.fixed_inputs:
                if new in row.fixed_inputs:
                    problems.append(f"{where('fixed_inputs', old)}: product {name!r} has both; merge them by hand")
                else:
                    reason = f"{PREFIX}renames['fixed_inputs']; its value kept"
                    renames.append(DomainChange("rename", "fixed_input", (name, old, new), {}, reason))
    renames += _resource_type_renames(declared, database, options, problems)
    if problems:
        raise WorkflowPluginError(listed("Invalid wfplugin_renames", problems))
    return renames


def _resource_type_renames(
    declared: DeclaredDomain, database: DefinedDomain, options: Options, problems: list[str]
) -> list[DomainChange]:
    """``"old": "new"`` renames the resource type row in place where every block that has it moves to the
    new name (and the new one does not exist yet); otherwise, and for ``"Block.old": "new"``, the values of
    each such block move to the new resource type and the other blocks keep the old one. A block moves
    where it has the old name here and its code declares the new name and not the old."""
    changes = []
    given = sorted(options.renames.get("resource_types", {}).items())
    declared_names = {name for block in declared.blocks.values() for name in block.resource_types}
    for key, new in given:
        block_name, _, old = key.rpartition(".")
        where = f"{PREFIX}renames['resource_types'][{key!r}]"
        if new not in declared_names:
            problems.append(f"{where}: the code declares no resource type {new!r}")
            continue
        if block_name and block_name not in declared.blocks:
            problems.append(
                f"{where}: the code declares no product block {block_name!r}{did_you_mean(block_name, declared.blocks)}"
            )
            continue
        moving = []
        for name, row in sorted(database.blocks.items()):
            code = declared.blocks.get(name)
            if block_name not in ("", name) or code is None or old not in row.resource_types:
                continue
            if new in code.resource_types and old not in code.resource_types:
                if new in row.resource_types:
                    problems.append(f"{where}: block {name!r} has both {old!r} and {new!r}; merge them by hand")
                else:
                    moving.append(name)
        users = {name for name, row in database.blocks.items() if old in row.resource_types}
        reason = f"{PREFIX}renames['resource_types']; values kept"
        if not block_name and moving and set(moving) == users and new not in database.resource_types:
            changes.append(DomainChange("rename", "resource_type", (old, new), {}, reason))
        changes += [DomainChange("rename", "block_resource_type", (name, old, new), {}, reason) for name in moving]
    return changes


def renamed(database: DefinedDomain, renames: list[DomainChange]) -> DefinedDomain:
    """The database's snapshot as it is once the renames have run."""
    if not renames:
        return database
    names = {kind: {c.key[0]: c.key[1] for c in renames if c.kind == kind} for kind in ("product", "product_block")}
    blocks, in_place = names["product_block"], {c.key[0]: c.key[1] for c in renames if c.kind == "resource_type"}
    moved = {(c.key[0], c.key[1]): c.key[2] for c in renames if c.kind == "block_resource_type"}
    fixed = {(c.key[0], c.key[1]): c.key[2] for c in renames if c.kind == "fixed_input"}

    def block(name: str) -> str:
        return blocks.get(name, name)

    def resource_type(owner: str, name: str) -> str:
        return moved.get((owner, name)) or in_place.get(name, name)

    products = {
        names["product"].get(name, name): dataclasses.replace(
            row,
            name=names["product"].get(name, name),
            blocks=tuple(sorted(map(block, row.blocks))),
            block_instances={block(b): n for b, n in row.block_instances.items()},
            fixed_inputs={
                fixed.get((names["product"].get(name, name), fi), fi): value for fi, value in row.fixed_inputs.items()
            },
        )
        for name, row in database.products.items()
    }
    defined_blocks = {}
    for name, row in database.blocks.items():
        new_name = block(name)
        defined_blocks[new_name] = dataclasses.replace(
            row,
            name=new_name,
            resource_types=tuple(sorted(resource_type(new_name, rt) for rt in row.resource_types)),
            depends_on=tuple(sorted(map(block, row.depends_on))),
            values={resource_type(new_name, rt): n for rt, n in row.values.items()},
            relations={block(b): n for b, n in row.relations.items()},
        )
    defined_resource_types = {
        in_place.get(name, name): dataclasses.replace(row, name=in_place.get(name, name))
        for name, row in database.resource_types.items()
    }
    return DefinedDomain(
        dict(sorted(products.items())),
        dict(sorted(defined_blocks.items())),
        dict(sorted(defined_resource_types.items())),
    )
