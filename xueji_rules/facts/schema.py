"""Derive the facts JSON Schema and ``docs/facts.md`` from the vocabulary, so neither drifts.

``python -m xueji_rules.facts.schema`` rewrites ``xueji_rules/schema/facts.schema.json``
and (in a checkout) ``docs/facts.md``; ``--check`` only reports whether they are
current. The tests compare both files with :func:`facts_schema` and
:func:`facts_markdown`, so editing the vocabulary without regenerating fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import attrs

from ..conditions.parse import MAX_DECIMAL_DIGITS, MAX_INTEGER_DIGITS
from .input import MAX_DATE_CHARS, MAX_FACTS_CHARS, MAX_LIST_ITEMS, MAX_TEXT_CHARS
from .privacy import ENV
from .vocabulary import CERTIFICATES, FACTS, UNIT_RANGES, Facts, FactSpec, Place

SCHEMA_ID = "https://xueji-rules.example/schema/facts.schema.json"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "facts.schema.json"
DOCS_FILE = Path(__file__).resolve().parent.parent.parent / "docs" / "facts.md"

#: Numbers may be written as text when JSON cannot hold them exactly: "1/3", "5%", "三分之一"; as long
#: as the reader reads (conditions.parse.read_number): MAX_INTEGER_DIGITS digits, MAX_DECIMAL_DIGITS decimals.
NUMBER_TEXT = (r"^(\d{1,%d}(\.\d{1,%d})?%%?|\d{1,%d}/[1-9]\d{0,%d}|[一二三四五六七八九十百]+分之[一二三四五六七八九十百]+)$"
               % (MAX_INTEGER_DIGITS, MAX_DECIMAL_DIGITS, MAX_INTEGER_DIGITS, MAX_INTEGER_DIGITS - 1))
DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"

KIND_NAMES = {
    "int": ("整数", "whole number"),
    "number": ("数（可为分数）", "number (exact; fractions allowed)"),
    "bool": ("是/否", "true / false"),
    "text": ("文字", "text"),
    "date": ("日期", "date YYYY-MM-DD"),
    "enum": ("选项之一", "one of the codes"),
    "enum_list": ("选项列表", "list of codes"),
    "division": ("行政区划代码", "GB/T 2260 division code (or a name resolved to one)"),
}
#: A place may be given as one code: 6 digits (GB/T 2260) or 9 (a township of the statistics bureau).
PLACE_CODE_TEXT = r"^(\d{6}|\d{9})$"


def _describe(zh: str, en: str, unit: str | None = None) -> str:
    return f"{zh} — {en}" + (f" (unit 单位: {unit})" if unit else "")


def _choices_text(choices: dict) -> str:
    return "; ".join(f"{code} = {zh}" for code, zh in choices.items())


def _leaf(spec: FactSpec) -> dict:
    out: dict = {"title": spec.zh, "description": _describe(spec.zh, spec.en, spec.unit)}
    if spec.kind == "int":
        out.update({"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum})
    elif spec.kind == "number":
        # text only for exact values JSON has no literal for; the range binds numbers (the reader checks text too)
        out.update({"type": ["number", "string"], "minimum": spec.minimum, "maximum": spec.maximum,
                    "pattern": NUMBER_TEXT})
    elif spec.kind == "bool":
        out["type"] = "boolean"
    elif spec.kind == "text":
        out.update({"type": "string", "maxLength": MAX_TEXT_CHARS})
    elif spec.kind == "division":
        out["type"] = "string"
        out["description"] += ". A 6-digit code, or a name the reader resolves to one"
    elif spec.kind == "date":
        out.update({"type": "string", "format": "date", "pattern": DATE_TEXT})
    elif spec.kind == "enum":
        out["enum"] = list(spec.choices or {})
        out["description"] += ". Codes 代码: " + _choices_text(spec.choices or {})
    elif spec.kind == "enum_list":
        out.update({"type": "array", "maxItems": MAX_LIST_ITEMS, "items": {"enum": list(spec.choices or {})}})
        out["description"] += ". Codes 代码: " + _choices_text(spec.choices or {})
    else:  # pragma: no cover - the vocabulary declares only the kinds above
        raise AssertionError(spec.kind)
    if spec.unit:
        out["x-unit"] = spec.unit
    return out


def facts_schema() -> dict:
    """The JSON Schema (2020-12) of a facts document, derived from ``vocabulary.Facts``.

    Every group is an object that allows only the vocabulary's keys; every leaf has
    its type (numbers may also be exact text such as ``"1/3"``), its allowed codes,
    the date form, and a description with the Chinese and English meaning and unit.
    The reader (:func:`xueji_rules.read_facts`) accepts everything this schema
    accepts, and a little more: Chinese names for codes, date-times, numeric text.
    """
    defs: dict = {}
    root = _object(Facts, "", defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "xueji_rules facts document",
        "description": (
            "Everything known about one student for one question. Omit what is not known: "
            "absent facts make an answer undetermined and are listed, never guessed. "
            "Dates are YYYY-MM-DD in Asia/Shanghai. Generated from xueji_rules/facts/vocabulary.py; "
            "see docs/facts.md."
        ),
        **{k: v for k, v in root.items() if k != "description"},
        "$defs": dict(sorted(defs.items())),
    }


def _object(cls: type, prefix: str, defs: dict) -> dict:
    """The object schema of one vocabulary class; each class is described once, in $defs."""
    properties: dict = {}
    for a in attrs.fields(cls):
        meta = a.metadata
        if meta["kind"] == "group":
            sub = meta["group"]
            name = sub.__name__
            if name not in defs:
                defs[name] = {}
                defs[name] = _object(sub, f"{prefix}{a.name}.", defs)
            properties[a.name] = {"$ref": f"#/$defs/{name}", "description": _describe(meta["zh"], meta["en"])}
            if sub is Place:
                properties[a.name] = {
                    "description": _describe(meta["zh"], meta["en"]) + ". A division code, or the levels of the place",
                    "anyOf": [{"type": "string", "pattern": PLACE_CODE_TEXT}, {"$ref": f"#/$defs/{name}"}],
                }
        else:
            properties[a.name] = _leaf(FACTS[f"{prefix}{a.name}"])
    return {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "additionalProperties": False,
        "properties": properties,
    }


def schema_text() -> str:
    """The schema as the committed file holds it: indented JSON, Chinese unescaped, final newline."""
    return json.dumps(facts_schema(), ensure_ascii=False, indent=2) + "\n"


# -- docs/facts.md ----------------------------------------------------------------

_INTRO = """\
# The facts vocabulary 事实词汇

