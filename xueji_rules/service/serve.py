"""``xueji serve``: start the HTTP service on uvicorn (docs/service.md).

The policies are validated before the port is opened: a server never starts on rules that
do not load. With ``--workers N`` (N > 1) uvicorn's supervisor runs N processes on one
socket; on SIGHUP (or ``POST /admin/reload``) the supervisor here first loads the policies
itself and restarts the workers only when they are valid, so a broken edit never takes
the service down: the old workers go on answering and the failure is reported in
``/readyz`` and the log.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import PolicyError, XuejiError

log = logging.getLogger("xueji.serve")
RUN_DIR_ENV = "XUEJI_SERVE_RUN_DIR"
FAILURE_FILE = "reload-failed.json"


class ServeError(XuejiError):
    code = "serve"


def add_parser(sub, common, parser_class) -> None:
    p = sub.add_parser(
        "serve", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="answer over HTTP: the API with its OpenAPI contract, and the explorer page at /",
        description="Serve the policies over HTTP (needs the service extra: pip install 'xueji_rules[service]').\n"
                    "The contract is at /openapi.json, interactive docs at /docs, the explorer page at /.",
        epilog="examples:\n"
               "  xueji serve                                   # http://127.0.0.1:8000/\n"
               "  xueji serve --workers 2 --token-file token.txt --decision-log decisions.jsonl\n"
               "  xueji serve --policy ./policies               # the working copy, not the installed one\n\n"
               "Reload the policies without a restart: kill -HUP <pid>, or POST /admin/reload.\n"
               "A reload that fails keeps the old policies answering and says why in /readyz.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1; one per core is usual)")
    p.add_argument("--policy", action="append", default=[], metavar="DIR",
                   help="a folder of policies (or one policy folder) to answer from, before the bundled ones; repeatable")
    p.add_argument("--token-file", metavar="FILE",
                   help="require `Authorization: Bearer <token>` (the file's content) on all but /healthz, /readyz and /")
    p.add_argument("--decision-log", metavar="FILE", help="append one JSON line per decision to FILE (facts not logged)")
    p.add_argument("--log-facts", action="store_true",
                   help="keep the facts in the decision log, identifying ones hashed and names dropped")
    p.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                   help="allow browser calls from ORIGIN (CORS is off unless given); repeatable")
    p.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES",
                   help="largest request body but batch and uploads (default 1 MiB)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="longest wait for a request body (default 30)")
    p.add_argument("--http", choices=("h11", "httptools"), default="h11",
                   help="uvicorn's HTTP/1.1 parser (default h11: httptools drops the body of a request that asks "
                        "to upgrade to h2c, as Java's HttpClient does by default; uvicorn issue #2722)")
    p.add_argument("--no-access-log", action="store_true", help="do not log each request (method, path, status)")


def _config(args):
    from .config import ServiceConfig

    if args.workers < 1:
        raise ServeError("--workers is 1 or more")
    if not 0 < args.port < 65536:
        raise ServeError("--port is from 1 to 65535")
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ServeError(f"cannot read the token file {args.token_file}: {exc.strerror}") from None
        if not token:
            raise ServeError(f"the token file {args.token_file} is empty")
    dirs = tuple(str(Path(d).resolve()) for d in list(getattr(args, "policies", ())) + list(args.policy))
    for d in dirs:
        if not Path(d).is_dir():
            raise ServeError(f"--policy {d}: no such folder")
    return ServiceConfig(
        policy_dirs=dirs, token_file=str(Path(args.token_file).resolve()) if args.token_file else None,
        decision_log=str(Path(args.decision_log).resolve()) if args.decision_log else None,
        log_facts=args.log_facts, cors_origins=tuple(args.cors), max_body=args.max_body,
        request_timeout=args.timeout, supervised=args.workers > 1,
    )


def run(args, out, err, stdin) -> int:
    try:
        import uvicorn

        from .store import load_snapshot
    except ImportError:
        raise ServeError("xueji serve needs the service extra: pip install 'xueji_rules[service]'") from None
    config = _config(args)
    try:
        snap = load_snapshot(config.policy_dirs)
    except PolicyError as exc:
        err.write("xueji serve: the policies do not validate; not starting\n" + exc.report() + "\n")
        return 2
    err.write(f"xueji serve: {len(snap.policies)} policies ({', '.join(snap.policies)}), "
              f"content hash {snap.content_hash[:12]}; http://{args.host}:{args.port}/\n")
    run_dir = tempfile.mkdtemp(prefix="xueji-serve-")
    os.environ[RUN_DIR_ENV] = run_dir
    from .config import ENV

    os.environ[ENV] = config.to_env()
    try:
        if args.workers == 1:
            from .app import create_app_from_env

            uvicorn.run(create_app_from_env(), host=args.host, port=args.port, access_log=not args.no_access_log,
                        log_level="info", timeout_graceful_shutdown=10, http=args.http)
        else:
            _run_workers(args, config, run_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


def _run_workers(args, config, run_dir: str) -> None:
    import uvicorn
    from uvicorn.supervisors.multiprocess import Multiprocess

    from .store import load_snapshot

    metrics_dir = os.path.join(run_dir, "metrics")
    os.makedirs(metrics_dir)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, restarting the workers on SIGHUP only once the policies are known good."""

        def handle_hup(self) -> None:
            failure = Path(run_dir) / FAILURE_FILE
            try:
                snap = load_snapshot(config.policy_dirs)
            except PolicyError as exc:
                import datetime as _dt

                failure.write_text(json.dumps({
                    "at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
                    "errors": [d.to_dict() for d in exc.diagnostics]}, ensure_ascii=False), encoding="utf-8")
                log.warning("SIGHUP: the policies do not validate (%d problems); the old ones still answer",
                            len(exc.diagnostics))
                return
            failure.unlink(missing_ok=True)
            log.warning("SIGHUP: policies valid (%s); restarting the workers", snap.content_hash[:12])
            self.restart_all()

    import inspect

    extra = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config.__init__).parameters:
        extra["timeout_worker_healthcheck"] = 60  # a worker compiles every policy before it is ready
    cfg = uvicorn.Config("xueji_rules.service.app:create_app_from_env", factory=True, host=args.host, port=args.port,
                         workers=args.workers, access_log=not args.no_access_log, log_level="info",
                         timeout_graceful_shutdown=10, http=args.http, **extra)
    sock = cfg.bind_socket()
    if "target" in inspect.signature(Multiprocess.__init__).parameters:  # uvicorn before 0.50
        Supervisor(cfg, target=uvicorn.Server(cfg).run, sockets=[sock]).run()
    else:
        Supervisor(cfg, sockets=[sock]).run()


def reload_failure() -> dict | None:
    """The supervisor's record of the last failed reload (several workers), if any."""
    run_dir = os.environ.get(RUN_DIR_ENV)
    if not run_dir:
        return None
    path = Path(run_dir) / FAILURE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
