"""The routes of ``xueji serve``: the library's answers over HTTP, and the explorer page.

Handlers read the body themselves and hand it to the library's own readers, so a facts
document is checked exactly as ``xueji ask`` checks it (and the same error codes come
back as RFC 9457 problems). Every answer names the policies it came from
(``X-Xueji-Policies``; a region's answers also ``X-Xueji-Policy-Hash``). The contract is
built in ``contract.py`` from the schemas the library ships.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as _dt
import functools
import hmac
import json
import logging
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import attrs
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect

try:  # the path Starlette's router matches (root_path taken off), as AskRoute must match it
    from starlette._utils import get_route_path
except ImportError:  # pragma: no cover - Starlette before 0.35 matched the path as given
    def get_route_path(scope) -> str:
        return scope["path"]

from ..errors import DateError, XuejiError, did_you_mean
from ..evaluate import day_of, evaluate
from ..facts.input import jsonable
from ..facts.vocabulary import FACTS
from .audit_log import DecisionLog
from .batch import batch_lines
from .config import ServiceConfig
from .contract import build_contract, question_facts, question_schema
from .metrics import Metrics
from .problems import MEDIA_TYPE, Problem, from_library
from .store import PolicyStore, Snapshot, diagnostic_dict
from .upload import unpack

log = logging.getLogger("xueji.serve")

STATIC = Path(__file__).resolve().parent / "static"
PUBLIC = ("/healthz", "/readyz")
PUBLIC_PREFIXES = ("/static/",)
ASK_KEYS = ("facts", "on", "readings", "calendar")

try:  # orjson writes a Decision's JSON several times faster than the standard library (benchmarks/service)
    import orjson

    def _dumps(obj) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - orjson is in the service extra
    def _dumps(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    return Response(_dumps(obj), status_code=status, media_type="application/json", headers=headers)


def _problem_response(p: Problem) -> Response:
    return Response(p.body(), status_code=p.status, media_type=MEDIA_TYPE, headers=p.headers)


def _no_duplicates(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = next(k for k in keys if keys.count(k) > 1)
        raise Problem(400, "duplicate_key", f"the key '{dup}' appears twice in one object")
    return d


def parse_json(raw: bytes, what: str = "the body") -> object:
    """JSON as the library reads it: UTF-8, no duplicate keys, nesting bounded; a Problem otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "not_utf8", f"{what} is not UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise Problem(400, "bad_json", f"{what} is not valid JSON: {exc.msg}",
                      [{"code": "bad_json", "message": exc.msg, "line": exc.lineno, "column": exc.colno}]) from None
    except RecursionError:
        raise Problem(400, "too_deep", f"{what} nests more deeply than JSON facts ever need") from None


def _object_with(doc, keys: tuple, what: str) -> dict:
    if not isinstance(doc, dict):
        raise Problem(422, "bad_body", f"{what} must be a JSON object with the keys {', '.join(keys)}")
    for k in doc:
        if k not in keys:
            hint = did_you_mean(str(k), keys)
            raise Problem(422, "unknown_field", f"{what} has an unknown key '{str(k)[:40]}'"
                          + (f"; {hint}" if hint else f" (keys: {', '.join(keys)})"))
    return doc


def _facts_of(doc: dict) -> dict:
    """A body's ``facts`` (none given: no facts known)."""
    facts = doc.get("facts", {})
    if not isinstance(facts, dict):
        raise Problem(422, "facts_invalid", "`facts` must be a JSON object of the student's facts")
    return facts


