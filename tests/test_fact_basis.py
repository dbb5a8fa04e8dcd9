"""Ask only what the deciding text needs: every fact whose absence leaves a rule unknown
(and so may be listed in ``missing_facts``) traces to words of the rule's own article.

``tests/fact_basis/<region>.yaml`` maps a fact path (or a prefix ending in ``.``) to the
words that make it a condition in a regulation's text (``request.transfer.reason``:
[原因, 理由, 因]). A rule passes when, for each of its required facts, one of those
words occurs in its article, its quote, or the text of a reading it cites (a reading is
where a policy says why it asks for more than the words do). A fact with no entry, or
whose words the article lacks, is a fact the text never needs: the rule should not ask.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xueji_rules import load_policy

BASIS = Path(__file__).parent / "fact_basis"
REGIONS = sorted(p.stem.replace("__", "/") for p in BASIS.glob("*.yaml"))


def _cues(region: str) -> dict:
    data = yaml.safe_load((BASIS / (region.replace("/", "__") + ".yaml")).read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data, f"{region}: the basis file maps fact paths to words"
    return data


def _words_for(cues: dict, path: str) -> list | None:
    if path in cues:
        return cues[path]
    prefixes = [k for k in cues if k.endswith(".") and path.startswith(k)]
    return cues[max(prefixes, key=len)] if prefixes else None


@pytest.mark.parametrize("region", REGIONS)
def test_every_required_fact_traces_to_its_article(region):
    """A fact the engine may ask for is named by the article the rule cites (or by a reading the rule cites)."""
    policy = load_policy(region)
    cues = _cues(region)
    problems = []
    for q in policy.questions.values():
        for rule in q.rules:
            if rule.layer and rule.layer != policy.id:
                continue  # a province rule is checked with the province
            texts = [rule.article.text, rule.quote] + [policy.readings[r].text for r in rule.readings]
            for path in rule.required_facts:
                words = _words_for(cues, path)
                if words is None:
                    problems.append(f"{q.id}.{rule.id}: {path} has no entry in fact_basis/{region}.yaml")
                elif not any(w in t for w in words for t in texts):
                    problems.append(f"{q.id}.{rule.id} ({rule.article.id}): {path} — none of {words} in its article")
    assert not problems, "\n".join(problems)
