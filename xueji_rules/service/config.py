"""What a server is started with; passed to worker processes as JSON in one environment variable."""

from __future__ import annotations

import json
import os

import attrs

ENV = "XUEJI_SERVE_CONFIG"


@attrs.frozen
class ServiceConfig:
    #: policy roots looked in before the bundled policies (``--policy DIR``); empty: the usual roots
    policy_dirs: tuple = ()
    #: a file holding the bearer token; None: no authentication
    token_file: str | None = None
    #: append one JSON line per decision here; None: no decision log
    decision_log: str | None = None
    #: keep the facts in the decision log unredacted (off by default: they are personal data)
    log_facts: bool = False
    #: origins allowed by CORS; empty: CORS off
    cors_origins: tuple = ()
    #: the largest request body, in bytes, of every endpoint but batch and uploads
    max_body: int = 1024 * 1024
    #: the largest batch body, in bytes (it is read as a stream, a line at a time)
    max_batch_body: int = 256 * 1024 * 1024
    #: the longest line of a batch, in bytes
    max_batch_line: int = 256 * 1024
    #: the largest uploaded policy archive, in bytes, and the most files it may hold
    max_upload: int = 5 * 1024 * 1024
    max_upload_files: int = 500
    #: seconds one request may take before it is answered 503 (batch: per line read)
    request_timeout: float = 30.0
    #: the number of uploaded policies kept, and for how long (seconds)
    uploads_kept: int = 16
    upload_ttl: float = 3600.0
    #: set by ``xueji serve`` when uvicorn runs several workers: a reload restarts them all
    supervised: bool = False

    def to_env(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def from_env(cls) -> "ServiceConfig":
        raw = os.environ.get(ENV)
        if not raw:
            return cls()
        data = json.loads(raw)
        data["policy_dirs"] = tuple(data.get("policy_dirs") or ())
        data["cors_origins"] = tuple(data.get("cors_origins") or ())
        return cls(**data)

    def token(self) -> str | None:
        if not self.token_file:
            return None
        with open(self.token_file, encoding="utf-8") as fh:
            token = fh.read().strip()
        if not token:
            raise ValueError(f"the token file {self.token_file} is empty")
        return token