<!-- Generated by `python -m xueji_rules.facts.schema` from xueji_rules/facts/vocabulary.py.
     Do not edit by hand: change the vocabulary and regenerate (a test checks this file). -->

Every question is answered from **facts** about one student, named by dotted paths
from this one vocabulary, shared by every region: `student.stage`,
`absence.class_hours_missed`, `request.transfer.reason`. Policies use the same paths
in their conditions (`docs/policy-language.md`). The JSON Schema of a facts document is
`xueji_rules/schema/facts.schema.json`.

所有问题都依据关于某一学生的**事实**来回答。事实用本词汇中的点分路径命名（如
`student.stage`、`absence.class_hours_missed`），各地区共用同一套词汇；政策文件的条件中也使用这些路径。

## How to give facts 如何提供事实

The same facts may be given in four forms; all four give the same checked values.
以下四种形式等价，检查后得到相同的事实值。

* a nested **dict** in Python:
  `xr.may_suspend("jiangsu", {"student": {"stage": "junior", "grade": 8}, "absence": {"class_hours_missed": 230}}, on="2025-03-03")`
* a **YAML** file (`xueji ask jiangsu suspension --facts facts.yaml`), errors pointing at its line and column:

  ```yaml
  student:
    stage: 初中          # a code (junior) or its Chinese name
    grade: 8
  absence:
    reason: illness
    class_hours_missed: 230
    still_unable_to_attend: true
    start_date: 2025-01-06
  ```
