from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from alembic_wfplugin.errors import WorkflowPluginError
from alembic_wfplugin.options import DOMAIN_MODELS, EVERY_KIND, PREFIX, RENAME_KEYS, WORKFLOWS, Options
from alembic_wfplugin.products import ProductSelector


def test_defaults_and_unrelated_context_options_are_ignored() -> None:
    assert Options.from_context_opts({"compare_type": True, "target_metadata": None}) == Options()


def test_product_types_accept_a_type_a_tagged_type_or_a_list() -> None:
    options = Options.from_context_opts(
        {
            "wfplugin_product_types": {"a": "User", "b": "User:USER_INT", "c": ["UserGroup", "User:USER_EXT"]},
            "wfplugin_descriptions": {"a": "Create a user"},
            "wfplugin_import_modules": ["workflows"],
        }
    )
    assert options.product_types == {
        "a": (ProductSelector("User"),),
        "b": (ProductSelector("User", "USER_INT"),),
        "c": (ProductSelector("User", "USER_EXT"), ProductSelector("UserGroup")),
    }
    assert options.descriptions == {"a": "Create a user"}
    assert options.import_modules == ("workflows",)


def test_an_empty_list_maps_a_workflow_to_no_product() -> None:
    assert Options.from_context_opts({"wfplugin_product_types": {"a": []}}).product_types == {"a": ()}


def test_options_not_given_keep_their_defaults() -> None:
    options = Options.from_context_opts({"wfplugin_products_linked_by_hand": "User legacy"})
    assert options.products_linked_by_hand == ("User legacy",)
    assert options.link_new_products is True
    assert options.default_product_workflows is None


def test_the_default_mode_reads_from_source_with_the_user_cache_folder() -> None:
    assert (Options().read_workflows, Options().cache_dir) == ("source", True)


def test_cache_dir_takes_a_folder_or_false(tmp_path: Path) -> None:
    assert Options.from_context_opts({"wfplugin_cache_dir": tmp_path}).cache_dir == str(tmp_path)
    assert Options.from_context_opts({"wfplugin_cache_dir": False}).cache_dir is False


def test_misspelled_option_names_the_likely_one() -> None:
    with pytest.raises(WorkflowPluginError, match=r"wfplugin_product_type \(did you mean wfplugin_product_types\?\)"):
        Options.from_context_opts({"wfplugin_product_type": {}})


@pytest.mark.parametrize(
    "opts",
    [
        {"wfplugin_product_types": ["User"]},
        {"wfplugin_product_types": {"a": ""}},
        {"wfplugin_product_types": {"a": [3]}},
        {"wfplugin_product_types": {"a": ":TAG"}},
        {"wfplugin_descriptions": {"a": 3}},
        {"wfplugin_products_linked_by_hand": [""]},
        {"wfplugin_default_product_workflows": 3},
        {"wfplugin_link_new_products": None},
        {"wfplugin_read_workflows": "ast"},
        {"wfplugin_cache_dir": 3},
        {"wfplugin_cache_dir": ""},
        {"wfplugin_compare_descriptions": "yes"},
    ],
)
def test_malformed_options_are_errors(opts: dict[str, object]) -> None:
    with pytest.raises(WorkflowPluginError, match="wfplugin_"):
        Options.from_context_opts(opts)


def test_selectors_with_and_without_tag_sort_together() -> None:
    # found by the round-trip property: a plain type and a tagged one in one list
    options = Options.from_context_opts({"wfplugin_product_types": {"a": ["User:USER_INT", "User"]}})
    assert options.product_types["a"] == (ProductSelector("User"), ProductSelector("User", "USER_INT"))


@pytest.mark.parametrize(
    ("keyword", "meant"),
    [
        ("wfplgin_domain_models", "wfplugin_domain_models"),
        ("wf_plugin_domain_models", "wfplugin_domain_models"),
        ("WFPLUGIN_domain_models", "wfplugin_domain_models"),
        ("wfplugn_product_types", "wfplugin_product_types"),
        ("wfpluginproducts", "wfplugin_products"),
    ],
)
def test_a_misspelled_prefix_is_an_error_with_the_option_meant(keyword: str, meant: str) -> None:
    with pytest.raises(WorkflowPluginError, match=rf"{keyword} \(did you mean {meant}\?\)"):
        Options.from_context_opts({keyword: True}, alembics={"compare_type"})


def test_a_misspelled_prefix_before_a_name_that_is_no_option_is_an_error_too() -> None:
    with pytest.raises(WorkflowPluginError, match=r"Misspelled .*: wfplgin_my_own_setting"):
        Options.from_context_opts({"wfplgin_my_own_setting": 1})