class Service:
    """What the routes share: the store, metrics, the decision log, the token, caches."""

    def __init__(self, config: ServiceConfig, store: PolicyStore | None = None):
        self.config = config
        self.store = store or PolicyStore(config.policy_dirs, config.uploads_kept, config.upload_ttl)
        self.metrics = Metrics()
        self.decision_log = DecisionLog(config.decision_log, config.log_facts) if config.decision_log else None
        self.token = config.token()
        self.upload_root = Path(tempfile.mkdtemp(prefix="xueji-uploads-"))
        self._articles: dict = {}
        #: the batch endpoint's column backends, by (policy content, region, question, date): batch.Batch._backend
        self.column_backends: collections.OrderedDict = collections.OrderedDict()

    # -- policies ------------------------------------------------------------------

    def policy(self, region: str, snap: Snapshot):
        try:
            return self.store.policy(region, snap)
        except XuejiError as exc:
            raise from_library(exc) from None

    def headers(self, snap: Snapshot, policy=None) -> dict:
        h = {}  # X-Xueji-Policies is added to every answer by Guard
        if policy is not None:
            h["X-Xueji-Policy-Hash"] = policy.content_hash
        return h

    def reload(self) -> dict:
        """Reload the policies: in this process, or (several workers) by restarting them once they are known good."""
        if self.config.supervised:
            result = self.store.check()
            if result.ok:
                os.kill(os.getppid(), signal.SIGHUP)  # uvicorn's supervisor restarts every worker
        else:
            result = self.store.reload()
        self.metrics.reloads.labels("ok" if result.ok else "failed").inc()
        if not result.ok:
            raise Problem(422, "reload_failed", "the policies do not validate; the old ones are still answering",
                          [self.diag(d) for d in result.diagnostics])
        return {"reloaded": True, "policies": result.content_hash,
                "restarting_workers": self.config.supervised}

    def diag(self, d, root: str | None = None) -> dict:
        out = diagnostic_dict(d, root)
        if root is None and out.get("file"):
            out["file"] = _policy_relative(out["file"])
        return out

    def articles(self, region: str, policy) -> dict:
        key = (region, policy.content_hash)
        found = self._articles.get(key)
        if found is None:
            from ..compliance.runner import run_suite
            from ..toolkit.report import build

            folder = Path(policy.folder)
            suite = run_suite(folder, policy)
            found = _relative_paths(build(suite, region=region), folder)
            self._articles[key] = found
        return found


def _policy_relative(path: str) -> str:
    """A policy file's path from its policies root (``jiangsu/policy.yaml``), never the server's own folders."""
    p = Path(path)
    parts = p.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "policies" or parts[i].startswith("xueji-uploads-"):
            return Path(*parts[i + 1:]).as_posix() if i + 1 < len(parts) else p.name
    return p.name


