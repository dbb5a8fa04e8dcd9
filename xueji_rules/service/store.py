"""The policies a server answers with: loaded once, swapped whole on reload, uploads kept for a while.

A :class:`Snapshot` is immutable; requests read ``store.snapshot`` once and answer from
it, so a reload in the middle of a batch never mixes two versions. A reload builds
the new snapshot completely before swapping it in; if any policy fails to load, the
old snapshot stays and the failure (its diagnostics) is kept for ``/readyz``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
import time
from pathlib import Path

import attrs

from ..errors import Diagnostic, PolicyError, UnknownRegionError, did_you_mean
from ..load import compile_policy
from ..locate import find, policy_roots_given, regions
from ..policy import Policy

UPLOAD_PREFIX = "u-"


@attrs.frozen
class Snapshot:
    policies: dict  # region name → Policy, in name order
    #: sha256 over the regions' names and content hashes: names the whole set a server answers with
    content_hash: str
    loaded_at: str  # ISO time, UTC


@attrs.frozen
class Upload:
    id: str
    policy: Policy | None
    diagnostics: tuple
    folder: str
    at: float


@attrs.frozen
class ReloadResult:
    ok: bool
    content_hash: str
    diagnostics: tuple = ()


def _combined(policies: dict) -> str:
    h = hashlib.sha256()
    for name, p in policies.items():
        h.update(f"{name}\0{p.content_hash}\n".encode())
    return h.hexdigest()


def load_snapshot(policy_dirs: tuple = ()) -> Snapshot:
    """Compile every region the roots hold; PolicyError with every diagnostic if any fails."""
    with policy_roots_given(*policy_dirs):
        names = regions()
        folders = {name: find(name)[0] for name in names}
    policies, diags = {}, []
    for name, folder in folders.items():
        try:
            policies[name] = compile_policy(folder)
        except PolicyError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise PolicyError("the policies do not validate; nothing was loaded", tuple(diags))
    if not policies:
        raise PolicyError("no policies found in the policy roots", ())
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    return Snapshot(policies, _combined(policies), now)


class PolicyStore:
    """The current snapshot, the last reload's failure, and the uploaded policies; safe across threads."""

    def __init__(self, policy_dirs: tuple = (), uploads_kept: int = 16, upload_ttl: float = 3600.0):
        self.policy_dirs = tuple(policy_dirs)
        self.snapshot: Snapshot = load_snapshot(self.policy_dirs)
        self.last_failure: tuple[str, tuple] | None = None  # (time, diagnostics) of the last failed reload
        self._lock = threading.Lock()
        self._uploads: dict[str, Upload] = {}
        self._uploads_kept = uploads_kept
        self._upload_ttl = upload_ttl

    def check(self) -> ReloadResult:
        """Load the policies again without swapping them in: would a reload succeed?"""
        try:
            new = load_snapshot(self.policy_dirs)
        except PolicyError as exc:
            return ReloadResult(False, self.snapshot.content_hash, exc.diagnostics)
        return ReloadResult(True, new.content_hash)

    def reload(self) -> ReloadResult:
        """Swap in freshly loaded policies, or keep the old ones and say why not."""
        with self._lock:
            try:
                new = load_snapshot(self.policy_dirs)
            except PolicyError as exc:
                now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
                self.last_failure = (now, exc.diagnostics)
                return ReloadResult(False, self.snapshot.content_hash, exc.diagnostics)
            self.snapshot = new
            self.last_failure = None
            return ReloadResult(True, new.content_hash)

    # -- lookup --------------------------------------------------------------------

    def policy(self, region: str, snapshot: Snapshot | None = None) -> Policy:
        snap = snapshot or self.snapshot
        found = snap.policies.get(region)
        if found is not None:
            return found
        if region.startswith(UPLOAD_PREFIX):
            up = self._upload(region)
            if up is not None and up.policy is not None:
                return up.policy
            raise UnknownRegionError(f"no uploaded policy '{region}' (uploads are kept {int(self._upload_ttl)} s; "
                                     "upload it again)")
        hint = did_you_mean(region, snap.policies)
        raise UnknownRegionError(f"no policy '{region}'" + (f"; {hint}" if hint else "")
                                 + f" (regions: {', '.join(snap.policies)})")

    # -- uploads -------------------------------------------------------------------

    def _upload(self, upload_id: str) -> Upload | None:
        with self._lock:
            self._expire()
            return self._uploads.get(upload_id)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self._upload_ttl
        for key in [k for k, u in self._uploads.items() if u.at < cutoff]:
            del self._uploads[key]

    def add_upload(self, digest: str, folder: Path) -> Upload:
        """Compile an unpacked policy folder under the id ``u-<digest[:12]>``; keep it whatever its diagnostics."""
        upload_id = UPLOAD_PREFIX + digest[:12]
        try:
            policy, diags = compile_policy(folder), ()
        except PolicyError as exc:
            policy, diags = None, exc.diagnostics
        up = Upload(upload_id, policy, tuple(diags), str(folder), time.monotonic())
        with self._lock:
            self._expire()
            self._uploads.pop(upload_id, None)
            self._uploads[upload_id] = up
            while len(self._uploads) > self._uploads_kept:
                del self._uploads[next(iter(self._uploads))]
        return up


def diagnostic_dict(d: Diagnostic, root: str | None = None) -> dict:
    """A Diagnostic as JSON, its file relative to ``root`` (an upload's folder) so no server path shows."""
    out = d.to_dict()
    if root and out.get("file"):
        try:
            out["file"] = Path(out["file"]).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            out["file"] = Path(out["file"]).name
    return out