* a **JSON** document of the same shape (JSON is YAML, so the same reader takes it);
* an **attrs** object: `xr.Facts(student=Student(stage="junior", grade=8))`, with the
  classes of `xueji_rules.facts.vocabulary` (one class per group below).

### Missing facts make an answer undetermined 缺少事实则无法判断

Leave out what is not known — do not write a guess. A rule that needs a missing fact is
**unknown**; if that decides the answer, the outcome is `undetermined` and the Decision's
`missing_facts` lists exactly the paths to find out. A fact that does not matter for the
answer is never asked for. (`null` is the same as leaving the key out.)

未知的事实请不要填写，更不要猜测。规则所需事实缺失时该规则为“无法判断”；若因此无法得出结论，
结果为 `undetermined`，并在 `missing_facts` 中列出需要补充的事实路径。

### Unknown keys and wrong kinds are errors 未知键名与类型错误

A key that is not in the vocabulary is an error (`unknown_fact`) with a suggestion:
`absence.class_hour_missed` → *did you mean 'class_hours_missed'?* — a misspelt fact is
never silently ignored. A value of the wrong kind is an error (`facts_type`) naming its
path: text where a number is needed, a number for true/false, a code that is not allowed.
Numbers are exact: `230`, `0.05`, `"5%"`, `"1/3"`, `"三分之一"` (never rounded floats).
Codes may be written by their Chinese name (`"初中"` for `junior`).

词汇中没有的键名会报错（`unknown_fact`），并提示最接近的正确键名；拼错的事实绝不会被悄悄忽略。
类型不符也会报错（`facts_type`）并指出路径。数值按精确值处理；选项可写代码，也可写中文名称。

### Dates 日期

Dates are written `YYYY-MM-DD` (`2025-03-01`) and mean that day in **Asia/Shanghai**.
`2025/03/01` and impossible days such as `2025-02-30` are errors. A date-time without a
zone (`2025-03-01T20:00:00`, or a naive Python `datetime`) is taken to be Asia/Shanghai
time; a date-time with a zone is converted first, so `2025-03-01T20:00:00Z` is
**2025-03-02** in Shanghai. The date a question is asked for (`on=`, `--on`) follows the
same rules; without it, today in Asia/Shanghai is used.

日期写作 `YYYY-MM-DD`，指北京时间（Asia/Shanghai）的当日。`2025/03/01`、`2025-02-30` 均为错误。
不带时区的日期时间按北京时间理解；带时区的先换算为北京时间（`2025-03-01T20:00:00Z` 即北京时间 2025-03-02）。

### Kinds 类型

| kind | 中文 | in JSON / YAML |
| --- | --- | --- |
| `int` | 整数 | a whole number within its range: `8` |
| `number` | 数（精确） | a number within its range, or exact text: `230`, `0.05`, `"1/3"`, `"5%"`, `"三分之一"` |
| `bool` | 是/否 | `true` or `false` |
| `text` | 文字 | text of at most MAX_TEXT_CHARS characters, without control characters |
| `date` | 日期 | `"2025-03-01"` (Asia/Shanghai) |
| `enum` | 选项之一 | one code (or its Chinese name) from the column *allowed values* |
| `enum_list` | 选项列表 | a list of such codes: `[hospital_diagnosis, inpatient_record]` |
| `division` | 行政区划代码 | a GB/T 2260 code `"320106"`, or a name resolved to one (see *Places*) |

### Ranges and limits 取值范围与限制

Every number has a range, given in the column *range* below and in the JSON Schema
(`minimum`, `maximum`); a number outside it is an error (`facts_range`) that names the
range: `student.grade: -8` or `40`, negative hours or credits, `10**400`. A fact
declares its own range, or takes its unit's:

