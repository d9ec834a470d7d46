"""Recognise firmware placeholder identifiers so they never become asset identity.

OEMs ship boards whose DMI strings were never filled in ("To be filled by O.E.M.", "Default
string", "System Serial Number", "0", an all-zero UUID...). Thousands of machines share each of
these values, so merging assets on them would fuse unrelated machines (DESIGN.md, "Identity").
The agent blanks them before they leave the machine; "" means unknown throughout the model.
"""

from __future__ import annotations

import re

# Values seen in the wild in SMBIOS type 1/2/3 strings; compared case-insensitively after
# stripping and squeezing whitespace. Sources: AMI/Insyde BIOS defaults, dmidecode bug reports,
# fwupd and systemd-hostnamed quirk lists, the GLPI/FusionInventory "invalid serial" list, and
# asset registers. The collector re-checks the same values (collector/domain/identifiers.py): both
# lists are kept equal by tests/data/identity/vectors.json, which each side's tests read.
_PLACEHOLDERS = frozenset(
    s.casefold()
    for s in (
        "", "0", "1", "123456", "12345678", "123456789", "1234567890", "0123456789", "SN12345678", "SerNum0",
        "To be filled by O.E.M.", "To be filled by OEM", "Default string", "Default", "System Serial Number",
        "System Serial", "System Product Name", "System manufacturer", "System Version", "Chassis Serial Number",
        "Base Board Serial Number", "Serial Number", "Serial", "SN", "No Serial", "Not Specified", "Not Applicable",
        "Not Available", "Not Present", "No Asset Information", "Type1ProductConfigId", "None", "N/A", "NA", "Null",
        "Unknown", "Invalid", "Empty", "OEM", "O.E.M.", "TBD", "To be filled", "Not Set", "Undefined",
    )
)

# Separators ignored when deciding whether a value is one character repeated
# ("00000000", "FFFF-FFFF", "........", "xxxx xxxx").
_SEPARATORS = re.compile(r"[\s\-_.:]")
# Devices that hide or lack a value say so in angle brackets ("<private>", "<empty>"), and some put a
# manufacturing or build date where the serial belongs ("2018-10-07", "10/07/2018", "07.10.2018 12:00").
# The collector applies the same two patterns (collector/domain/identifiers.py).
_BRACKETED = re.compile(r"^<[^<>]*>$")
_DATE = re.compile(r"^(?:(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
                   r"|(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)\d\d"
                   r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/\d\d)(?:[ T][\d:.]+)?$")

# System UUIDs firmware ships unfilled (besides one digit repeated, such as all-zero and all-F).
_JUNK_UUIDS = frozenset({
    # AMI Aptio boards: the 16 bytes count 0x00..0x09. SMBIOS 2.6 and later read the first three
    # fields little-endian (dmidecode, Windows); older readers print the big-endian form below it.
    "03000200-0400-0500-0006-000700080009",
    "00020003-0004-0005-0006-000700080009",
    "12345678-1234-5678-90ab-cddeefaabbcc",  # a filler some OEM images carry
})


def is_placeholder(value: str, *, dates: bool = True) -> bool:
    """Tell whether a firmware string is a known filler rather than a real identifier.

    Args:
        value: a raw DMI/SMBIOS string (serial, vendor, model, asset tag).

    Returns:
        True for empty values, known OEM fillers (case-insensitive, whitespace squeezed) and strings made of one
        repeated character such as "00000000" or "FFFFFFFF".
    """
    stripped = value.strip()
    if not stripped:
        return True
    if " ".join(stripped.split()).casefold() in _PLACEHOLDERS or _BRACKETED.match(stripped):
        return True
    if dates and _DATE.match(stripped):
        return True
    compact = _SEPARATORS.sub("", stripped)
    return len(set(compact.casefold())) <= 1


def clean_identifier(value: str) -> str:
    """Return the stripped value, or "" when it is a placeholder."""
    stripped = value.strip()
    return "" if is_placeholder(stripped) else stripped


def _canonical_uuid(text: str) -> str:
    """str(uuid.UUID(text)), or "" where uuid.UUID raises; the same steps, without importing uuid.

    uuid's module set-up (it probes for the platform's libuuid) costs more than the hardware
    collector that is its only user here.
    """
    digits = text.replace("urn:", "").replace("uuid:", "").strip("{}").replace("-", "")
    if len(digits) != 32:
        return ""
    try:
        number = int(digits, 16)
    except ValueError:
        return ""
    if not 0 <= number < 1 << 128:
        return ""
    h = f"{number:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def clean_uuid(value: str) -> str:
    """Return a system UUID in lower-case canonical 8-4-4-4-12 form, or "" if it is no identity.

    Accepts braces, upper case and missing hyphens (Windows and macOS spell UUIDs differently
    from the Linux kernel). All-zero, all-F and the well-known AMI filler UUID are rejected, as
    is anything that does not parse.
    """
    stripped = value.strip().strip("{}")
    if not stripped:
        return ""
    canonical = _canonical_uuid(stripped)
    if not canonical:
        return ""
    if canonical in _JUNK_UUIDS or len(set(canonical.replace("-", ""))) <= 1:
        return ""
    return canonical
