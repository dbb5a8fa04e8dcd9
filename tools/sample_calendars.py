"""Write the bundled SAMPLE school calendars (policies/*/calendar.yaml) by one named pattern.

    python tools/sample_calendars.py           # rewrite the files
    python tools/sample_calendars.py --check   # exit 1 if a file differs from what it would write

The bundled calendars are samples: a registry office gives each school's own
calendar at ask time (``calendar=``, ``xueji ask --calendar FILE``, ``calendar:`` in
case files; see docs/time.md). The sample dates follow the pattern below, so that
any date in them can be checked by hand, and reach back to the school year
*before* the one in which the region's regulation takes effect: on the
regulation's first day, "the semester end nearest to today" may be the previous
school year's, and the calendar must hold it.

The pattern (``PATTERN``), the same for every region:

1. the first semester starts on 1 September;
2. the first semester ends on the Saturday on or before the 10th day before the
   Spring Festival (春节, the first day of the lunar year); the winter holiday
   starts the next day, a Sunday;
3. the second semester starts on the first Monday after the Lantern Festival
   (元宵节, the 15th day of the first lunar month, 14 days after the Spring Festival);
4. the second semester ends on the first Saturday of July; the summer holiday
   starts the next day, a Sunday, and ends on 31 August.

The Spring Festival dates are a table (``SPRING_FESTIVAL``), checked by
tests/test_sample_calendars.py against the official holiday data of the
chinesecalendar package for the years it covers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: 春节 (the first day of the lunar year), by Gregorian year
SPRING_FESTIVAL = {
    2007: dt.date(2007, 2, 18), 2008: dt.date(2008, 2, 7), 2009: dt.date(2009, 1, 26),
    2010: dt.date(2010, 2, 14), 2011: dt.date(2011, 2, 3), 2012: dt.date(2012, 1, 23),
    2013: dt.date(2013, 2, 10), 2014: dt.date(2014, 1, 31), 2015: dt.date(2015, 2, 19),
    2016: dt.date(2016, 2, 8), 2017: dt.date(2017, 1, 28), 2018: dt.date(2018, 2, 16),
    2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25), 2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
}

PATTERN_NAME = "春节元宵样例规则"
PATTERN = (
    f"{PATTERN_NAME}：第一学期自9月1日起，至春节前第10日当日或之前最近的星期六止；寒假自次日（星期日）起；"
    "第二学期自元宵节（春节后第14日）之后的第一个星期一起，至7月的第一个星期六止；暑假自次日（星期日）起，至8月31日止。"
)
PATTERN_EN = (
    "Spring Festival-Lantern sample pattern: the first semester runs from 1 September to the Saturday on or before "
    "the 10th day before the Spring Festival; the winter holiday from the next day (a Sunday); the second semester "
    "from the first Monday after the Lantern Festival (14 days after the Spring Festival) to the first Saturday of "
    "July; the summer holiday from the next day (a Sunday) to 31 August."
)

#: the last school year written (the year it starts in)
LAST_YEAR = 2027

#: region folder -> (title, the first school year written, why that year)
REGIONS = {
    "jiangsu": ("泰州市中小学校历（样例）", 2007, "江苏规定推定 2008-09-01 起施行"),
    "shandong": ("山东省中小学校历（样例，金乡县沿用）", 2006,
                 "山东规定推定 2007-09-01 起施行；金乡县通知 2008-03-21 起施行，沿用本校历"),
    "nanchang": ("南昌市中小学校历（样例）", 2021, "南昌办法取 2023-03-02 起施行"),
}

NOTE = ("样例校历（非官方），日期按上面的规则生成，不是教育局公布的校历。各校的正式校历在提问时给出"
        "（calendar= 参数、xueji ask --calendar 文件、测试用例的 calendar: 键），优先于本样例。")


def saturday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - 5) % 7)


def monday_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=7 - day.weekday())


def first_saturday_of_july(year: int) -> dt.date:
    first = dt.date(year, 7, 1)
    return first + dt.timedelta(days=(5 - first.weekday()) % 7)


def school_year(y: int) -> dict:
    """The four periods of school year y-(y+1) by the pattern: {name: (start, end)}."""
    spring = SPRING_FESTIVAL[y + 1]
    starts = [
        dt.date(y, 9, 1),
        saturday_on_or_before(spring - dt.timedelta(days=10)) + dt.timedelta(days=1),
        monday_after(spring + dt.timedelta(days=14)),
        first_saturday_of_july(y + 1) + dt.timedelta(days=1),
    ]
    ends = [s - dt.timedelta(days=1) for s in starts[1:]] + [dt.date(y + 1, 8, 31)]
    names = ("first_semester", "winter_holiday", "second_semester", "summer_holiday")
    return {n: (s, e) for n, s, e in zip(names, starts, ends)}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def render(region: str) -> str:
    title, first, why = REGIONS[region]
    lines = [
        f"# {title} —— 样例（SAMPLE），由 tools/sample_calendars.py 生成，请勿手改（改规则后重新运行）。",
        "#",
        "# A SAMPLE school calendar, not the bureau's official one, generated by tools/sample_calendars.py",
        "# (edit the pattern there and run it again; do not edit the dates by hand). A school's own calendar",
        "# is given at ask time (calendar=, `xueji ask --calendar FILE`, `calendar:` in case files) and takes",
        "# precedence over this sample (docs/time.md). Periods tile each school year from 1 September to",
        "# 31 August: first semester, winter holiday, second semester, summer holiday.",
        "#",
        f"# 起止：自 {first}-{first + 1} 学年（{why}；施行首日「最近的学期末」在上一学年）至 "
        f"{LAST_YEAR}-{LAST_YEAR + 1} 学年。",
        f"# From {first}-{first + 1}, the school year before the one in which the regulation takes effect (on its",
        "# first day the nearest semester end is the previous school year's), to "
        f"{LAST_YEAR}-{LAST_YEAR + 1}.",
        "calendar:",
        f"  title: {_q(title)}",
        "  sample: true",
        "  pattern:",
        f"    zh: {_q(PATTERN)}",
        f"    en: {_q(PATTERN_EN)}",
        f"  note: {_q(NOTE)}",
        "  school_years:",
    ]
    for y in range(first, LAST_YEAR + 1):
        lines.append(f'    "{y}-{y + 1}":')
        for name, (start, end) in school_year(y).items():
            lines.append(f"      {name}: {{start: {start.isoformat()}, end: {end.isoformat()}}}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the files are as generated")
    args = ap.parse_args(argv)
    stale = []
    for region in REGIONS:
        path = ROOT / "policies" / region / "calendar.yaml"
        text = render(region)
        if args.check:
            if not path.is_file() or path.read_text("utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, "utf-8")
    for path in stale:
        print(f"{path} is not as tools/sample_calendars.py writes it", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