def test_alembics_own_and_unrelated_keywords_are_not_taken_for_ours() -> None:
    alembics = {"compare_type", "render_as_batch", "include_object"}
    given = {"compare_type": True, "render_as_batch": False, "include_object": None, "my_app_setting": 1}
    assert Options.from_context_opts(given, alembics) == Options()


@pytest.mark.parametrize(
    ("opts", "named"),
    [
        ({"wfplugin_products": {"p": {"tag": "P"}}}, "wfplugin_products"),
        ({"wfplugin_product_blocks": {"B": {"tag": "B"}}}, "wfplugin_product_blocks"),
        ({"wfplugin_resource_types": {"mtu": "MTU"}}, "wfplugin_resource_types"),
        ({"wfplugin_discard_values": ["B.mtu"]}, "wfplugin_discard_values"),
        ({"wfplugin_renames": {"products": {"a": "b"}}}, r"wfplugin_renames\['products'\]"),
        ({"wfplugin_domain_models": False, "wfplugin_products": {"p": {}}}, "wfplugin_products"),
    ],
)
def test_domain_options_without_domain_models_say_how_to_switch_it_on(opts: dict[str, object], named: str) -> None:
    with pytest.raises(WorkflowPluginError, match=rf"{named} is read only .* add wfplugin_domain_models=True"):
        Options.from_context_opts(opts)


def test_domain_options_with_domain_models_and_workflow_renames_without_are_fine() -> None:
    assert Options.from_context_opts({"wfplugin_renames": {"workflows": {"a": "b"}}}).renames == {
        "workflows": {"a": "b"}
    }
    with_domain = Options.from_context_opts({"wfplugin_domain_models": True, "wfplugin_resource_types": {"mtu": "MTU"}})
    assert with_domain.resource_types["mtu"].description == "MTU"


# The user's manual follows the fields of Options: each option declared once, documented where users look.
REPO = Path(__file__).resolve().parent.parent
README_GROUPS = {"Workflows": WORKFLOWS, "Domain models": DOMAIN_MODELS, "Both": EVERY_KIND}


def documented_default(option: dataclasses.Field[object]) -> str:
    """The default as docs/options.md writes it: Python, with a tuple shown as the list env.py gives."""
    default = option.default_factory() if option.default is dataclasses.MISSING else option.default  # type: ignore[misc]
    if isinstance(default, tuple):
        default = list(default)
    return f"`{json.dumps(default) if isinstance(default, str) else repr(default)}`"


def test_the_options_table_lists_every_option_with_its_default() -> None:
    table = re.findall(r"^\| `(wfplugin_\w+)` \| ([^|]+) \|", (REPO / "docs/options.md").read_text(), re.MULTILINE)
    documented = {name: default.strip() for name, default in table}
    assert len(documented) == len(table), "an option is in the table twice"
    assert documented == {PREFIX + f.name: documented_default(f) for f in dataclasses.fields(Options)}
    assert list(documented) == [PREFIX + f.name for f in dataclasses.fields(Options)], "not in the fields' order"


def test_options_are_declared_grouped_by_the_comparison_that_reads_them() -> None:
    owners = [f.metadata["owner"] for f in dataclasses.fields(Options)]
    groups = [owner for index, owner in enumerate(owners) if index == 0 or owners[index - 1] != owner]
    assert sorted(groups) == sorted(set(owners)), f"an owner's options are not together: {owners}"


def test_the_readme_names_every_option_under_the_comparison_that_reads_it() -> None:
    readme = (REPO / "README.md").read_text()
    listed = {}
    for group, owner in README_GROUPS.items():
        (item,) = re.findall(rf"^- {group}: (.*?)(?=^- |^$)", readme, re.MULTILINE | re.DOTALL)
        listed.update(dict.fromkeys(re.findall(r"`(wfplugin_\w+)`", item), owner))
    assert listed == {PREFIX + f.name: f.metadata["owner"] for f in dataclasses.fields(Options)}


def test_every_rename_key_belongs_to_one_comparison_and_a_domain_key_needs_domain_models() -> None:
    assert set(RENAME_KEYS) == {"workflows", "products", "product_blocks", "resource_types", "fixed_inputs"}
    Options.from_context_opts({"wfplugin_renames": {"workflows": {"a": "b"}}})  # read without domain models
    for key in sorted(set(RENAME_KEYS) - {"workflows"}):
        with pytest.raises(WorkflowPluginError, match=rf"wfplugin_renames\['{key}'\] is read only when domain"):
            Options.from_context_opts({"wfplugin_renames": {key: {"a": "b"}}})
