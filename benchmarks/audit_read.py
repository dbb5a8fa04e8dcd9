"""How fast, and in how much memory, a students file is read in chunks: Polars against pyarrow.

    python benchmarks/audit_read.py                  # 1,000,000 generated students; a Markdown table
    python benchmarks/audit_read.py --rows 200000    # quicker

For each format (CSV, JSON Lines, Parquet) the same generated file (scripts/make_students.py,
Jiangsu suspension, seed 1) is read in chunks of 50,000 rows, every column as text, by:

- polars: ``scan_csv`` / ``scan_ndjson`` / ``scan_parquet`` then ``collect_batches(chunk_size=…)``
  (what ``xueji audit`` uses for CSV and Parquet, xueji_rules/audit/read.py);
- for JSON Lines also ``xueji_rules.audit.read.JsonLines`` (what ``xueji audit`` uses: the lines
  of a chunk parsed together by Polars, an unreadable line its row's error);
- pyarrow: ``pyarrow.csv.open_csv`` (streaming), ``pyarrow.dataset`` with its JSON format, and
  ``ParquetFile.iter_batches``.

Each reader runs in its own process, so that its peak resident memory (ru_maxrss) is its own.
Only reading is timed (the answers are ``xueji audit``'s, measured in docs/scale.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50_000

READER = r'''
import json, resource, sys, time
path, fmt, how, chunk = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t = time.perf_counter()
rows = 0
if how == "xueji":
    from xueji_rules.audit.read import JsonLines
    for frame in JsonLines(path).frames(chunk):
        rows += frame.height
elif how == "polars":
    import polars as pl
    if fmt == "csv":
        lf = pl.scan_csv(path, infer_schema=False)
    elif fmt == "jsonl":
        lf = pl.scan_ndjson(path, infer_schema_length=10_000)
    else:
        lf = pl.scan_parquet(path)
    for batch in lf.collect_batches(chunk_size=chunk):
        rows += batch.height
else:
    import pyarrow as pa
    if fmt == "csv":
        import pyarrow.csv as pc
        names = open(path, encoding="utf-8").readline().rstrip("\n").split(",")
        reader = pc.open_csv(path, read_options=pc.ReadOptions(block_size=8 << 20),
                             convert_options=pc.ConvertOptions(column_types={n: pa.string() for n in names}))
        for batch in reader:
            rows += batch.num_rows
    elif fmt == "jsonl":
        import pyarrow.dataset as ds
        for batch in ds.dataset(path, format="json").to_batches(batch_size=chunk):
            rows += batch.num_rows
    else:
        import pyarrow.parquet as pq
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk):
            rows += batch.num_rows
seconds = time.perf_counter() - t
print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{a.rows:,} students (Jiangsu suspension, 15 columns), chunks of {CHUNK:,}\n")
        print("| format | file size | reader | rows/s | peak RSS |")
        print("|---|---:|---|---:|---:|")
        for fmt in ("csv", "jsonl", "parquet"):
            path = Path(tmp) / f"students.{fmt}"
            subprocess.run([sys.executable, str(ROOT / "scripts" / "make_students.py"), "jiangsu", "suspension",
                            str(a.rows), str(path)], check=True)
            size = path.stat().st_size / 1e6
            for how in ("polars", "pyarrow") + (("xueji",) if fmt == "jsonl" else ()):
                done = subprocess.run([sys.executable, "-c", READER, str(path), fmt, how, str(CHUNK)],
                                      capture_output=True, text=True, cwd=ROOT)
                if done.returncode:
                    print(f"| {fmt} | {size:,.0f} MB | {how} | failed: {done.stderr.strip().splitlines()[-1]} | |")
                    continue
                r = json.loads(done.stdout)
                assert r["rows"] == a.rows, r
                print(f"| {fmt} | {size:,.0f} MB | {how} | {r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:,.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
