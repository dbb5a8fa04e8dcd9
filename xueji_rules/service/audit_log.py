"""The decision log: one JSON line per decision, so a bureau can audit what was answered under which rules.

Each line holds the time (Asia/Shanghai), region, question, the date asked about, outcome,
status, failed rules and the policy's content hash. Fact values are personal data and are
not logged by default (``"facts": null``); with ``--log-facts`` they are, redacted as
``Decision.to_json(redact=True)`` redacts them: identifying facts hashed, names dropped. Lines
are appended under a lock with one ``write`` each, so workers sharing the file (opened in
append mode) never interleave within a line.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
from zoneinfo import ZoneInfo

from ..facts.input import jsonable
from ..facts.personal import redact

_SHANGHAI = ZoneInfo("Asia/Shanghai")


class DecisionLog:
    def __init__(self, path: str, with_facts: bool = False):
        self.path = path
        self.with_facts = with_facts
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def record(self, decision, facts=None, source: str = "ask") -> None:
        entry = {
            "time": _dt.datetime.now(_SHANGHAI).isoformat(timespec="milliseconds"),
            "source": source,
            "region": decision.region,
            "question": decision.question,
            "on": decision.on.isoformat(),
            "outcome": decision.outcome,
            "status": decision.status,
            "failed": list(decision.failed),
            "policy_hash": decision.policy.content_hash if decision.policy else None,
        }
        if self.with_facts and facts is not None:
            entry["facts"] = {path: jsonable(redact(path, value)) for path, value in facts.items()}
        else:
            entry["facts"] = None
        self.write(entry)

    def record_short(self, region: str, question: str, on, outcome: str, status: str | None, failed, policy_hash: str,
                     source: str = "batch") -> None:
        """A decision answered on the fast path (batch without explanations): no facts kept."""
        self.write({
            "time": _dt.datetime.now(_SHANGHAI).isoformat(timespec="milliseconds"), "source": source,
            "region": region, "question": question, "on": on.isoformat(), "outcome": outcome, "status": status,
            "failed": list(failed), "policy_hash": policy_hash, "facts": None,
        })

    def write(self, entry: dict) -> None:
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass
