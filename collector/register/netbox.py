"""NetBox device CSV: the bulk-import columns and the device-list export.

NetBox writes and reads two vocabularies for the same data:

* bulk import (Devices -> Import) uses field names: name, role (device_role before v4.0),
  device_type, manufacturer, platform, serial, asset_tag, status, site, location, rack, tenant,
  ...; exports made for re-import, and most scripts, use these too, sometimes with primary_ip4/6;
* the device table's CSV export uses the columns' verbose names: "Name", "Status", "Tenant",
  "Site", "Location", "Rack", "Role", "Manufacturer", "Type", "Platform", "Serial number",
  "Asset tag", "IP Address" (primary_ip), "IPv4 Address"/"IPv6 Address" (older: "Primary IPv4"),
  ...; statuses then read "Active" rather than "active".

Both are matched through aliases. Primary IPs carry their prefix length ("192.0.2.10/24"); only the
address is kept. The out-of-band IP is a different interface (BMC) with its own MAC, so it goes to
`extra["oob_ip"]`, not `ips`.

Status (DESIGN.md): active -> in use; planned, staged, inventory, offline -> in stock; failed,
decommissioning -> retired. *offline* is arguable: NetBox defines it as "powered off / not
operational" but still part of the deployment. As in-use it would become a ghost for simply being
off, which is what the status already says; as in-stock, an unseen offline device is fine and a
*seen* one is a medium mismatch ("recorded offline, but it is on the network"), which is the
discrepancy worth a look. Map it otherwise with status_map if your site uses it differently.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.domain.model import RecordedAsset, StatusClass
from collector.errors import RegisterError
from collector.register._common import ColumnSpec, RowContext, build_records, match_columns, status_key
from collector.register._table import Table, quote
from collector.register.base import ParseOptions

__all__ = ["COLUMNS", "DEFAULT_STATUS_MAP", "NetboxFormat"]

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", ("name", "Name", "Device", "Device name")),
    ColumnSpec("status", ("status", "Status", "status.value")),
    ColumnSpec("serial", ("serial", "Serial number", "Serial", "Serial Number")),
    ColumnSpec("asset_tag", ("asset_tag", "Asset tag")),
    ColumnSpec("model", ("device_type", "Type", "Device type", "device_type.model", "Model")),
    ColumnSpec("manufacturer", ("manufacturer", "Manufacturer", "device_type.manufacturer.name")),
    ColumnSpec("category", ("role", "device_role", "Role", "Device role", "role.name")),
    ColumnSpec("ip", ("primary_ip4", "Primary IPv4", "IPv4 Address", "primary_ip4.address",
                      "primary_ip6", "Primary IPv6", "IPv6 Address", "primary_ip6.address",
                      "primary_ip", "Primary IP", "IP Address", "primary_ip.address")),
    ColumnSpec("mac", ("mac_address", "MAC Address", "cf_mac_address", "MAC")),
    ColumnSpec("hostname", ("hostname", "Hostname", "dns_name", "DNS name", "cf_hostname")),
    ColumnSpec("extra:site", ("site", "Site", "site.name")),
    ColumnSpec("extra:location", ("location", "Location", "location.name")),
    ColumnSpec("extra:rack", ("rack", "Rack", "rack.name")),
    ColumnSpec("extra:position", ("position", "Position")),
    ColumnSpec("extra:tenant", ("tenant", "Tenant", "tenant.name")),
    ColumnSpec("extra:platform", ("platform", "Platform", "platform.name")),
    ColumnSpec("extra:oob_ip", ("oob_ip", "OOB IP", "oob_ip.address")),
    ColumnSpec("extra:id", ("id", "ID")),
    ColumnSpec("extra:description", ("description", "Description")),
    ColumnSpec("extra:comments", ("comments", "Comments")),
    ColumnSpec("extra:tags", ("tags", "Tags")),
)

# NetBox DeviceStatusChoices (dcim/choices.py).
DEFAULT_STATUS_MAP: Mapping[str, StatusClass] = {
    "active": StatusClass.IN_USE,
    "planned": StatusClass.IN_STOCK,
    "staged": StatusClass.IN_STOCK,
    "inventory": StatusClass.IN_STOCK,
    "offline": StatusClass.IN_STOCK,   # see the module docstring
    "failed": StatusClass.RETIRED,
    "decommissioning": StatusClass.RETIRED,
}
_REQUIRED_IDS = ("name", "serial", "asset_tag")


class _Resolve:
    def __init__(self, user_map: Mapping[str, StatusClass]) -> None:
        self._user = user_map

    def __call__(self, label: str, row: RowContext) -> tuple[StatusClass | None, str, str]:
        key = status_key(label)
        cls = self._user.get(key) or DEFAULT_STATUS_MAP.get(key)
        return cls, label, ""


class NetboxFormat:
    """NetBox device export; see the module docstring."""

    name = "netbox"
    aliases: tuple[str, ...] = ()
    description = "NetBox device CSV (bulk-import columns or the device list export) or API JSON"
    json_only = False

    def parse(self, table: Table, options: ParseOptions) -> list[RecordedAsset]:
        """NetBox device table -> records.

        Args:
            table: the parsed CSV or JSON file.
            options: `status_map` overrides the defaults; `mapping` does not apply (headers are known).

        Raises:
            RegisterError: missing status column, no identifying column, or a bad row.
            UnmappedStatusError: a status (e.g. a custom choice added in FIELD_CHOICES) without a class.
        """
        columns = match_columns(table.header, COLUMNS)
        found = ", ".join(quote(h, 30) for h in table.header[:15]) + (" …" if len(table.header) > 15 else "")
        where = f"{table.filename}:{table.header_line}"
        if "status" not in columns:
            raise RegisterError(f"{where}: missing required column \"status\" (export: \"Status\"); found {found} "
                                "(add the Status column to the NetBox export)")
        if not any(f in columns for f in _REQUIRED_IDS):
            raise RegisterError(f"{where}: missing required column \"name\" (or \"serial\"/\"asset_tag\"); "
                                f"found {found} (add the Name column to the NetBox export)")
        return build_records(table, columns, _Resolve(options.status_map), name_is_hostname=True,
                             location_parts=("extra:site", "extra:location", "extra:rack"))