def _relative_paths(obj, folder: Path):
    """Every ``file``/``folder`` value of a JSON document made relative to the policies root."""
    if isinstance(obj, dict):
        return {k: (_policy_relative(v) if k in ("file", "folder", "path") and isinstance(v, str) and "/" in v
                    else _relative_paths(v, folder)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_relative_paths(v, folder) for v in obj]
    return obj


class Guard:
    """ASGI middleware: token, body size, metrics, the policies header, and no stack trace ever."""

    def __init__(self, app, service: Service):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        svc = self.service
        start = time.perf_counter()
        path = scope["path"]
        status_box = [500]
        started = [False]

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                started[0] = True
                status_box[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-xueji-policies", svc.store.snapshot.content_hash.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if svc.token is not None and path not in PUBLIC and path != "/" and not path.startswith(PUBLIC_PREFIXES):
                if not _authorized(scope, svc.token):
                    raise Problem(401, "unauthorized", "this server needs `Authorization: Bearer <token>`",
                                  headers={"WWW-Authenticate": 'Bearer realm="xueji"'})
            length = _header(scope, b"content-length")
            if length is not None:
                limit = _body_limit(path, svc.config)
                if not length.isdigit():
                    raise Problem(400, "bad_request", "Content-Length is not a number")
                if int(length) > limit:
                    raise Problem(413, "body_too_large", f"the body is larger than {limit} bytes")
            await self.app(scope, receive, send_wrapped)
        except Problem as p:
            if started[0]:
                raise
            await _send_problem(send_wrapped, p)
        except Exception:  # never a stack trace to the caller; the log has the type only
            log.exception("internal error answering %s %s", scope.get("method"), scope.get("route_name", "?"))
            if not started[0]:
                await _send_problem(send_wrapped, Problem(500, "internal_error", "the server failed to answer; "
                                                          "the error was logged without the request's data"))
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("static" if path.startswith("/static/") else "unmatched")
            svc.metrics.requests.labels(template, scope.get("method", ""), str(status_box[0])).inc()
            svc.metrics.latency.labels(template).observe(time.perf_counter() - start)


def _header(scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


def _authorized(scope, token: str) -> bool:
    value = _header(scope, b"authorization") or ""
    scheme, _, given = value.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _body_limit(path: str, config: ServiceConfig) -> int:
    if path.endswith("/batch"):
        return config.max_batch_body
    if path == "/v1/uploads":
        return config.max_upload
    return config.max_body


async def _send_problem(send, p: Problem) -> None:
    body = p.body()
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in p.headers.items()]
    await send({"type": "http.response.start", "status": p.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole body, at most ``limit`` bytes, within ``timeout`` seconds (a slow sender is cut off)."""
    return await receive_body(request.receive, limit, timeout)


async def receive_body(receive, limit: int, timeout: float) -> bytes:
    """``read_body`` from the ASGI ``receive`` channel itself, as Starlette's ``Request.stream`` reads it."""

    async def read() -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "http.request":
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size > limit:
                        raise Problem(413, "body_too_large", f"the body is larger than {limit} bytes")
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
            elif kind == "http.disconnect":
                raise ClientDisconnect()

    try:
        async with asyncio.timeout(timeout):
            return await read()
    except TimeoutError:
        raise Problem(408, "request_timeout", f"the body did not arrive within {timeout:g} s") from None


def _on(value, what: str) -> _dt.date:
    try:
        return day_of(value, what)
    except DateError as exc:
        raise from_library(exc) from None


def _flag(value: str | None, name: str) -> bool:
    if value is None or value in ("false", "0", ""):
        return False
    if value in ("true", "1"):
        return True
    raise Problem(422, "bad_query", f"{name} is true or false")


def create_app(config: ServiceConfig | None = None, store: PolicyStore | None = None,
               reload_on_sighup: bool = False) -> FastAPI:
    """The ASGI application: pass a config (``xueji serve`` builds one from its options).

    With ``reload_on_sighup`` (one process serving), SIGHUP reloads the policies in place.
    """
    config = config or ServiceConfig()
    svc = Service(config, store)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if reload_on_sighup:
            _reload_on_sighup(svc)
        try:
            yield
        finally:
            if svc.decision_log is not None:
                svc.decision_log.close()
            shutil.rmtree(svc.upload_root, ignore_errors=True)

    app = FastAPI(title="xueji_rules", version=_version(), openapi_url=None, docs_url=None, redoc_url=None,
                  lifespan=lifespan, description="学籍规定即数据 · China's student-registry regulations as data.")
    app.state.service = svc

    @app.exception_handler(Problem)
    async def _problem(request, exc: Problem):
        return _problem_response(exc)

    @app.exception_handler(XuejiError)
    async def _library(request, exc: XuejiError):
        return _problem_response(from_library(exc, svc.diag))

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _http(request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = {404: "no such path; the contract is at /openapi.json",
                  405: "this path does not take that method"}.get(exc.status_code, str(exc.detail))
        return _problem_response(Problem(exc.status_code, code, detail))

    contract_cache: dict = {}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi():
        if "doc" not in contract_cache:
            contract_cache["doc"] = build_contract(app)
        return _json_response(contract_cache["doc"])

    @app.get("/docs", include_in_schema=False)
    async def docs():
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="xueji_rules API")

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def healthz():
        return _json_response({"status": "ok"})

    @app.get("/readyz", tags=["health"], summary="The policies are loaded and answering")
    async def readyz():
        snap = svc.store.snapshot
        doc = {"status": "ready", "policies": {n: p.content_hash for n, p in snap.policies.items()},
               "content_hash": snap.content_hash, "loaded_at": snap.loaded_at}
        if svc.store.last_failure:
            at, diags = svc.store.last_failure
            doc["last_reload_failed"] = {"at": at, "errors": [svc.diag(d) for d in diags]}
        elif config.supervised:
            from .serve import reload_failure

            failure = reload_failure()
            if failure:
                for e in failure["errors"]:
                    e["file"] = _policy_relative(e["file"]) if e.get("file") else e.get("file")
                doc["last_reload_failed"] = failure
        return _json_response(doc)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics")
    async def metrics():
        body, ctype = svc.metrics.exposition()
        return Response(body, media_type=ctype)

    @app.post("/admin/reload", tags=["admin"], summary="Reload the policies atomically")
    async def reload():
        # compiling every policy takes seconds: off the event loop, so other requests go on meanwhile
        return _json_response(await asyncio.get_running_loop().run_in_executor(None, svc.reload))

    # -- regions -------------------------------------------------------------------

    @app.get("/v1/regions", tags=["policies"], summary="The regions this server answers for")
    async def list_regions():
        snap = svc.store.snapshot
        return _json_response([_region_summary(n, p) for n, p in snap.policies.items()], headers=svc.headers(snap))

    @app.get("/v1/regions/{region:path}/questions/{question}/facts-schema", tags=["policies"],
             summary="The JSON Schema of the facts one question reads")
    async def facts_schema(region: str, question: str):
        snap = svc.store.snapshot
        policy = svc.policy(region, snap)
        q = _question(policy, question)
        return _json_response(question_schema(question_facts(q), title=f"{policy.id} {q.id}: {q.title}"),
                              headers=svc.headers(snap, policy))

    @app.post("/v1/regions/{region:path}/questions/{question}/ask", tags=["decisions"],
              summary="Answer one question for one student")
    async def ask(region: str, question: str, request: Request):
        # answered by AskRoute before FastAPI's router sees it; this route gives the contract its path
        return await _ask(svc, region, question, request.query_params, request.receive)

    @app.post("/v1/regions/{region:path}/questions/{question}/batch", tags=["decisions"],
              summary="Answer one question for many students: JSON Lines in, JSON Lines out")
    async def batch(region: str, question: str, request: Request):
        snap = svc.store.snapshot
        policy = svc.policy(region, snap)
        q = _question(policy, question)
        default_on = _on(request.query_params.get("on"), "date `on`") if request.query_params.get("on") else None
        explain = _flag(request.query_params.get("explain"), "explain")
        redact = _flag(request.query_params.get("redact"), "redact")
        return LinesResponse(batch_lines(svc, policy, region, q, request, default_on, explain, redact),
                             headers=svc.headers(snap, policy))

    @app.get("/v1/regions/{region:path}/parameters", tags=["policies"], summary="The parameters in force on a date")
    async def parameters(region: str, request: Request):
        snap = svc.store.snapshot
        policy = svc.policy(region, snap)
        day = _on(request.query_params.get("on"), "date `on`")
        try:
            policy.in_force(day)
        except XuejiError as exc:
            raise from_library(exc) from None
        rows = [{"name": p.name, "title": p.title, "value": jsonable(p.value_on(day)), "unit": p.unit,
                 "article": p.article} for p in policy.parameters.values()]
        return _json_response({"region": region, "on": day.isoformat(), "parameters": rows},
                              headers=svc.headers(snap, policy))

    @app.get("/v1/regions/{region:path}/show", tags=["policies"],
             summary="The layered policy with the provenance of every rule and value")
    async def show(region: str, request: Request):
        from ..show import describe

        snap = svc.store.snapshot
        policy = svc.policy(region, snap)
        on = request.query_params.get("on")
        day = _on(on, "date `on`") if on is not None else None  # `on=` empty is a bad date, as on every path
        data = _relative_paths(describe(policy, day), Path(policy.folder))
        return _json_response(data, headers=svc.headers(snap, policy))

    @app.get("/v1/regions/{region:path}/articles", tags=["policies"],
             summary="The regulation article by article, each with the rules encoding it and the cases covering it")
    async def articles(region: str):
        snap = svc.store.snapshot
        policy = svc.policy(region, snap)
        data = await asyncio.get_running_loop().run_in_executor(None, svc.articles, region, policy)
        return _json_response(data, headers=svc.headers(snap, policy))

    @app.get("/v1/regions/{region:path}", tags=["policies"], summary="One region: its questions and the facts each reads")
    async def region_detail(region: str):
        if "/questions/" in region or region.rsplit("/", 1)[-1] in ("ask", "batch", "facts-schema"):
            raise Problem(405, "method_not_allowed", "this path does not take that method")
        snap = svc.store.snapshot
        policy = svc.policy(region, snap)
        return _json_response(_region_detail(region, policy), headers=svc.headers(snap, policy))

    # -- compare ----------------------------------------------------------------------

    @app.get("/v1/compare", tags=["compare"], summary="The parameters of several regions side by side")
    async def compare(request: Request):
        from ..compare import compare_parameters

        snap = svc.store.snapshot
        names = _region_list(request.query_params.get("regions"), snap)
        policies = [svc.policy(n, snap) for n in names]
        day = _on(request.query_params.get("on"), "date `on`")
        all_rows = _flag(request.query_params.get("all"), "all")
        table = compare_parameters(policies, day, names=names)
        return _json_response({"on": day.isoformat(), **table.to_dict(all_rows=all_rows)}, headers=svc.headers(snap))

    @app.post("/v1/compare/{question}", tags=["compare"], summary="One student's answer in several regions side by side")
    async def compare_question(question: str, request: Request):
        from ..compare import compare_decisions

        snap = svc.store.snapshot
        names = _region_list(request.query_params.get("regions"), snap)
        policies = [svc.policy(n, snap) for n in names]
        if not any(question in p.questions for p in policies):
            _question(policies[0], question)
        raw = await read_body(request, config.max_body, config.request_timeout)
        doc = _object_with(parse_json(raw), ("facts", "on"), "the body")
        day = _on(doc.get("on", request.query_params.get("on")), "date `on`")
        facts = _facts_of(doc)
        rows = compare_decisions(policies, question, facts, day, names=names)
        return _json_response({"on": day.isoformat(), "question": question, "decisions": [r.to_dict() for r in rows]},
                              headers=svc.headers(snap))

    @app.get("/v1/compare/{question}/students", tags=["compare"],
             summary="Counter-example students: a minimal student for each pair of different answers of two regions")
    async def compare_students(question: str, request: Request):
        from ..toolkit.solver import SolverUnavailable, counterexamples

        snap = svc.store.snapshot
        names = _region_list(request.query_params.get("regions"), snap)
        if len(names) != 2:
            raise Problem(422, "bad_query", "regions= names exactly two regions for counter-example students")
        a, b = (svc.policy(n, snap) for n in names)
        if not any(question in p.questions for p in (a, b)):
            _question(a, question)
        day = _on(request.query_params.get("on"), "date `on`")
        work = functools.partial(counterexamples, a, b, question, on=day, names=tuple(names))
        try:
            found = await asyncio.get_running_loop().run_in_executor(None, work)
        except SolverUnavailable as exc:
            raise Problem(501, "solver_unavailable", exc.message) from None
        return _json_response(json.loads(json.dumps(found.to_dict(), ensure_ascii=False, default=str)),
                              headers=svc.headers(snap))

    # -- uploads ----------------------------------------------------------------------

    @app.post("/v1/uploads", tags=["policies"],
              summary="Check a policy folder uploaded as zip or tar; when valid, ask questions of it")
    async def upload(request: Request):
        raw = await read_body(request, config.max_upload, config.request_timeout)
        target = Path(tempfile.mkdtemp(prefix="u", dir=svc.upload_root))
        try:
            digest, folder = unpack(raw, target, config.max_upload, config.max_upload_files)
            up = await asyncio.get_running_loop().run_in_executor(None, svc.store.add_upload, digest, folder)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return _json_response({
            "upload": up.id, "region": up.id, "ok": up.policy is not None,
            "policy": ({"id": up.policy.id, "title": up.policy.title, "content_hash": up.policy.content_hash,
                        "questions": list(up.policy.questions)} if up.policy is not None else None),
            "diagnostics": [svc.diag(d, str(target)) for d in up.diagnostics],
        })

    # -- the explorer page ------------------------------------------------------------

    if (STATIC / "index.html").is_file():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def index():
            return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))
    else:  # pragma: no cover - the page ships with the package
        @app.get("/", include_in_schema=False)
        async def index():
            return _json_response({"service": "xueji_rules", "contract": "/openapi.json", "docs": "/docs"})

    app.add_middleware(AskRoute, service=svc, route=next(r for r in app.routes if getattr(r, "endpoint", None) is ask))
    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])

    app.add_middleware(Guard, service=svc)
    return app


