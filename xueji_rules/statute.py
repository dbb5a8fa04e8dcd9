"""The statute's own comparison words, and what each includes.

Civil Code art. 1259: 以上、以下、以内、届满 include the number; 不满、超过、以外
exclude it. A policy writes the word the regulation uses, and the edge follows
from this table, never from whoever writes the YAML. Words the Code does not
list (达到, 至少, 不超过, 多于 …) are read by their ordinary meaning, written here
so that staff can see it.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class ComparisonWord:
    word: str
    operator: str  # one of > >= < <= == !=
    includes_number: bool | None
    basis: str


_ART_1259 = "《民法典》第一千二百五十九条"

WORDS: dict[str, ComparisonWord] = {
    w.word: w
    for w in (
        ComparisonWord("超过", ">", False, _ART_1259 + "：超过不含本数"),
        ComparisonWord("不满", "<", False, _ART_1259 + "：不满不含本数"),
        ComparisonWord("以上", ">=", True, _ART_1259 + "：以上包括本数"),
        ComparisonWord("以下", "<=", True, _ART_1259 + "：以下包括本数"),
        ComparisonWord("以内", "<=", True, _ART_1259 + "：以内包括本数"),
        ComparisonWord("满", ">=", True, "届满、年满：达到即满，包括本数"),
        ComparisonWord("不超过", "<=", True, "「不超过」即「超过」的否定，包括本数"),
        ComparisonWord("达到", ">=", True, "达到：等于或高于"),
        ComparisonWord("未达到", "<", False, "未达到：低于"),
        ComparisonWord("达不到", "<", False, "达不到：低于"),
        ComparisonWord("至少", ">=", True, "至少：等于或高于"),
        ComparisonWord("至多", "<=", True, "至多：等于或低于"),
        ComparisonWord("不少于", ">=", True, "不少于：等于或高于"),
        ComparisonWord("不多于", "<=", True, "不多于：等于或低于"),
        ComparisonWord("多于", ">", False, "多于：高于"),
        ComparisonWord("少于", "<", False, "少于：低于"),
        ComparisonWord("是", "==", None, "等于"),
        ComparisonWord("不是", "!=", None, "不等于"),
        ComparisonWord("早于", "<", False, "早于：在该日之前，不含当日"),
        ComparisonWord("晚于", ">", False, "晚于：在该日之后，不含当日"),
        ComparisonWord("不早于", ">=", True, "不早于：当日或之后"),
        ComparisonWord("不晚于", "<=", True, "不晚于：当日或之前"),
    )
}

SYMBOLS = {"==", "!=", "<", "<=", ">", ">="}


def operator_of(word: str) -> str:
    """The Python operator a comparison word or symbol stands for."""
    if word in SYMBOLS:
        return word
    return WORDS[word].operator
