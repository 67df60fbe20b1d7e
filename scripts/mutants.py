"""``make mutants``: apply hand-made mutations of the plugin, one at a time, to a temporary copy of the
repository, and require the tests named for each to fail. A mutation that survives means a rule no
test holds. Not part of CI's default run (it runs the in-process suites once per mutation)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# (name, file, original text, mutated text, tests that must fail)
MUTATIONS = [
    (
        "layout: SQL lines past 100 columns",
        "alembic_wfplugin/pysource.py",
        "SQL_WIDTH = 100\n",
        "SQL_WIDTH = 140\n",
        ["tests/test_domain_render.py"],
    ),
    (
        "layout: an entry on one line that ruff splits at 79 columns",
        "alembic_wfplugin/pysource.py",
        'ENTRY_WIDTH = 79 - 2 * len(INDENT) - len(",")\n',
        "ENTRY_WIDTH = 100\n",
        ["tests/test_domain_render.py", "tests/test_render.py"],
    ),
    (
        "drop the is_task drift rule",
        "alembic_wfplugin/workflows/diff.py",
        "    if is_task_target(workflow.target) != row.is_task:",
        "    if False:",
        ["tests/test_diff.py", "tests/test_round_trip.py"],
    ),
    (
        "the diff returns nothing",
        "alembic_wfplugin/workflows/diff.py",
        '    """``default_workflows``: orchestrator-core\'s DEFAULT_PRODUCT_WORKFLOWS (unless the options say)."""\n',
        '    """``default_workflows``: orchestrator-core\'s DEFAULT_PRODUCT_WORKFLOWS (unless the options say)."""\n'
        "    return WorkflowChanges()\n",
        ["tests/test_diff.py", "tests/test_round_trip.py"],
    ),
    (
        "add before retire",
        "alembic_wfplugin/workflows/changes.py",
        "        *(RetireWorkflow(spec) for spec in changes.retired),\n"
        "        *(AddWorkflow(spec, restores(spec)) for spec in changes.made_live),\n",
        "        *(AddWorkflow(spec, restores(spec)) for spec in changes.made_live),\n"
        "        *(RetireWorkflow(spec) for spec in changes.retired),\n",
        ["tests/test_plugin.py"],
    ),
    (
        "a soft-deleted row is not brought back",
        "alembic_wfplugin/workflows/render.py",
        "ON CONFLICT (name) DO UPDATE\n",
        "ON CONFLICT (name) DO NOTHING --\n",
        ["tests/test_round_trip.py"],
    ),
    (
        "new products are never linked",
        "alembic_wfplugin/workflows/links.py",
        "        if old and new:",
        "        if False:",
        ["tests/test_diff.py", "tests/test_round_trip.py"],
    ),
    (
        "default workflows are linked like any other",
        "alembic_wfplugin/workflows/links.py",
        "        if name in default_workflows:",
        "        if False:",
        ["tests/test_diff.py", "tests/test_round_trip.py"],
    ),
    (
        "products linked by hand are unlinked",
        "alembic_wfplugin/workflows/diff.py",
        "        have = {product.name for product in row.products} - by_hand",
        "        have = {product.name for product in row.products}",
        ["tests/test_diff.py", "tests/test_round_trip.py"],
    ),
    (
        "domain models: a product with subscriptions is removed",
        "alembic_wfplugin/domain/diff.py",
        "        if row.subscriptions:",
        "        if False:",
        ["tests/test_domain_diff.py", "tests/test_domain_round_trip.py"],
    ),
    (
        "domain models: removals do not check the database they run on",
        "alembic_wfplugin/domain/render.py",
        "            if used:\n                what = kind",
        "            if False:\n                what = kind",
        ["tests/test_domain_changes.py", "tests/test_domain_round_trip.py"],
    ),
    (
        "domain models: fields only from the registered class",
        "alembic_wfplugin/domain/declared.py",
        "        for variant in _variants(model)\n",
        "        for variant in [model]\n",
        ["tests/test_domain_diff.py"],
    ),
    (
        "existing subscriptions: a required root block gets no instances",
        "alembic_wfplugin/domain/diff.py",
        '            if ("product_block_link", (name, block)) in added:',
        "            if False:",
        ["tests/test_subscriptions.py", "tests/test_subscription_round_trip.py"],
    ),
    (
        "existing subscriptions: instances of a block made by name, not along the chains of required blocks",
        "alembic_wfplugin/domain/diff.py",
        '            rank = depth.get(key[0], 0) if kind == "child_instance" else 0',
        "            rank = 0",
        ["tests/test_domain_diff.py"],
    ),
    (
        "existing subscriptions: values not checked against the field's type",
        "alembic_wfplugin/domain/diff.py",
        "    if stored is not None and (refusal := spec.refusal(stored)) is not None:",
        "    if False:",
        ["tests/test_domain_diff.py", "tests/test_subscriptions.py"],
    ),
    (
        "existing subscriptions: a list value stored as one row",
        "alembic_wfplugin/domain/declared.py",
        "    return tuple(_stored(item) for item in value) if is_list else (_stored(value),)",
        "    return (_stored(value),)",
        ["tests/test_domain_diff.py", "tests/test_subscriptions.py"],
    ),
    (
        "existing subscriptions: a downgrade removes what its upgrade did not create",
        "alembic_wfplugin/domain/render.py",
        '        if only_created and not conn.execute(kind["created"], params).scalar():',
        "        if False:",
        ["tests/test_subscriptions.py"],
    ),
    (
        "cache: module files remembered whatever changed in their folders",
        "alembic_wfplugin/workflows/module_files.py",
        "        if all(self._observation(key) == value for key, value in remembered.observed.items()):",
        "        if True:",
        ["tests/test_cache.py"],
    ),
    (
        "cache: fingerprints of files changed just before are kept",
        "alembic_wfplugin/workflows/module_files.py",
        "    return now_ns - max(stat.st_mtime_ns, stat.st_ctime_ns) >= RECENT_NS",
        "    return True",
        ["tests/test_cache.py"],
    ),
    (
        "cache: the registry's reading remembered whatever the files hold",
        "alembic_wfplugin/workflows/remembered.py",
        "        if _files_hash(paths, fingerprints) != memo.files:",
        "        if False:",
        ["tests/test_cache.py"],
    ),
    (
        "cache: a section of the wrong shape stops the comparison",
        "alembic_wfplugin/cache.py",
        "                self._sections[name] = load(None)\n",
        "                raise\n",
        ["tests/test_cache.py"],
    ),
    (
        "cache: an __init__.py with code is taken as one that does nothing",
        "alembic_wfplugin/workflows/module_files.py",
        "            if init is None or not (init.st_size == 0 or _does_nothing(init_path)):",
        "            if init is None:",
        ["tests/test_cache.py"],
    ),
    (
        "validation: links to products the revision removes keep a workflow under rule 3",
        "alembic_wfplugin/workflows/links.py",
        "frozenset(p.name for p in row.products) & kept",
        "frozenset(p.name for p in row.products)",
        ["tests/test_diff.py", "tests/test_domain_round_trip.py"],
    ),
    (
        "validation: a retire leaves its scheduler jobs",
        "alembic_wfplugin/workflows/render.py",
        '"if has_schedules:\\n"',
        '"if False:\\n"',
        ["tests/test_validation.py"],
    ),
    (
        "rename: a rename applied on a database that holds both names",
        "alembic_wfplugin/workflows/render.py",
        "WHERE name = :old AND NOT EXISTS (SELECT 1 FROM workflows WHERE name = :new)\n",
        "WHERE name = :old\n",
        ["tests/test_render.py"],
    ),
    (
        "rename: the downgrade does not rename back",
        "alembic_wfplugin/workflows/changes.py",
        "return RenameWorkflow(self.name, self.old, self.was_deleted,",
        "return RenameWorkflow(self.name, self.name, self.was_deleted,",
        ["tests/test_render.py"],
    ),
    (
        "validation: a renamed workflow's downgrade retires it",
        "alembic_wfplugin/workflows/changes.py",
        "        if self.restores is not None:",
        "        if False:",
        ["tests/test_validation.py"],
    ),
    (
        "validation: products lacking a target are counted whatever their status",
        "alembic_wfplugin/workflows/checks.py",
        'if product.status == "active" and missing:',
        "if missing:",
        ["tests/test_checks.py"],
    ),
    (
        "validation: the cache's shortcut forgets the warnings",
        "alembic_wfplugin/compare.py",
        "        warnings += cache.in_sync_warnings\n",
        "\n",
        ["tests/test_cache.py"],
    ),
    (
        "options: a near miss of the prefix is ignored",
        "alembic_wfplugin/options.py",
        "    return _edits(head, PREFIX[:-1]) <= 2 or any(",
        "    return _edits(head, PREFIX[:-1]) < 0 or any(",
        ["tests/test_options.py"],
    ),
    (
        "options: domain options without domain models are ignored",
        "alembic_wfplugin/options.py",
        "        if self.domain_models:\n            return",
        "        if True:\n            return",
        ["tests/test_options.py"],
    ),
    (
        "messages: a stop under main.py shows the traceback",
        "alembic_wfplugin/compare.py",
        "        if under_orchestrator_cli():",
        "        if False:",
        ["tests/test_domain_models.py::test_a_missing_value_is_one_error_without_a_file"],
    ),
    (
        "messages: in sync does not name domain models",
        "alembic_wfplugin/kinds.py",
        'lambda opts: bool(opts.get("wfplugin_domain_models"))',
        "lambda opts: False",
        ["tests/test_domain_models.py::test_every_entry_point_shows_the_same_warnings_and_names_what_it_compared"],
    ),
    (
        "domain at scale: blocks are never counted",
        "alembic_wfplugin/domain/usage.py",
        "    blocks = _blocks_touched(declared, shape, products, options)",
        "    blocks: set[str] = set()",
        ["tests/test_domain_round_trip.py", "tests/test_subscription_round_trip.py"],
    ),
    (
        "domain at scale: the shortcut ignores the registry's shape",
        "alembic_wfplugin/compare.py",
        "key = comparison_key([code.digest for code in codes], databases, options)",
        "key = comparison_key([code.digest for code in codes], databases[-1:], options)",
        ["tests/test_domain_changes.py"],
    ),
    (
        "options: an option read by both comparisons owned by one",
        "alembic_wfplugin/options.py",
        "    import_modules: tuple[str, ...] = option(_strings, EVERY_KIND, ())\n",
        "    import_modules: tuple[str, ...] = option(_strings, WORKFLOWS, ())\n",
        ["tests/test_options.py"],
    ),
    (
        "options: domain-model options read without domain models",
        "alembic_wfplugin/options.py",
        'if f.metadata["owner"] == DOMAIN_MODELS and getattr(self, f.name) != getattr(defaults, f.name)',
        'if f.metadata["owner"] == EVERY_KIND and getattr(self, f.name) != getattr(defaults, f.name)',
        ["tests/test_options.py"],
    ),
    (
        "report: the drift report shows the workflow changes only",
        "alembic_wfplugin/kinds.py",
        "    ours = tuple(kind.container for kind in KINDS)\n",
        "    ours = tuple(kind.container for kind in KINDS[1:])\n",
        ["tests/test_domain_models.py::test_drift_report_and_alembic_check_cover_domain_models"],
    ),
    (
        "kinds: workflows are not handed the products after the domain changes",
        "alembic_wfplugin/compare.py",
        "            handed = result.handoff\n",
        "            pass\n",
        ["tests/test_domain_models.py::test_tutorial_from_an_empty_product_table"],
    ),
    (
        "kinds: a kind's removals run before the later kinds' operations",
        "alembic_wfplugin/compare.py",
        "        *(kind.container.of(result.before) for kind, result in compared),\n"
        "        *(kind.container.of(result.after) for kind, result in reversed(compared)),\n",
        "        *(kind.container.of(result.after) for kind, result in reversed(compared)),\n"
        "        *(kind.container.of(result.before) for kind, result in compared),\n",
        ["tests/test_domain_round_trip.py"],
    ),
    (
        "report: a change word without a colour",
        "alembic_wfplugin/domain/model.py",
        '"remove": "31", ',
        "",
        ["tests/test_cli.py::test_one_table_holds_every_kind_of_change_in_the_order_the_revision_runs_them"],
    ),
]