async def _ask(svc: Service, region: str, question: str, params, receive) -> Response:
    """POST …/ask: one student's Decision JSON, exactly as ``Decision.to_dict`` gives it."""
    config = svc.config
    snap = svc.store.snapshot
    policy = svc.policy(region, snap)
    q = _question(policy, question)
    raw = await receive_body(receive, config.max_body, config.request_timeout)
    doc = _object_with(parse_json(raw), ASK_KEYS, "the body")
    on = _on(doc.get("on", params.get("on")), "date `on`")
    redact = _flag(params.get("redact"), "redact")
    facts = _facts_of(doc)
    readings = doc.get("readings")
    if readings is not None and not isinstance(readings, dict):
        raise Problem(422, "bad_readings", "`readings` maps a reading's id to the option asked for")
    decision = evaluate(policy, q, facts, on, doc.get("calendar"), readings)
    svc.metrics.decision(region, q.id, decision.outcome)
    if svc.decision_log is not None:
        from ..facts.input import read_facts

        svc.decision_log.record(decision, read_facts(facts).values if config.log_facts else None)
    if _flag(params.get("why"), "why"):  # as `xueji ask --why --format json`: each condition part
        from ..evaluate import with_readings
        from ..explain import condition_parts
        from ..facts.input import FactValues, read_facts

        out = decision.to_dict(redact=redact)
        values = FactValues(with_readings(policy, read_facts(facts).values, readings))  # the readings asked for
        parts = condition_parts(policy, q, values, on, doc.get("calendar"))
        out["why"] = {rid: [attrs.asdict(part) for part in ps] for rid, ps in parts.items()}
        body = _dumps(out)
    else:
        body = decision.to_json_bytes(redact=redact)  # the bytes of _dumps(decision.to_dict(redact=redact))
    return Response(body, media_type="application/json", headers=svc.headers(snap, policy))


