"""Stage 1, read: a policy folder and every policy it extends, merged section by section.

Files are read in sorted order (``policy.yaml``, ``*.yaml``, ``questions/*.yaml``), each
checked against the policy JSON Schema, and their sections merged by layer; the content
hash is taken over the bytes. Nothing here judges meaning: that is ``meaning.py``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from pathlib import Path

import attrs

from .. import _yaml
from ..errors import Diagnostic, UnknownRegionError
from ..locate import policy_files, resolve
from ..schema_check import _schema_errors


def _to_date(value) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return _dt.date.fromisoformat(value)
    return None


@attrs.define
class Layer:
    """One policy folder in a chain of layers (a province, then a county over it)."""

    index: int
    folder: Path
    meta: dict | None = None
    meta_doc: object = None
    calendar: tuple | None = None
    repeals: list = attrs.Factory(list)
    omitted: list = attrs.Factory(list)  # (body, doc, path) of each `omitted:` entry
    source_text: str | None = None
    sections: tuple = ()  # (article id, text) of the source, with article_heading
    effective_from: _dt.date | None = None

    @property
    def id(self) -> str:
        return str(self.meta["id"]) if self.meta else self.folder.name


class ReadStage:
    """Reading the folder and its layers (mixed into the loader: uses ``self.diags``, ``self.layers`` …)."""

    def read(self) -> str:
        """Read the folder and, first, every policy it extends; merge their sections by layer."""
        digest = hashlib.sha256()
        self.layers = []
        chain, seen = [self.folder], {self.folder.resolve()}
        while True:
            meta, meta_doc = self._peek_meta(chain[0])
            parent = meta.get("extends") if isinstance(meta, dict) else None
            if not parent:
                break

            def at_extends(code, message, hint=None, folder=chain[0]):
                # point at the `extends:` line when the file could be read
                if meta_doc is not None:
                    self.diags.append(meta_doc.diagnostic(code, message, ("policy", "extends"), hint))
                else:
                    self.diags.append(Diagnostic(code, message, str(folder / "policy.yaml"), hint=hint))

            try:
                # a folder relative to the layer (`extends: ..`), else a bundled region's name
                near = chain[0] / str(parent)
                folder = near.resolve() if (near / "policy.yaml").is_file() else resolve(parent)
            except UnknownRegionError as exc:
                at_extends("unknown_parent", f"{chain[0].name} extends '{parent}': {exc}",
                           "name a folder relative to this one (extends: ../shandong) or a bundled region (extends: shandong)")
                break
            if folder.resolve() in seen:
                at_extends("extends_cycle", f"policies extend each other in a circle: {parent}")
                break
            seen.add(folder.resolve())
            chain.insert(0, folder)
        for index, folder in enumerate(chain):
            self._read_layer(folder, index, digest)
        return digest.hexdigest()

    def _peek_meta(self, folder: Path) -> tuple[dict, object]:
        """(the `policy:` section, its document) of a folder's policy.yaml; ({}, None) when unreadable.

        The parse is kept, so that reading the layer does not parse the file again.
        """
        path = folder / "policy.yaml"
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return {}, None
        doc, errors = _yaml.load_text(text, str(path))
        self.parsed[str(path)] = (text, doc, errors)
        value = doc.value if doc is not None and isinstance(doc.value, dict) else {}
        return (value.get("policy") if isinstance(value.get("policy"), dict) else {}), doc

    def _read_layer(self, folder: Path, index: int, digest) -> None:
        layer = Layer(index=index, folder=folder)
        self.layers.append(layer)
        files = policy_files(folder)
        if not (folder / "policy.yaml").is_file():
            self.diags.append(Diagnostic("missing_file", "the folder has no policy.yaml", str(folder)))
        inside = folder.resolve()
        for f in files:
            rel = f.relative_to(folder).as_posix()
            if not f.resolve().is_relative_to(inside):
                # a symlink that leaves the folder: a policy is what its own folder holds, nothing else
                self.diags.append(Diagnostic("file_outside_policy", f"{rel} links to a file outside the policy folder",
                                             str(f), hint="copy the file into the folder instead of linking to it"))
                continue
            data = f.read_bytes()
            digest.update(f"{index}:{rel}".encode() + b"\0" + data + b"\0")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                # never read a policy with replacement characters: quotes would silently not match
                self.diags.append(Diagnostic("file_encoding", f"not UTF-8 text: {exc.reason} at byte {exc.start}", str(f),
                                             hint="save the file as UTF-8"))
                continue
            cached = self.parsed.get(str(f))
            doc, errors = cached[1:] if cached is not None and cached[0] == text else _yaml.load_text(text, str(f))
            self.diags.extend(errors)
            if doc is None:
                continue
            if not isinstance(doc.value, dict):
                if doc.value is not None:
                    self.diag(doc, "bad_type", "a policy file must be a mapping of sections", (), "start with `parameters:`, `questions:` …")
                continue
            schema_errors = _schema_errors(doc)
            self.diags.extend(schema_errors)
            if schema_errors:
                # its sections are not merged; don't also report them as missing
                self.unchecked.update(doc.value)
                continue
            self.docs.append(doc)
            self.layer_of[id(doc)] = layer
            for section, body in doc.value.items():
                if section == "policy":
                    if layer.meta is not None:
                        self.diag(doc, "duplicate_section", f"`policy:` is also in {layer.meta_doc.file}", ("policy",))
                    layer.meta, layer.meta_doc = body, doc
                    continue
                if section == "calendar":
                    if layer.calendar is not None:
                        self.diag(doc, "duplicate_section", f"`calendar:` is also in {layer.calendar[1].file}", ("calendar",))
                    layer.calendar = (body, doc)
                    continue
                if section == "repeals":
                    layer.repeals.extend((r, doc, ("repeals", i)) for i, r in enumerate(body or []))
                    continue
                if section == "omitted":
                    layer.omitted.extend((r, doc, ("omitted", i)) for i, r in enumerate(body or []))
                    continue
                store = self.entries.setdefault(section, {})
                for name, value in (body or {}).items():
                    contributions = store.setdefault(name, [])
                    same_layer = [c for c in contributions if self.layer_of[id(c[1])] is layer]
                    if same_layer:
                        _, other, opath = same_layer[0]
                        line, col = other.where(opath)
                        self.diag(
                            doc, "duplicate_id",
                            f"{section}.{name} is defined twice; first in {other.file}:{line}:{col}",
                            (section, name), "rename one, or delete the repeat",
                        )
                        continue
                    contributions.append((value, doc, (section, name)))

    def read_sources(self, content_hash: str) -> str:
        """Each layer's regulation text (inside its folder) and first day; the content hash with the texts folded in."""
        for layer in self.layers:
            source_path = (layer.folder / layer.meta["regulation"]["source"]).resolve()
            spath = ("policy", "regulation", "source")
            if not source_path.is_relative_to(layer.folder.resolve()):
                self.diag(layer.meta_doc, "source_outside_policy",
                          f"the source text {layer.meta['regulation']['source']} is outside the policy folder", spath,
                          "keep the regulation's text inside the folder, e.g. source/regulation.txt")
            elif source_path.is_file():
                layer.source_text = source_path.read_text(encoding="utf-8")
                content_hash = hashlib.sha256((content_hash + hashlib.sha256(layer.source_text.encode()).hexdigest()).encode()).hexdigest()
            else:
                self.diag(layer.meta_doc, "missing_source", f"the source text {layer.meta['regulation']['source']} is not in the folder",
                          spath, "copy the regulation's text there, so that quotations can be checked")
            layer.effective_from = _to_date(layer.meta["regulation"]["effective_from"])
        return content_hash

    def check_layers(self) -> bool:
        """Whether every layer has its `policy:` section; if not, one missing_section per layer (unless already explained)."""
        top = self.layers[-1] if self.layers else None
        if top is None or top.meta is None or any(layer.meta is None for layer in self.layers):
            missing = [layer for layer in self.layers if layer.meta is None] or [None]
            for layer in missing:
                folder = layer.folder if layer else self.folder
                if "policy" not in self.unchecked and not any(d.code in ("yaml_syntax", "yaml_too_big", "missing_file") for d in self.diags):
                    self.diags.append(Diagnostic("missing_section", "no file of the policy has a `policy:` section", str(folder / "policy.yaml")))
            return False
        return True

    def single(self, section: str) -> dict:
        """Entries of a section that a layer may add to but not redefine: name -> (value, doc, path)."""
        out = {}
        for name, contributions in self.entries.get(section, {}).items():
            value, doc, path = contributions[0]
            for other, odoc, opath in contributions[1:]:
                self.diag(odoc, "duplicate_id",
                          f"{section}.{name} is already defined by {self.layer_of[id(doc)].id} ({doc.file})", opath,
                          "give it another name: a layer adds to the policy it extends, it does not redefine its "
                          + section)
            out[name] = (value, doc, path)
        return out
