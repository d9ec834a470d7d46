"""Snipe-IT asset register: the import-sample CSV, the custom-report export, and the API JSON.

Snipe-IT has no single export format. Users hand us one of:

* a file in the shape of the importer's `sample_assets.csv` ("Full Name", "Email", "Username",
  "Item Name", "Category", "Model name", "Manufacturer", "Model Number", "Serial number",
  "Asset Tag", "Location", "Notes", "Purchase Date", "Purchase Cost", "Company", "Status",
  "Warranty", "Supplier"), often the very file they imported from;
* Reports -> Custom Asset Report ("ID", "Company", "Asset Name", "Asset Tag", "Model", "Model No.",
  "Category", "Manufacturer", "Serial", "Purchased", "Cost", "EOL", "Order Number", "Supplier",
  "Location", "Default Location", "Status", "Checked Out"/"Assigned To", "Username",
  "Employee No.", "Notes", ... plus one column per custom field named after the field, e.g.
  "MAC Address"), whose Status cell reads "Ready to Deploy (deployed)" or "Deployed (Jane Doe)";
* the JSON of GET /api/v1/hardware ({"total": N, "rows": [...]}, nested objects flattened to
  "status_label.name", "custom_fields.MAC Address.value", ...).

So columns are matched by header text through aliases, case-, space- and punctuation-insensitively;
unknown columns are kept in `extra` under their header text.

Status (DESIGN.md): Snipe-IT's seeded labels map by default; "Ready to Deploy" is a *deployable*
label, so it means in use only when the asset is checked out to someone or something. Any other label
needs an explicit mapping — we never guess from the label's wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import RegisterError
from collector.register._common import (
    ColumnSpec,
    RowContext,
    build_records,
    header_key,
    match_columns,
    status_key,
)
from collector.register._table import Table, quote
from collector.register.base import ParseOptions

__all__ = ["COLUMNS", "DEFAULT_STATUS_MAP", "SnipeitFormat"]

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("asset_tag", ("Asset Tag", "asset_tag", "Asset Tag Number", "Asset Number", "Tag")),
    ColumnSpec("name", ("Asset Name", "Item Name", "Name", "asset_name", "item_name")),
    ColumnSpec("serial", ("Serial", "Serial number", "Serial No", "serial_number", "Serial No.")),
    ColumnSpec("model", ("Model", "Model name", "model.name", "model_name")),
    ColumnSpec("manufacturer", ("Manufacturer", "manufacturer.name")),
    ColumnSpec("category", ("Category", "category.name")),
    ColumnSpec("status", ("Status", "Status Label", "status_label.name", "Asset Status")),
    ColumnSpec("status_meta", ("status_label.status_meta", "Status Meta", "status_meta")),
    ColumnSpec("location", ("Location", "location.name")),
    ColumnSpec("purchase_date", ("Purchase Date", "Purchased", "purchase_date.date", "purchase_date")),
    # Custom fields: the report names the column after the field; the importer and the API use the
    # database column "_snipeit_<name>_<id>" (normalised away by _snipeit_key below).
    ColumnSpec("hostname", ("Hostname", "Host Name", "Computer Name", "FQDN", "DNS Name")),
    ColumnSpec("mac", ("MAC Address", "MAC", "MAC Addresses", "Ethernet MAC", "Ethernet MAC Address",
                       "Wired MAC", "LAN MAC", "WiFi MAC", "Wi-Fi MAC Address", "Wireless MAC",
                       "Wireless MAC Address", "WLAN MAC", "MAC Address 2", "Secondary MAC")),
    ColumnSpec("ip", ("IP Address", "IP", "IPv4 Address", "IP Addresses", "IPv6 Address")),
    # Whoever or whatever the asset is checked out to. In alias order: the first non-empty one is
    # `assigned_to`; any non-empty one means "checked out". The import sample's Full Name/Email/
    # Username are the user the importer checks the asset out to.
    ColumnSpec("checkout", ("Checked Out To", "Assigned To", "Target", "Checked Out", "Full Name",
                            "assigned_to.name", "Username", "assigned_to.username", "Email",
                            "assigned_to.email", "assigned_to")),
    ColumnSpec("extra:id", ("ID", "id")),
    ColumnSpec("extra:company", ("Company", "company.name")),
    ColumnSpec("extra:model_number", ("Model No.", "Model Number", "model_number")),
    ColumnSpec("extra:purchase_cost", ("Purchase Cost", "Cost", "purchase_cost")),
    ColumnSpec("extra:order_number", ("Order Number", "order_number")),
    ColumnSpec("extra:supplier", ("Supplier", "supplier.name")),
    ColumnSpec("extra:eol", ("EOL", "eol")),
    ColumnSpec("extra:warranty_months", ("Warranty", "Warranty Months", "warranty_months")),
    ColumnSpec("extra:default_location", ("Default Location", "rtd_location.name")),
    ColumnSpec("extra:employee_number", ("Employee No.", "Employee Number", "assigned_to.employee_number")),
    ColumnSpec("extra:last_checkout", ("Last Checkout", "Checkout Date", "last_checkout.datetime")),
    ColumnSpec("extra:notes", ("Notes", "notes")),
)

# Snipe-IT's seeded status labels (database/seeders/StatuslabelSeeder.php) plus the "Deployed"
# pseudo-status its UI and reports show for a deployable asset that is checked out.
# "Ready to Deploy" is absent on purpose: its class depends on the checkout (see _resolver).
DEFAULT_STATUS_MAP: Mapping[str, StatusClass] = {
    status_key(label): cls for label, cls in (
        ("Deployed", StatusClass.IN_USE),
        ("Pending", StatusClass.IN_STOCK),
        ("Out for Repair", StatusClass.IN_STOCK),
        ("Out for Diagnostics", StatusClass.IN_STOCK),
        ("Archived", StatusClass.RETIRED),
        ("Broken - Not Fixable", StatusClass.RETIRED),
        ("Lost/Stolen", StatusClass.LOST),
    )
}
_READY = status_key("Ready to Deploy")
# Status types Snipe-IT appends in parentheses ("Ready to Deploy (deployable)"); anything else in the
# parentheses is the assignee's name ("Deployed (Jane Doe)").
_STATUS_METAS = frozenset({"deployable", "pending", "archived", "undeployable", "deployed"})
_PARENS = re.compile(r"(.*?)\s*\(([^()]*)\)\s*")
_REQUIRED_IDS = ("asset_tag", "serial", "name")


def _snipeit_key(text: str) -> str:
    """header_key that also sees through custom-field database names.

    "_snipeit_mac_address_1" -> "macaddress"; API "custom_fields.MAC Address.value" -> "macaddress".
    """
    key = header_key(text)
    if key.startswith("customfields") and key.endswith("value") and len(key) > 17:
        key = key[len("customfields"):-len("value")]
    if m := re.fullmatch(r"snipeit(.+?)\d*", key):
        key = m[1]
    return key


class _Resolve:
    """Snipe-IT status resolution; see the module docstring."""

    def __init__(self, user_map: Mapping[str, StatusClass]) -> None:
        self._user = user_map

    def __call__(self, label: str, row: RowContext) -> tuple[StatusClass | None, str, str]:
        candidates = [label]
        meta = ""
        if m := _PARENS.fullmatch(label):
            candidates.append(m[1])
            meta = m[2].strip()
        meta_key = meta.casefold()
        assignee = meta if meta and meta_key not in _STATUS_METAS else ""
        checked_out = bool(row.cells.get("checkout")) or bool(assignee) or meta_key == "deployed" \
            or row.first("status_meta").casefold() == "deployed"
        for candidate in candidates:
            key = status_key(candidate)
            if not key:
                continue
            if key in self._user:
                return self._user[key], candidate, assignee
            if key == _READY:
                return (StatusClass.IN_USE if checked_out else StatusClass.IN_STOCK), candidate, assignee
            if key in DEFAULT_STATUS_MAP:
                return DEFAULT_STATUS_MAP[key], candidate, assignee
        return None, candidates[-1] or label, assignee


class SnipeitFormat:
    """Snipe-IT asset export; see the module docstring."""

    name = "snipeit"
    aliases: tuple[str, ...] = ("snipe-it", "snipe_it")
    description = "Snipe-IT asset CSV (import sample or custom report) or /api/v1/hardware JSON"
    json_only = False

    def parse(self, table: Table, options: ParseOptions) -> list[RecordedAsset]:
        """Snipe-IT table -> records.

        Args:
            table: the parsed CSV or JSON file.
            options: `status_map` overrides the defaults (including "Ready to Deploy", which then no
                longer depends on the checkout); `mapping` does not apply (headers are known).

        Raises:
            RegisterError: missing Status column, no identifying column, or a bad row.
            UnmappedStatusError: a label that neither the defaults nor `status_map` know.
        """
        columns = match_columns(table.header, COLUMNS, key=_snipeit_key)
        found = ", ".join(quote(h, 30) for h in table.header[:15]) + (" …" if len(table.header) > 15 else "")
        where = f"{table.filename}:{table.header_line}"
        if "status" not in columns:
            raise RegisterError(f"{where}: missing required column \"Status\" (also accepted: Status Label); "
                                f"found {found} (include the Status column in the Snipe-IT export)")
        if not any(f in columns for f in _REQUIRED_IDS):
            raise RegisterError(f"{where}: missing required column \"Asset Tag\" (or \"Serial\"/\"Asset Name\"); "
                                f"found {found} (include Asset Tag in the Snipe-IT export)")
        if "checkout" in columns:
            columns["assigned_to"] = columns["checkout"]
        return build_records(table, columns, _Resolve(options.status_map), name_is_hostname=True)