_NO_QUERY = QueryParams()


class AskRoute:
    """ASGI middleware: ``POST /v1/regions/{region:path}/questions/{question}/ask`` answered without FastAPI's router.

    Single asks are the service's hot path; FastAPI's routing, dependency solving and
    Request cost more than the answer itself (docs/service.md, Speed). This answers the
    path the ask route matches (no route before it takes POST on such a path) with the
    same handler, sets ``scope["route"]`` as the router does (the metrics' route label),
    and turns a Problem or a library error into the response the app's exception
    handlers give; anything else goes up to Guard, as from the router. It sits inside
    Guard and CORS, where the router sits, so both see the same requests and answers.
    """

    def __init__(self, app, service: Service, route):
        self.app = app
        self.service = service
        self.route = route
        self.match = route.path_regex.match

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            m = self.match(get_route_path(scope))
            if m is not None:
                scope["route"] = self.route
                scope["path_params"] = params = m.groupdict()
                qs = scope.get("query_string", b"")
                try:
                    response = await _ask(self.service, params["region"], params["question"],
                                          QueryParams(qs) if qs else _NO_QUERY, receive)
                except Problem as p:
                    response = _problem_response(p)
                except XuejiError as exc:
                    response = _problem_response(from_library(exc, self.service.diag))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app_from_env() -> FastAPI:
    """The app a uvicorn worker builds (``xueji serve`` passes its options in XUEJI_SERVE_CONFIG)."""
    config = ServiceConfig.from_env()
    return create_app(config, reload_on_sighup=not config.supervised)


