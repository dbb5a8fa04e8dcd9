"""``xueji audit``: answer questions for every student of a file (CSV, JSON Lines, Parquet), in bounded chunks.

    xueji audit REGION QUESTION [QUESTION ...] --students FILE --on DATE [--out FILE]
                [--columns MAP.yaml] [--explain] [--backend rows|columns] [--errors FILE]

Needs the ``audit`` extra (``pip install 'xueji_rules[audit]'``: Polars, pyarrow and rich).
``read.py`` reads and types the file, ``columns.py`` is the column map, ``rows.py`` the row
backend, ``run.py`` the driver and the writers, ``summary.py`` the summary; docs/scale.md
§ "xueji audit" is the user's guide.
"""

from __future__ import annotations

EXIT_OK, EXIT_ROW_ERRORS = 0, 1


def add_parser(sub, common, parser_class):
    """``xueji audit``."""
    import argparse

    p = sub.add_parser(
        "audit", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="answer questions for every student of a file (CSV, JSON Lines, Parquet)",
        description="Answer each QUESTION for every student of the file on DATE, in chunks of bounded memory:\n"
                    "per student and question the outcome, norm and status, the failed rules, the outstanding\n"
                    "approvals, the earliest deadline and the missing facts; a summary on stderr at the end.\n"
                    "Columns are named by fact paths (absence.class_hours_missed), or mapped with --columns.\n"
                    "A row that cannot be answered goes to the error file (row number, question, error code,\n"
                    "fact; never a value) and the run goes on.",
        epilog="examples:\n"
               "  xueji audit jiangsu suspension --students examples/audit/students.csv --on 2025-03-03\n"
               "  xueji audit jiangsu suspension --students examples/audit/students.csv --on 2025-03-03 "
               "--out /tmp/answers.parquet\n"
               "  xueji audit jiangsu suspension graduation --students examples/audit/export.csv "
               "--columns examples/audit/columns.yaml --on 2025-03-03\n"
               "  python scripts/make_students.py jiangsu suspension 1000000 /tmp/students.parquet   # a bigger file\n\n"
               "Lists in a CSV (input or output) are codes joined by ';' (an input cell may also hold a JSON list).\n"
               "Exits 0 when every row was answered, 1 when some rows were in error (see the error file),\n"
               "2 for a usage error (bad arguments, column map, file, region, question or date).\n"
               "Needs the audit extra: pip install 'xueji_rules[audit]'. See docs/scale.md.",
    )
    p.add_argument("region", metavar="REGION", help="region name, e.g. jiangsu (see `xueji regions`)")
    p.add_argument("questions", nargs="+", metavar="QUESTION", help="one or more question ids, e.g. suspension")
    p.add_argument("--students", required=True, metavar="FILE", help="the students: .csv, .jsonl/.ndjson or .parquet")
    p.add_argument("--on", required=True, metavar="DATE", help="the date asked for, YYYY-MM-DD")
    p.add_argument("--out", metavar="FILE", help="answers to .parquet, .csv or .jsonl (default: JSON Lines on stdout)")
    p.add_argument("--columns", metavar="MAP.yaml", help="the file's column names → fact paths (docs/scale.md)")
    p.add_argument("--id-column", metavar="NAME",
                   help="the column identifying a student, copied to the output (default: the map's `id:`, else "
                        "the first of id, student_id, student.id, 学籍号, 学号 found)")
    p.add_argument("--explain", action="store_true", help="add the full Decision JSON of each row (column decision)")
    p.add_argument("--backend", choices=("rows", "columns"), default=None,
                   help="rows: the compiled kernel row by row (default with --engine local); columns: the "
                        "vectorised backend (default with --engine spark or dask)")
    p.add_argument("--engine", choices=("local", "spark", "dask"), default="local",
                   help="local: this process, in chunks (default); spark or dask: the engine reads the file (or a "
                        "folder or glob of them), answers its partitions on its workers and writes --out as a folder "
                        "of part files, rows in error included (docs/scale.md, 'Spark and Dask')")
    p.add_argument("--master", default="local[2]", metavar="URL",
                   help="with --engine spark: the Spark master (default local[2]; spark://host:7077, yarn, k8s://...)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: the Dask scheduler (tcp://host:8786; default: a local cluster of two "
                        "worker processes)")
    p.add_argument("--errors", metavar="FILE",
                   help="the error file (CSV; default: OUT's name with .errors.csv, or xueji-audit.errors.csv "
                        "when writing to stdout, made only if a row is in error)")
    p.add_argument("--calendar", metavar="FILE", help="the school's own calendar, instead of the policy's sample")
    p.add_argument("--reading", action="append", default=[], metavar="ID=OPTION",
                   help="take another option of a reading with alternatives (repeatable)")
    p.add_argument("--chunk-size", type=int, default=None, metavar="N",
                   help="students in memory at a time (default: 50000)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="answer chunks in N worker processes (default: 1; each holds up to two chunks)")
    p.add_argument("--summary", metavar="FILE", help="also write the summary as JSON")


def run(args, out, err, stdin) -> int:
    import json

    from ..cli import _day, _readings_arg
    from .columns import AuditError, load_column_map

    try:
        import polars  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise AuditError(f"xueji audit needs {exc.name}: pip install 'xueji_rules[audit]'") from None
    from ..load import load_policy
    from .run import audit

    if args.chunk_size is not None and args.chunk_size < 1:
        raise AuditError("--chunk-size takes a number of students of at least 1")
    if args.jobs < 1:
        raise AuditError("--jobs takes a number of processes of at least 1")
    day = _day(args.on)
    policy = load_policy(args.region)
    columns = load_column_map(args.columns, args.id_column)
    if args.engine != "local":
        from ..partitions import audit_with_engine

        summary = audit_with_engine(args.engine, policy, args.questions, args.students, day, out=args.out,
                                    columns=columns, backend=args.backend or "columns", calendar=args.calendar,
                                    readings=_readings_arg(args.reading), master=args.master,
                                    scheduler=args.scheduler, explain=args.explain, progress_stream=err)
        err.write(summary.render())
        return EXIT_ROW_ERRORS if summary.errors else EXIT_OK
    summary = audit(policy, args.questions, args.students, day, out=args.out, stream=out, columns=columns,
                    explain=args.explain, backend=args.backend or "rows", errors=args.errors, calendar=args.calendar,
                    readings=_readings_arg(args.reading), chunk_rows=args.chunk_size, progress_stream=err,
                    jobs=args.jobs)
    err.write(summary.render())
    if summary.error_file and summary.errors:
        err.write(f"rows in error: {summary.error_file}\n")
    if args.summary:
        try:
            with open(args.summary, "w", encoding="utf-8") as fh:
                json.dump(summary.to_dict(), fh, ensure_ascii=False, indent=2)
        except OSError as exc:
            raise AuditError(f"cannot write {args.summary}: {exc.strerror}") from None
    return EXIT_ROW_ERRORS if summary.errors else EXIT_OK
