"""The articles of a regulation's text: which there are, and whether each is encoded or left out.

A policy that declares ``regulation.article_heading`` (a regular expression for an
article's heading at the start of a line, and ``part_heading`` where a part restarts the
numbering) promises that every article of its source is encoded by a rule (cited in
``articles:``) or listed under ``omitted:`` with a kind and a reason. An article counts as
encoded or omitted when an id in either list is the article's id or an item of it
(``第一部分第八条第8项`` is of ``第一部分第八条``).
"""

from __future__ import annotations

import re

import attrs

#: What an omission may say of the article it leaves out.
OMISSION_KINDS = {
    "行政职责": "duties of bureaus, schools or staff",
    "范围与效力": "purpose, basis, scope or effect of the regulation",
    "不涉及学生": "decides nothing about a student",
    "无法判断": "no fact can establish it",
    "待编码": "decides something about a student and is not yet encoded",
}


@attrs.frozen
class Omission:
    """An article (or item) of the source that no rule encodes, and why."""

    article: str
    kind: str
    reason: str
    en: str | None = None
    layer: str | None = None


def headings(source: str, article_heading: str, part_heading: str | None = None) -> list[str]:
    """Ids of the source's articles in text order (``第一部分第十六条`` when parts restart numbering).

    A pattern with a group gives the id by its first group (``([一二三四])、`` → ``二``).
    """
    return [a for a, _ in sections(source, article_heading, part_heading)]


def sections(source: str, article_heading: str, part_heading: str | None = None) -> list[tuple[str, str]]:
    """(id, text) of each article of the source in text order, as :func:`headings` finds them.

    An article's text runs from its heading line to the line before the next heading (of an
    article or a part); a heading seen again continues the article it names.
    """
    article_re = re.compile(article_heading)
    part_re = re.compile(part_heading) if part_heading else None
    prefix, texts, current = "", {}, None
    for line in source.splitlines():
        text = line.strip()
        if part_re is not None:
            m = part_re.match(text)
            if m:
                prefix = m.group(1) if part_re.groups else m.group(0)
                current = None
                continue
        m = article_re.match(text)
        if m:
            current = prefix + (m.group(1) if article_re.groups else m.group(0))
            texts.setdefault(current, [])
        if current is not None and text:
            texts[current].append(text)
    return [(a, "\n".join(lines)) for a, lines in texts.items()]


def belongs(item_id: str, article_id: str) -> bool:
    """Whether ``item_id`` is the article ``article_id`` or one of its items."""
    return item_id == article_id or (item_id.startswith(article_id) and not item_id[len(article_id)].isdigit()
                                     and item_id[len(article_id)] not in "一二三四五六七八九十百零")


def unaccounted(all_ids: list[str], encoded: list[str], omitted: list[str]) -> list[str]:
    """The article ids that neither a cited article nor an omission accounts for, in text order."""
    known = list(encoded) + list(omitted)
    return [a for a in all_ids if not any(belongs(k, a) for k in known)]


def unknown(all_ids: list[str], omitted: list[str]) -> list[str]:
    """Omitted ids that name no article of the source."""
    return [o for o in omitted if not any(belongs(o, a) for a in all_ids)]
