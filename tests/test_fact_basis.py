"""Ask only what the deciding text needs: every fact whose absence leaves a rule unknown
(and so may be listed in ``missing_facts``) traces to words of the rule's own article.

Each policy keeps ``source/fact_words.yaml``, mapping a fact path (or a prefix ending in
``.``) to the words that make it a condition in its regulation's text
(``request.transfer.reason``: [原因, 理由, 因]). A rule passes when, for each of its required
facts, one of those words occurs in its article, its quote, or the text of a reading it
cites (a reading is where a policy says why it asks for more than the words do). A fact
with no entry, or whose words the article lacks, is a fact the text never needs: the rule
should not ask. ``xueji lint`` reports each as ``fact_unexplained``; here none may stand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xueji_rules import load_policy, regions
from xueji_rules.toolkit.lint import FACT_WORDS, fact_words, lint


@pytest.mark.parametrize("region", regions())
def test_every_required_fact_traces_to_its_article(region):
    """A fact the engine may ask for is named by the article the rule cites (or by a reading the rule cites)."""
    policy = load_policy(region)
    assert fact_words(policy.folder), f"{region} keeps the words of each fact in {FACT_WORDS.as_posix()}"
    problems = [str(w) for w in lint(policy).warnings if w.code == "fact_unexplained"]
    assert not problems, "\n".join(problems)


def test_a_fact_its_article_does_not_name_is_reported(tmp_path):
    """A rule asking for a fact whose words are not in its article is caught (the check can fail)."""
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree(Path(__file__).parent / "policies" / "tiny", folder)
    (folder / FACT_WORDS).write_text(
        "student.stage: [义务教育]\nabsence.class_hours_missed: [缺课累计]\nabsence.still_unable_to_attend: [仍不能上学]\n"
        "absence.year_total_class_hours: [本学年度总课时]\nstudent.grade: [毕业学年]\n", encoding="utf-8")
    warnings = [w for w in lint(load_policy(path=folder)).warnings if w.code == "fact_unexplained"]
    assert {w.subject for w in warnings} == {"suspension.compulsory_hours:student.stage",
                                            "suspension.senior_third:student.stage"}
