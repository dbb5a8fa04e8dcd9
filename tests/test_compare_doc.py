"""What docs/compare.md says about the regions' behaviour is checked against the policies and the
cross-region case files: the table of `compare:` keys, the count of fact sets per file, that each
fact set is answered by every region and differs between at least two, and the readings it names.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

import xueji_rules as xr
from xueji_rules import load_policy

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "docs" / "compare.md").read_text(encoding="utf-8")
CROSS = ROOT / "tests" / "cross_region"


def _table_after(heading: str) -> list[list[str]]:
    """The rows of the first pipe table after the line containing `heading`, header first."""
    lines = DOC[DOC.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not all(set(c) <= set("-: ") for c in cells):
            rows.append(cells)
    return rows


def _compare_keys(region: str) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for pid, p in load_policy(region).parameters.items():
        if p.compare:
            keys.setdefault(p.compare, set()).add(pid)
    return keys


def test_the_keys_table_is_the_policies_compare_keys():
    header, *rows = _table_after("The keys in use:")
    regions = header[1:]
    assert regions == ["jiangsu", "shandong", "nanchang"]
    actual = {r: _compare_keys(r) for r in regions}
    documented = set()
    for key_cell, *cells in rows:
        key = key_cell.strip("`")
        documented.add(key)
        for region, cell in zip(regions, cells):
            names = set(re.findall(r"`([a-z0-9_]+)`", cell))
            assert names == actual[region].get(key, set()), f"{key} in {region}: the doc says {sorted(names)}"
    used = set().union(*(set(k) for k in actual.values()))
    assert used <= documented, f"compare keys used but not in the table: {sorted(used - documented)}"


def _case_files() -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CROSS.glob("*.yaml"))}


def test_the_fact_set_counts_are_the_files():
    files = _case_files()
    total = int(re.search(r"`tests/cross_region/` holds (\d+) fact sets", DOC).group(1))
    assert total == sum(len(f["cases"]) for f in files.values())
    rows = _table_after("`tests/cross_region/` holds")[1:]
    counted = {}
    for cell, _ in rows:
        m = re.fullmatch(r"`([a-z_]+\.yaml)` \((\d+)\)", cell)
        assert m, cell
        counted[m.group(1)] = int(m.group(2))
    assert counted == {name: len(f["cases"]) for name, f in files.items()}


def test_every_fact_set_is_answered_by_the_three_regions_and_differs():
    assert "Every file lists `regions: [jiangsu, shandong, nanchang]`" in DOC
    for name, f in _case_files().items():
        assert f.get("regions") == ["jiangsu", "shandong", "nanchang"], name
        for case in f["cases"]:
            answers = {(w.get("outcome"), str(w.get("why"))) for w in case["want"].values()}
            assert len(answers) > 1, f"{name}: {case['note']} gives one answer everywhere"


def test_the_readings_named_exist():
    named = set(re.findall(r"reading\s+`([a-z0-9_]+)`", DOC))
    assert named
    readings = set()
    for region in xr.regions():
        readings |= set(load_policy(region).readings)
    assert named <= readings, sorted(named - readings)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def test_jiangsu_answers_the_infectious_disease_case_as_any_illness():
    """The doc: Jiangsu treats an infectious disease as 伤病 (reading infectious_disease_is_illness)."""
    f = _case_files()["suspension.yaml"]
    (case,) = [c for c in f["cases"] if (c.get("facts") or {}).get("absence", {}).get("reason") == "infectious_disease"]
    facts = _merge(f["facts"], case.get("facts") or {})
    on = case.get("on", f.get("on", f.get(True)))  # PyYAML reads the key `on` as true
    as_disease = xr.ask("jiangsu", "suspension", facts, on=on)
    as_illness = xr.ask("jiangsu", "suspension", _merge(facts, {"absence": {"reason": "illness"}}), on=on)
    assert (as_disease.outcome, as_disease.failed) == (as_illness.outcome, as_illness.failed)
    assert as_disease.failed, "the case decides by a rule, not by 'no ground applies'"


@pytest.mark.parametrize("hours, outcome", [(210, "denied"), (211, "allowed_with_approval")])
def test_jiangsu_infectious_disease_meets_the_210_hour_test(hours, outcome):
    facts = {
        "student": {"stage": "junior", "grade": 8},
        "absence": {"reason": "infectious_disease", "class_hours_missed": hours, "still_unable_to_attend": True},
        "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"], "hospital_level": "county"},
    }
    assert xr.ask("jiangsu", "suspension", facts, on="2025-03-03").outcome == outcome