def _reload_on_sighup(svc: Service) -> None:
    def handler():
        asyncio.get_running_loop().run_in_executor(None, reload)

    def reload():
        result = svc.store.reload()
        svc.metrics.reloads.labels("ok" if result.ok else "failed").inc()
        if result.ok:
            log.warning("SIGHUP: policies reloaded (%s)", result.content_hash[:12])
        else:
            log.warning("SIGHUP: the policies do not validate (%d problems); the old ones still answer",
                        len(result.diagnostics))

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, handler)
    except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - not on this platform or thread
        pass


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xueji_rules")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


def _question(policy, question: str):
    try:
        return policy.question(question)
    except XuejiError as exc:
        raise from_library(exc) from None


def _region_list(text: str | None, snap: Snapshot) -> list[str]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    if len(names) < 2:
        raise Problem(422, "bad_query", "regions= names two or more regions, separated by commas "
                      f"(regions: {', '.join(snap.policies)})")
    if len(names) > 16:
        raise Problem(422, "bad_query", "regions= names at most 16 regions")
    return names


def _region_summary(name: str, p) -> dict:
    return {"region": name, "id": p.id, "title": p.title, "jurisdiction": p.jurisdiction_name,
            "document_number": p.document_number, "version": p.version, "content_hash": p.content_hash,
            "effective_from": p.effective_from.isoformat() if p.effective_from else None,
            "questions": list(p.questions)}