UNIT_RANGES_TABLE

每个数值都有取值范围（见下表「range」列及 JSON Schema 的 `minimum`、`maximum`）；超出范围的数值报
`facts_range` 错误，并指出范围。

How numbers are read, whatever their form, so that no value costs more than a few
digits to read and none is silently changed:

* whole numbers (`int`) are compared with the range as they are, however large;
* text (`"230"`, `"1/3"`, `"5%"`, `"三分之一"`), floats and `Decimal`s may have at most
  MAX_INTEGER_DIGITS digits before the point and MAX_DECIMAL_DIGITS after it (`0.50` counts as `0.5`), and no
  exponent: `"1e999999999"` is refused at once, never computed;
* `NaN` and infinities (`float("inf")`, `Decimal("Infinity")`, `Decimal("NaN")`) are
  `facts_type` errors; a `Fraction`'s denominator has at most MAX_INTEGER_DIGITS digits.

Other limits: a text fact holds at most MAX_TEXT_CHARS characters and no control characters
or lone surrogates; a list of codes at most MAX_LIST_ITEMS items; a date is read from at most
MAX_DATE_CHARS characters; a place's level (code or name) at most 64 characters; a facts file
at most MAX_FACTS_CHARS characters (with limits on depth, values and string length, `yaml_too_big`).

### Errors never show the values 错误信息不显示事实值

A student's facts are personal data (个人信息保护法). An error about a fact names its
path, what was expected and the kind and size of what was given — never the value:

```
student.grade: expected a whole number from 1 to 12 年级, got text of 23 characters
student.grade: expected a whole number from 1 to 12 年级, got a number above the maximum
```

The same holds for places (neither the code nor the name given is quoted) and for
dates. Suggestions for misspelt keys and codes (*did you mean 'junior'?*) and the
allowed codes are shown, as they come from the vocabulary. To see the values while
debugging your own file, set the environment variable `ENV_NAME=1` (for the `xueji`
command as for scripts), or in Python:

```python
with xr.show_values():       # this thread or task only; xr.show_values(False) hides them again
    xr.may_suspend("jiangsu", facts, on="2025-03-03")
```

Both are read when the error is made. A Decision keeps the facts it was given (that
is its purpose): treat it, its JSON and its text as personal data too.

事实属于个人信息。错误信息只给出路径、应有的类型与所给值的类型和长度，绝不显示值本身；调试自己的文件时，
可设置环境变量 `ENV_NAME=1`，或在代码中使用 `xr.show_values()` 显示值。

### Places 地点

A place (`student.school.place`, `student.hukou`, `request.transfer.family_moved_to` …) is
read as **GB/T 2260 administrative division codes**: `province`, `city` and `county` hold
6-digit codes, `township` a 9-digit township code of the statistics bureau (统计用区划代码)
or the township's name, `school_district` an id. Give it as one code, or as its levels,
each a code or a name; the coarser levels are filled in from the finest:

```yaml
place: "320106"                                      # 江苏省南京市鼓楼区
place: "320106001"                                   # a township (街道) of it
place: {province: 江苏省, city: 南京市, county: 鼓楼区}  # names, resolved to 320000/320100/320106
place: {county: "321202", township: 城东街道, school_district: "3"}
```

A name must pick out one division in force: `{county: 鼓楼区}` alone matches 南京's 320106
and 徐州's 320302 (and others) and is an error (`place_ambiguous`); give the city too, or
the code. An unknown code or name is `place_unknown`, a code no longer in force
`place_retired`, levels that disagree `place_mismatch`, a code of the wrong level
(`city: "320106"`) `place_level`, and a township name or school district without its
county `place_incomplete`. Each error names the path and the level, never the code or the name
given (unless values are shown, when it quotes the codes, never a place name).
A municipality (北京、天津、上海、重庆) is its own city; a county-level unit directly under
a province (仙桃 429004, 济源 419001 …) is its own city; a city without counties (东莞
441900) is its own county. The table, its sources and date: `xueji_rules/data/divisions.tsv`.

