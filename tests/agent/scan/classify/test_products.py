"""The shipped product registry: its size, and well-known public product OIDs resolving to their MIB names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.scan.classify import products
from agent.scan.classify.products import DEFAULT_FILE, Product, lookup, model_name


@pytest.fixture(autouse=True)
def shipped() -> Iterator[None]:
    products.use_file(None)
    yield
    products.use_file(None)


def test_the_shipped_table_is_small_and_large_enough() -> None:
    assert DEFAULT_FILE.is_file() and DEFAULT_FILE.stat().st_size < 3_000_000
    assert products.size() > 30_000


@pytest.mark.parametrize(("oid", "label", "model"), [
    ("1.3.6.1.4.1.9.1.576", "CISCO-PRODUCTS-MIB::cisco2811", "cisco2811"),
    ("1.3.6.1.4.1.2636.1.1.1.2.31", "JUNIPER-CHASSIS-DEFINES-MIB::jnxProductNameEX4200", "EX4200"),
    ("1.3.6.1.4.1.12356.101.1.641", "FORTINET-FORTIGATE-MIB::fgt60E", "fgt60E"),
    # HUAWEI-MIB defines a symbol twice; the build keeps the module (pysmi alone drops it).
    ("1.3.6.1.4.1.2011.2.23.291", "HUAWEI-MIB::s5720-56C-PWR-EI-AC", "s5720-56C-PWR-EI-AC"),  # "S5720" its line
    # HP registers port modules below each switch: the switch is still a product.
    ("1.3.6.1.4.1.11.2.3.7.11.1", "HP-ICF-OID::hpAdvSwitch2000", "hpAdvSwitch2000"),
])
def test_well_known_products_resolve(oid: str, label: str, model: str) -> None:
    found = lookup(oid)
    assert found is not None and found.label == label and found.exact and not found.family
    assert model_name(found) == model


def test_unlisted_oids_fall_under_their_family_or_nothing() -> None:
    newer = lookup("1.3.6.1.4.1.11.2.3.7.11.99999")  # an HP switch newer than the MIBs
    assert newer is not None and newer.family and newer.name == "hpEtherSwitch" and not newer.exact
    assert lookup("1.3.6.1.2.1.1.1") is None  # not under enterprises
    assert lookup("1.3.6.1.4.1.9") is None    # the enterprise node itself
    assert lookup("") is None


def test_a_missing_registry_is_no_answer_not_an_error(tmp_path: Path) -> None:
    products.use_file(tmp_path / "absent.tsv.gz")
    assert lookup("1.3.6.1.4.1.9.1.576") is None and products.size() == 0
    assert products.enterprise_name(9) == ""


@pytest.mark.parametrize(("name", "prefix", "model"), [
    ("ciscoWSC2960X48TSL", "cisco", "WSC2960X48TSL"),
    ("hpSwitchJ9019A", "hpSwitch", "J9019A"),
    ("fgt60E", "fgt", "fgt60E"),         # "60E" alone names no product
    ("cisco2811", "cisco", "cisco2811"),  # nor does "2811"
    ("acmeThing", "", "acmeThing"),
    # A product line's letters before its number stay (HUAWEI-MIB s9303, CADANT-PRODUCTS-MIB c4ccmts,
    # A10-COMMON-MIB a10SoftAX); a longer family name before the number goes (HUAWEI-MIB optix155622H).
    ("s9303", "s", "s9303"),
    ("c4ccmts", "c", "c4ccmts"),
    ("a10SoftAX", "a", "a10SoftAX"),
    ("gs748t", "gs", "gs748t"),
    ("fgt100F", "fgt", "fgt100F"),
    ("optix155622H", "optix", "155622H"),
])
def test_model_name_drops_the_prefix_siblings_share(name: str, prefix: str, model: str) -> None:
    assert model_name(Product("1.3.6.1.4.1.1.1", name, "M", prefix=prefix)) == model
