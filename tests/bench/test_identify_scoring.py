"""The identification bench's comparison rules: a figure is only as honest as what counts as right."""

from __future__ import annotations

import pytest

from bench.bench_identify import judge, judge_coarse, norm_vendor, score, score_fusion


@pytest.mark.parametrize(("truth", "ours"), [
    ("cisco", "Cisco Systems, Inc."),
    ("Juniper", "Juniper Networks, Inc."),
    ("Hikvision", "Hangzhou Hikvision Digital Technology Co., Ltd."),
    ("HP", "Hewlett Packard Enterprise"),
    ("dlink", "D-Link Systems, Inc."),
    ("TP-Link", "TP-LINK TECHNOLOGIES CO.,LTD."),
    ("apc", "American Power Conversion Corp."),
    ("FS", "FS"),
])
def test_vendor_names_that_mean_the_same_brand_are_right(truth: str, ours: str) -> None:
    assert judge("vendor", truth, ours) == "right"


@pytest.mark.parametrize(("truth", "ours"), [
    ("cisco", "Net-SNMP"),
    ("teltonika", "Ubiquiti"),
    ("FS", "Fortinet"),       # two letters never match by containment, only exactly
    ("hp", "Hikvision"),
])
def test_different_vendors_are_wrong(truth: str, ours: str) -> None:
    assert judge("vendor", truth, ours) == "wrong"


def test_corporate_words_and_punctuation_do_not_matter() -> None:
    assert norm_vendor("Cisco Systems, Inc.") == norm_vendor("CISCO") == "cisco"


@pytest.mark.parametrize(("field", "truth", "ours", "verdict"), [
    ("type", ["switch", "router"], "router", "right"),
    ("type", ["switch", "router"], "server", "wrong"),
    ("type", ["firewall"], "unknown", "empty"),
    ("type", ["firewall"], "", "empty"),
    ("model", "WS-C2960-24TT-L", "ws-c2960-24tt-l", "right"),
    ("model", "1920S 24G 2SFP JL381A", "JL381A HPE 1920S 24G Switch", "right"),
    ("model", "RUT950", "Linux", "wrong"),
    ("model", "SuperStack 3", "SuperStack 4200", "wrong"),
    ("model", "MES2124M AC", "", "empty"),
    ("serial", "FOC1234X0AB", " foc1234x0ab ", "right"),
    ("serial", "FOC1234X0AB", "FOC1234X0AC", "wrong"),
    ("firmware", "12.1(22)EA14", "Version 12.1(22)EA14", "right"),
    ("firmware", "7.0.1", "7", "wrong"),   # a lone major number is not the version
    ("firmware", "4.04", "", "empty"),
])
def test_each_field_is_judged_by_its_documented_rule(field: str, truth: object, ours: str, verdict: str) -> None:
    assert judge(field, truth, ours) == verdict


def test_fusioninventory_type_is_judged_on_its_coarse_scale() -> None:
    assert judge_coarse(["switch", "router"], "NETWORKING") == "right"
    assert judge_coarse(["iot", "ups"], "POWER") == "right"
    assert judge_coarse(["server"], "NETWORKING") == "wrong"
    assert judge_coarse(["printer"], "") == "empty"
    assert judge_coarse(["bmc"], "COMPUTER") is None  # no coarse word: not counted


def test_only_labelled_devices_count_and_misses_name_the_recording() -> None:
    labels = {
        "a": {"vendor": "cisco", "type": ["switch"], "model": None, "serial": "X1", "firmware": None},
        "b": {"vendor": None, "type": ["printer"], "model": "M1", "serial": None, "firmware": "1.2.3"},
    }
    answers = {"a": {"vendor": "Cisco", "type": "router", "model": "C1", "serial": "X1", "firmware": ""}}
    out = score(labels, answers)
    t = out["table"]
    assert t["vendor"] == {"right": 1, "wrong": 0, "empty": 0, "labelled": 1}
    assert t["type"] == {"right": 0, "wrong": 1, "empty": 1, "labelled": 2}
    assert t["model"] == {"right": 0, "wrong": 0, "empty": 1, "labelled": 1}   # "a" has no model label
    assert t["type (coarse)"]["right"] == 1                                      # switch ~ router: NETWORKING
    assert {(m["recording"], m["field"]) for m in out["misses"]} == {
        ("a", "type"), ("b", "type"), ("b", "model"), ("b", "firmware")}


def test_fusioninventory_scores_use_its_own_type_words() -> None:
    labels = {"a": {"vendor": None, "type": ["ups"], "model": None, "serial": None, "firmware": None}}
    out = score_fusion(labels, {"a": {"type": "POWER"}})
    assert out["table"]["type"] == {"right": 1, "wrong": 0, "empty": 0, "labelled": 1}
    assert "type (coarse)" not in out["table"]
