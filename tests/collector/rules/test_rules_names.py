"""Software name normalisation (collector/domain/software_names.py)."""

from __future__ import annotations

import pytest

from collector.domain.software_names import dedupe_titles, normalise_title, normalise_vendor, split_name_version


@pytest.mark.parametrize(
    ("name", "version", "source", "expected"),
    [
        # The examples: display names as SNMP hrSWInstalledName and Windows report them.
        ("OpenSSL 1.0.1e (32-bit)", "", "snmp", ("OpenSSL", "1.0.1e")),
        ("Mozilla Firefox 19.0.2 (x86 ru)", "", "snmp", ("Mozilla Firefox", "19.0.2")),
        ("PuTTY version 0.60", "", "snmp", ("PuTTY", "0.60")),
        ("7-Zip 9.20 (x64 edition)", "", "snmp", ("7-Zip", "9.20")),
        # rpm NEVRA and dpkg triples as net-snmp reports Linux packages
        ("bash-4.2.46-34.el7.x86_64", "", "snmp", ("bash", "4.2.46-34.el7")),
        ("kernel-3.10.0-1160.el7.x86_64", "", "snmp", ("kernel", "3.10.0-1160.el7")),
        ("openssl-libs-1:1.0.2k-19.el7.x86_64", "", "snmp", ("openssl-libs", "1:1.0.2k-19.el7")),
        ("openssl_1.0.1e-2+deb7u4_amd64", "", "snmp", ("openssl", "1.0.1e-2+deb7u4")),
        # the version field wins over the one in the name
        ("Mozilla Firefox 19.0.2 (x86 ru)", "19.0.2", "msi", ("Mozilla Firefox", "19.0.2")),
        ("Python 3.11.4 (64-bit)", "3.11.4150.0", "msi", ("Python", "3.11.4150.0")),
        ("Microsoft Visual C++ 2015 Redistributable (x64) - 14.0.24215", "", "snmp",
         ("Microsoft Visual C++ 2015 Redistributable", "14.0.24215")),
        ("Git version 2.41.0", "", "msi", ("Git", "2.41.0")),
        ("xz-5.6.0", "", "snmp", ("xz", "5.6.0")),
        ("log4j-core-2.14.1", "", "other", ("log4j-core", "2.14.1")),
        # years and marketing numbers are part of the product
        ("Microsoft Office Professional Plus 2016", "16.0.4266.1001", "msi",
         ("Microsoft Office Professional Plus 2016", "16.0.4266.1001")),
        ("Java 8 Update 351", "", "snmp", ("Java 8 Update 351", "")),
        ("TeamViewer 15", "15.0.1", "msi", ("TeamViewer 15", "15.0.1")),
        ("AnyDesk", "", "snmp", ("AnyDesk", "")),
        # package-manager names are never split: their digits are part of the name
        ("libssl1.0.0", "1.0.1e-2", "deb", ("libssl1.0.0", "1.0.1e-2")),
        ("python3.11", "3.11.2-6", "deb", ("python3.11", "3.11.2-6")),
        ("xz-5.6.0", "5.6.0", "rpm", ("xz-5.6.0", "5.6.0")),
        ("  Spaced   Name  1.2 ", "", "msi", ("Spaced Name", "1.2")),
    ],
)
def test_split_name_version(name: str, version: str, source: str, expected: tuple[str, str]) -> None:
    assert split_name_version(name, version, source) == expected


def test_snmp_package_strings_keep_their_ecosystem_order() -> None:
    assert normalise_title("bash-4.2.46-34.el7.x86_64", "", "", "snmp").scheme == "rpm"
    assert normalise_title("openssl_1.0.1e-2+deb7u4_amd64", "", "", "snmp").scheme == "debian"
    assert normalise_title("OpenSSL 1.0.1e (32-bit)", "", "", "snmp").scheme == "dotted"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Microsoft Corporation", "microsoft"),
        ("Microsoft Corp.", "microsoft"),
        ("Google LLC", "google"),
        ("Google Inc.", "google"),
        ("Mozilla", "mozilla"),
        ("Mozilla Foundation", "mozilla"),
        ("Mozilla Corporation", "mozilla"),
        ("Oracle America, Inc.", "oracle"),
        ("Adobe Systems Incorporated", "adobe"),
        ("TeamViewer Germany GmbH", "teamviewer"),
        ("AnyDesk Software GmbH", "anydesk"),
        ("Python Software Foundation", "python"),
        ("Debian OpenSSL Team <pkg-openssl-devel@lists.alioth.debian.org>", "openssl"),
        ("Software AG", "software"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_vendor(raw: str | None, expected: str) -> None:
    assert normalise_vendor(raw) == expected


def test_identical_titles_are_deduplicated() -> None:
    titles = dedupe_titles(
        [
            ("Mozilla Firefox 19.0.2 (x86 ru)", "19.0.2", "Mozilla", "msi"),
            ("Mozilla Firefox", "19.0.2", "Mozilla Corporation", "msi"),
            ("mozilla firefox 19.0.2 (x64 en-US)", "", "Mozilla Foundation", "msi"),
            ("Mozilla Firefox", "20.0", "Mozilla", "msi"),
            ("firefox", "19.0.2", "", "deb"),
        ]
    )
    assert [(t.product, t.version, t.vendor, t.source) for t in titles] == [
        ("Mozilla Firefox", "19.0.2", "mozilla", "msi"),
        ("Mozilla Firefox", "20.0", "mozilla", "msi"),
        ("firefox", "19.0.2", "", "deb"),
    ]
