"""A policy folder uploaded as a zip or tar: unpacked under limits into a temporary folder, never executed.

Only regular files and folders are unpacked, each by a relative path that stays inside
the target (no absolute paths, ``..``, links or devices); at most ``max_files`` files and
``max_bytes`` × 8 bytes unpacked in all (an archive that expands further is refused as a
bomb). Only the text files a policy is made of are kept (``.yaml``, ``.yml``, ``.md``,
``.txt``, ``.json``, ``.tsv``). The policy is the shallowest folder holding
``policy.yaml``; a layer may extend a bundled region by name or a folder inside the upload.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import tarfile
import zipfile
from pathlib import Path

from .problems import Problem

KEPT = (".yaml", ".yml", ".md", ".txt", ".json", ".tsv")


def _safe_name(name: str) -> str | None:
    """The relative path to unpack a member to, or None when it would leave the folder."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    norm = posixpath.normpath(name)
    if norm in (".", "") or norm.startswith("../") or norm == ".." or "\x00" in norm:
        return None
    return norm


def _members(data: bytes) -> list[tuple[str, bytes | None]]:
    """(relative path, content) of every file in the archive; a refusal is a Problem."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise Problem(400, "upload_unreadable", "the zip archive cannot be read") from None
        out = []
        for info in zf.infolist():
            if info.is_dir():
                continue
            mode = (info.external_attr >> 16) & 0o170000
            if mode and mode != 0o100000:
                raise Problem(422, "upload_unsafe", "the archive holds a link or special file; only files are accepted")
            out.append((info.filename, info.file_size, lambda i=info: zf.read(i)))
        return out
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, EOFError, OSError):
        raise Problem(400, "upload_unreadable",
                      "the body is neither a zip nor a tar (or tar.gz) archive") from None
    out = []
    try:
        for m in tf.getmembers():
            if m.isdir():
                continue
            if not m.isfile():
                raise Problem(422, "upload_unsafe", "the archive holds a link or special file; only files are accepted")
            out.append((m.name, m.size, lambda m=m: tf.extractfile(m).read()))
    except (tarfile.TarError, EOFError, OSError):
        raise Problem(400, "upload_unreadable", "the tar archive is damaged") from None
    return out


def unpack(data: bytes, target: Path, max_bytes: int, max_files: int) -> tuple[str, Path]:
    """Unpack ``data`` into ``target``; (sha256 of the archive, the policy folder inside it)."""
    if not data:
        raise Problem(400, "upload_empty", "the body is empty: send a zip or tar of one policy folder")
    members = _members(data)
    if len(members) > max_files:
        raise Problem(413, "upload_too_many_files", f"the archive holds more than {max_files} files")
    total = 0
    for name, size, read in members:
        rel = _safe_name(name)
        if rel is None:
            raise Problem(422, "upload_unsafe", "the archive holds a path that leaves its folder (absolute or ..)")
        if not rel.endswith(KEPT):
            continue
        total += size
        if total > max_bytes * 8:
            raise Problem(413, "upload_too_big", f"the archive unpacks to more than {max_bytes * 8} bytes")
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            content = read()
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError):
            raise Problem(400, "upload_unreadable", "a file in the archive cannot be read") from None
        if len(content) != size:
            raise Problem(400, "upload_unreadable", "a file in the archive is damaged")
        dest.write_bytes(content)
    found = sorted(target.glob("**/policy.yaml"), key=lambda p: (len(p.parts), str(p)))
    found = [p for p in found if "tests" not in p.relative_to(target).parts]
    if not found:
        raise Problem(422, "upload_no_policy", "the archive holds no policy.yaml: zip or tar the policy's folder")
    folder = found[0].parent
    _check_extends(folder, target)
    return hashlib.sha256(data).hexdigest(), folder


def _check_extends(folder: Path, target: Path) -> None:
    """A layer in an upload extends a bundled region by name, or a folder inside the upload: nothing else on disk."""
    from .. import _yaml

    doc, _ = _yaml.load_file(folder / "policy.yaml")
    meta = doc.value.get("policy") if doc is not None and isinstance(doc.value, dict) else None
    parent = meta.get("extends") if isinstance(meta, dict) else None
    if isinstance(parent, str) and ("/" in parent or "\\" in parent or parent.startswith(".")):
        resolved = (folder / parent).resolve()
        if not resolved.is_relative_to(target.resolve()):
            raise Problem(422, "upload_unsafe",
                          "policy.yaml extends a folder outside the upload: extend a bundled region by name, "
                          "or put the parent folder in the archive too")
