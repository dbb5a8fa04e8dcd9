"""Each bundled policy accounts for its whole text and has its deadlines asserted (issue 7's "done when")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import xueji_rules as xr
from xueji_rules.compliance import load_case_file

REGIONS = xr.regions()


def _own_rules(policy):
    for q in policy.questions.values():
        for rule in q.rules:
            if not rule.layer or rule.layer == policy.id:
                yield q, rule


@pytest.mark.parametrize("region", REGIONS)
def test_every_article_is_encoded_or_omitted_with_a_reason(region):
    """The policy says how its source numbers articles, so loading checks that none is forgotten."""
    policy = xr.load_policy(region)
    meta = yaml.safe_load((Path(policy.folder) / "policy.yaml").read_text(encoding="utf-8"))["policy"]
    assert meta["regulation"].get("article_heading"), f"{region} does not declare article_heading"
    own = [o for o in policy.omitted if o.layer == policy.id]
    assert own, f"{region} omits nothing: every article of a regulation is encoded?"
    assert all(o.reason.strip() and o.kind for o in own)


@pytest.mark.parametrize("region", REGIONS)
def test_every_deadline_is_asserted_by_a_case(region):
    """A deadline parameter moved by a day must make some case fail: each rule's deadline is asserted somewhere."""
    policy = xr.load_policy(region)
    asserted = set()
    for path in sorted((Path(policy.folder) / "tests").rglob("*.yaml")):
        if "calendars" in path.parts:
            continue
        for case in load_case_file(path, policy):
            want = getattr(case, "want", None)
            for key, _ in (getattr(want, "deadlines", None) or ()):
                asserted.add(key)
    missing = [f"{q.id}.{rule.id}: {dl.title}" for q, rule in _own_rules(policy) for dl in rule.deadlines
               if dl.title not in asserted and rule.id not in asserted]
    assert not missing, "deadlines no case asserts:\n" + "\n".join(missing)
