"""One spelling per maker: registry names shortened by rule, brands and acquisitions by one table.

The three vendor sources spell the same maker differently ("ciscoSystems" in the IANA registry,
"Cisco Systems, Inc" in the IEEE registry, "Cisco" in entPhysicalMfgName), and an inventory that
lists a maker three ways is three makers to its reader. So every name goes through `canonical`:
1. `shorten` drops what is not the name, by rule and for every vendor alike: parenthesised notes
   ("(https://...)", "(previous was ...)"), ", a ... company" tails, corporate suffixes (Inc., Ltd.,
   GmbH, Co., Corporation, S.A., ...), and capitals shouted in long words ("KYOCERA" -> "Kyocera");
2. the alias table (vendor_aliases.tsv beside this module, documented there) maps the shortened
   name to the brand an asset manager files the device under, including acquisitions whose
   enterprise number lives on under the buyer (Airespace -> Cisco, NetScreen -> Juniper).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

ALIASES_FILE = Path(__file__).with_name("vendor_aliases.tsv")

# Corporate forms, matched as whole trailing words (repeatedly: "Co., Ltd." is two of them).
_SUFFIX = re.compile(
    r"[\s,.]+(?:inc|incorporated|ltd|limited|llc|l\.l\.c|gmbh|mbh|corp|corporation|co|company|ag|s\.?a|"
    r"s\.?a\.?s|b\.?v|n\.?v|ab|oy|oyj|a/?s|asa|s\.?p\.?a|s\.?r\.?l|sarl|kk|k\.k|plc|pty|pte|kg|"
    r"& co|and co|sdn bhd|bhd|s\.?l|spol\. s r\.o|s\.r\.o|sro|zrt|kft|ltda|jsc|ooo|lp|l\.p)\.?\s*$",
    re.IGNORECASE)
_PAREN = re.compile(r"\s*\([^)]*\)?")
_COMPANY_TAIL = re.compile(r",\s+an?\s+.*\bcompany\b.*$", re.IGNORECASE)
_SHOUTED = re.compile(r"\b[A-Z]{4,}\b")


def shorten(name: str) -> str:
    """A registry's organisation name without legal form, notes or shouting (see the module docstring)."""
    text = _COMPANY_TAIL.sub("", _PAREN.sub("", " ".join(name.split()))).strip(" ,.;-")
    while True:
        shorter = _SUFFIX.sub("", text).strip(" ,;-")
        if shorter == text or not shorter:
            break
        text = shorter
    if text.isupper() or text == text.upper():
        text = _SHOUTED.sub(lambda m: m.group(0).capitalize(), text)
    return text


@functools.lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    """Shortened name (lower case) -> brand, from vendor_aliases.tsv (`name<TAB>brand`, `#` comments)."""
    table: dict[str, str] = {}
    for line in ALIASES_FILE.read_text(encoding="utf-8").splitlines():
        body = line.split("#", 1)[0].rstrip()
        if not body.strip():
            continue
        name, _, brand = body.partition("\t")
        if name.strip() and brand.strip():
            table[shorten(name.strip()).lower()] = brand.strip()
    return table


@functools.lru_cache(maxsize=8192)
def canonical(name: str) -> str:
    """The one spelling of a maker's name: shortened, then through the alias table; "" stays ""."""
    short = shorten(name)
    if not short:
        return ""
    aliases = _aliases()
    key = short.lower()
    if key in aliases:
        return aliases[key]
    return _brands().get(key, short)  # a brand spelled as the table spells it ("ARRIS", not "Arris")


@functools.lru_cache(maxsize=1)
def _brands() -> dict[str, str]:
    return {brand.lower(): brand for brand in _aliases().values()}
