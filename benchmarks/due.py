"""How fast `xueji due` lists a file of students: ``python benchmarks/due.py [--students N]``.

The students are the example file's six (examples/students-due.jsonl) repeated with
fresh ids, so every kind of item occurs (deadlines, working days, overdue, windows, one
bad row in six); the range is a quarter (2025-01-01 to 2025-03-31), every question of
Nanchang. Reported: students a second and items a second, reading the file included.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xueji_rules as xr  # noqa: E402
from xueji_rules.due import _students, due  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=12_000)
    args = ap.parse_args()
    base = [json.loads(line) for line in (ROOT / "examples" / "students-due.jsonl").read_text(encoding="utf-8").splitlines()]
    policy = xr.load_policy("nanchang")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "students.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for n in range(args.students):
                fh.write(json.dumps({**base[n % len(base)], "id": f"S{n:08d}"}, ensure_ascii=False) + "\n")
        t0 = time.perf_counter()
        result = due(policy, _students(path), "2025-01-01", "2025-03-31")
        elapsed = time.perf_counter() - t0
    print(f"nanchang, every question, 2025-01-01 to 2025-03-31: {result.students:,} students, "
          f"{len(result.items):,} items, {len(result.errors):,} errors in {elapsed:.2f} s: "
          f"{result.students / elapsed:,.0f} students/s ({elapsed / result.students * 1e6:.0f} µs a student)")


if __name__ == "__main__":
    main()
