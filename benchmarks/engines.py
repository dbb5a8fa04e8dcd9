"""Choosing the column engine: one rule's three-valued condition in Polars expressions and in Arrow compute.

    python benchmarks/engines.py [--rows 1000000]     # needs polars and pyarrow

The condition is Jiangsu's compulsory class-hours rule as the column backend compiles it:
``compulsory 且 reason 属于 [illness, infectious_disease, force_majeure] 且 非 extension``
for ``when`` and ``hours 超过 210 且 still_unable 且 (非 given(spell) 或 spell)`` for
``require``, Kleene logic on nullable columns, then the status (0 not applicable, 1 held,
2 failed, 3 unknown). Both engines compute the same statuses (checked); the best of five
runs is printed, on the threads each engine uses by default.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    n = ap.parse_args(argv).rows
    import numpy as np
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(7)

    def nullable(values, share=0.2):
        return pa.array(values, mask=rng.random(n) < share)

    table = pa.table({
        "stage": nullable(rng.choice(np.array(["primary", "junior", "senior"]), n)),
        "reason": nullable(rng.choice(np.array(["illness", "infectious_disease", "force_majeure", "going_abroad"]), n)),
        "extension": nullable(rng.random(n) < 0.3),
        "hours": nullable(rng.integers(0, 600, n)),
        "unable": nullable(rng.random(n) < 0.8),
        "spell": nullable(rng.random(n) < 0.6, 0.6),
    })
    frame = pl.from_arrow(table)

    def polars_status():
        w = (pl.col("stage").is_in(["primary", "junior"])
             & pl.col("reason").is_in(["illness", "infectious_disease", "force_majeure"])
             & ~(pl.col("extension").is_not_null() & pl.col("extension")))
        r = (pl.col("hours") > 210) & pl.col("unable") & (~pl.col("spell").is_not_null() | pl.col("spell"))
        rt, rf = r.eq(True).fill_null(False), r.eq(False).fill_null(False)
        wt, wf = w.eq(True).fill_null(False), w.eq(False).fill_null(False)
        return frame.select(pl.when(wf).then(0).when(rt).then(1).when(rf & wt).then(2).otherwise(3)
                            .cast(pl.Int8).alias("s")).to_series()

    def arrow_status():
        t = table

        def isin(col, values):  # null stays null (unknown), as the row kernel's None
            return pc.if_else(pc.is_null(t[col]), pa.scalar(None, pa.bool_()), pc.is_in(t[col], pa.array(values)))

        ext = pc.and_kleene(pc.is_valid(t["extension"]), t["extension"])
        w = pc.and_kleene(pc.and_kleene(isin("stage", ["primary", "junior"]),
                                        isin("reason", ["illness", "infectious_disease", "force_majeure"])),
                          pc.invert(ext))
        r = pc.and_kleene(pc.and_kleene(pc.greater(t["hours"], 210), t["unable"]),
                          pc.or_kleene(pc.invert(pc.is_valid(t["spell"])), t["spell"]))
        rt, rf = pc.fill_null(pc.equal(r, True), False), pc.fill_null(pc.equal(r, False), False)
        wt, wf = pc.fill_null(pc.equal(w, True), False), pc.fill_null(pc.equal(w, False), False)
        s = pc.case_when(pc.make_struct(wf, rt, pc.and_(rf, wt)),
                         pa.scalar(0, pa.int8()), pa.scalar(1, pa.int8()), pa.scalar(2, pa.int8()), pa.scalar(3, pa.int8()))
        return s

    a, b = polars_status().to_list(), arrow_status().to_pylist()
    if a != b:
        print("the engines disagree", file=sys.stderr)
        return 1

    def best(fn):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    tp, ta = best(polars_status), best(arrow_status)
    print(f"One rule's status over {n:,} rows with nulls (best of 5; pyarrow {pa.__version__}, polars {pl.__version__})\n")
    print("| engine | ms | statuses a second |")
    print("| --- | ---: | ---: |")
    print(f"| Polars expressions | {tp * 1e3:.1f} | {n / tp:,.0f} |")
    print(f"| Arrow compute | {ta * 1e3:.1f} | {n / ta:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