def _region_detail(name: str, p) -> dict:
    from ..readings import switchable

    questions = []
    for q in p.questions.values():
        questions.append({
            "question": q.id, "title": q.title, "en": q.en,
            "outcomes": sorted({r.strength for r in q.rules}),
            "rules": [r.id for r in q.rules],
            "facts": [{"path": path, "zh": FACTS[path].zh if path in FACTS else None,
                       "en": FACTS[path].en if path in FACTS else None,
                       "kind": FACTS[path].kind if path in FACTS else None} for path in question_facts(q)],
        })
    readings = [{"id": rid, "title": r.title, "en": r.en, "chosen": r.chosen,
                 "options": [{"option": o, "meaning": m} for o, m in r.options]}
                for rid, r in switchable(p).items()]
    layers = [{"id": l.id, "title": l.title, "document_number": l.document_number, "jurisdiction": l.jurisdiction_name,
               "effective_from": l.effective_from.isoformat() if l.effective_from else None, "extends": l.extends}
              for l in p.layers]
    return {**_region_summary(name, p), "questions": questions, "readings": readings, "layers": layers}


class LinesResponse(Response):
    """JSON Lines streamed while the request body is still being read.

    Starlette's StreamingResponse listens for a disconnect on the same channel the body
    arrives on, which would take the body's chunks away from the reader; this sends the
    lines as they come and reads nothing itself.
    """

    media_type = "application/jsonl"

    def __init__(self, lines, headers: dict | None = None):
        super().__init__(None, 200, headers, self.media_type)
        self.lines = lines
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async for chunk in self.lines:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