地点按 GB/T 2260 行政区划代码读取：可写一个代码，也可按级写代码或名称（名称解析为代码）。名称须唯一确定一个现行区划（单写「鼓楼区」不唯一，是错误）；
未知、已撤销的代码，以及各级不一致，都是事实错误，错误信息只给出路径和级别，不显示所给代码或名称。直辖市即为「市」；省直辖县级行政单位自为一市；不设区的地级市自为一县。

Certificates a question may choose (`Decision.certificate`) 证书代码: CERTIFICATES_LINE.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _sections() -> list[tuple[str, str, str, type]]:
    """(path, zh, en, class) of each table: top-level groups, and each kind of request."""
    out = []
    for a in attrs.fields(Facts):
        meta = a.metadata
        if a.name == "request":
            for r in attrs.fields(meta["group"]):
                out.append((f"request.{r.name}", f"{meta['zh']}：{r.metadata['zh']}", r.metadata["en"], r.metadata["group"]))
        else:
            out.append((a.name, meta["zh"], meta["en"], meta["group"]))
    return out


def facts_markdown() -> str:
    """The text of ``docs/facts.md``: an introduction, then one table per group of facts."""
    units = "\n".join(["| unit 单位 | minimum | maximum |", "| --- | ---: | ---: |"]
                      + [f"| {unit} | {low} | {high} |" for unit, (low, high) in UNIT_RANGES.items()])
    intro = _INTRO.replace("CERTIFICATES_LINE", ", ".join(f"`{c}` {zh}" for c, zh in CERTIFICATES.items()))
    for name, value in (("UNIT_RANGES_TABLE", units), ("MAX_INTEGER_DIGITS", MAX_INTEGER_DIGITS),
                        ("MAX_DECIMAL_DIGITS", MAX_DECIMAL_DIGITS), ("MAX_TEXT_CHARS", MAX_TEXT_CHARS),
                        ("MAX_LIST_ITEMS", MAX_LIST_ITEMS), ("MAX_DATE_CHARS", MAX_DATE_CHARS),
                        ("MAX_FACTS_CHARS", f"{MAX_FACTS_CHARS:,}"), ("ENV_NAME", ENV)):
        intro = intro.replace(name, str(value))
    lines = [intro]
    lines.append("## The facts 事实一览\n")
    for path, zh, en, cls in _sections():
        lines.append(f"### `{path}` — {zh} / {en}\n")
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"{doc}\n")
        lines.append("| path | kind | unit | range | 中文 | English | allowed values 可选值 |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- |")
        for spec in FACTS.values():
            if not spec.path.startswith(path + "."):
                continue
            allowed = "<br>".join(f"`{c}` {_cell(z)}" for c, z in (spec.choices or {}).items())
            span = f"{spec.minimum}–{spec.maximum}" if spec.minimum is not None else ""
            lines.append(
                f"| `{spec.path}` | {spec.kind} | {spec.unit or ''} | {span} | {_cell(spec.zh)} | {_cell(spec.en)} | {allowed} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# -- command line -------------------------------------------------------------------


def main(argv: list[str] | None = None, stdout=None) -> int:
    """Write (or with ``--check``, compare) the schema and, in a checkout, docs/facts.md."""
    stdout = stdout or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m xueji_rules.facts.schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is out of date")
    parser.add_argument("--docs", type=Path, default=DOCS_FILE, help="where docs/facts.md is (default: the checkout's)")
    args = parser.parse_args(argv)
    targets = [(SCHEMA_FILE, schema_text())]
    if args.docs.parent.is_dir():
        targets.append((args.docs, facts_markdown()))
    stale = 0
    for path, text in targets:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            print(f"up to date: {path}", file=stdout)
        elif args.check:
            print(f"out of date: {path} (run python -m xueji_rules.facts.schema)", file=stdout)
            stale += 1
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}", file=stdout)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