def stale() -> list[str]:
    """The mutations whose original text is not (once) in its file: the code moved on without them."""
    return [
        f"{name}: the text to mutate is not (once) in {path}"
        for name, path, original, _, _ in MUTATIONS
        if (REPO / path).read_text().count(original) != 1
    ]


def main() -> int:
    """``python scripts/mutants.py [words]``: only the mutations whose name contains one of the words."""
    if problems := stale():
        print("\n".join(problems), file=sys.stderr)
        return 2
    survivors = []
    chosen = [m for m in MUTATIONS if not sys.argv[1:] or any(word in m[0] for word in sys.argv[1:])]
    for name, path, original, mutated, tests in chosen:
        with tempfile.TemporaryDirectory(prefix="wfplugin-mutant-") as tmp:
            files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
            for relative in files.stdout.split():
                (Path(tmp) / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / relative, Path(tmp) / relative)
            target = Path(tmp) / path
            text = target.read_text()
            target.write_text(text.replace(original, mutated))
            # PYTHONPATH puts the mutated copy before the editable install of the checkout
            env = {
                **os.environ,
                "PYTHONPATH": tmp,
                "WFPLUGIN_ROUND_TRIP_EXAMPLES": "100",
                "WFPLUGIN_DOMAIN_EXAMPLES": "100",
            }
            command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
            result = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True)
            killed = result.returncode != 0
            print(f"{'killed  ' if killed else 'SURVIVED'}  {name}  ({', '.join(tests)})", flush=True)
            if not killed:
                survivors.append(name)
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} mutations killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
