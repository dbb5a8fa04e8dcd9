"""Which facts are personal data, and how a Decision's JSON hides them on request.

A Decision keeps the facts its rules read: that is its purpose (an answer that can be
audited). Some of them identify a student — the birth date, where the family lives or is
registered (户籍), where it moved from and to. ``Decision.to_json(redact=True)`` replaces
each such value by a keyed hash (the same value gives the same hash, so a bureau can still
link two decisions about one student without seeing who) and drops names altogether.

Without a key the hash is a plain SHA-256 of the value: a birth date or a division code has
few possible values and can be guessed back, so pass ``redact_key=`` (a secret of the
registry office) whenever redacted decisions leave the office.
"""

from __future__ import annotations

import hashlib
import hmac

#: path (or prefix ending in ".") -> "identifier" (hashed) or "name" (dropped)
PERSONAL = {
    "student.birth_date": "identifier",
    "student.hukou.": "identifier",
    "student.residence.": "identifier",
    "request.transfer.family_moved_from.": "identifier",
    "request.transfer.family_moved_to.": "identifier",
    "student.name": "name",
    "student.guardian.name": "name",
}


def kind_of(path: str) -> str | None:
    """'identifier', 'name' or None for a fact path."""
    if path in PERSONAL:
        return PERSONAL[path]
    for prefix, kind in PERSONAL.items():
        if prefix.endswith(".") and path.startswith(prefix):
            return kind
    return None


def redact(path: str, value, key: bytes | None = None):
    """The value as a redacted Decision shows it: unchanged, a hash, or None (a name)."""
    kind = kind_of(path)
    if kind is None or value is None:
        return value
    if kind == "name":
        return None
    text = f"{path}={value}".encode("utf-8")
    digest = hmac.new(key, text, hashlib.sha256).hexdigest() if key else hashlib.sha256(text).hexdigest()
    return "sha256:" + digest[:24]
