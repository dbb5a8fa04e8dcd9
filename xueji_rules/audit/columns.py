"""The column map: a registry's own column names → fact paths (``--columns MAP.yaml``).

A registry exports its students with its own column names (``缺课课时``, ``HOURS_MISSED``);
the map says which fact each one holds, so the export is audited as it is::

    # columns.yaml
    id: 学籍号                       # the column that identifies a student (optional)
    columns:
      学段: student.stage
      年级: student.grade
      缺课课时: absence.class_hours_missed
      证明材料: evidence.documents

Every target must be a fact path of the vocabulary (docs/facts.md): an unknown one is an
error with a "did you mean", as for facts. A column of the file named by a fact path needs
no entry; a column that looks like a fact path (it has a dot) but is none is an error too,
so that a misspelt header never silently drops a fact.
"""

from __future__ import annotations

import attrs

from ..errors import Diagnostic, XuejiError, did_you_mean
from ..facts.vocabulary import FACTS

#: the columns taken as the student's id when the map names none, first found wins
ID_COLUMNS = ("id", "student_id", "student.id", "学籍号", "学号")


class AuditError(XuejiError):
    """A user error in an audit's arguments, column map or input file (exit 2)."""

    code = "audit_usage"


@attrs.frozen
class ColumnMap:
    """``columns``: {file column: fact path}; ``id``: the id column, or None to look for one of ID_COLUMNS."""

    columns: dict = attrs.field(factory=dict)
    id: str | None = None

    def fact_columns(self, header: list[str]) -> dict[str, str]:
        """{file column: fact path} for the columns of ``header`` that hold facts; AuditError for a bad header."""
        found, problems = {}, []
        targets = {}
        for name in header:
            if name in self.columns:
                path = self.columns[name]
            elif name in FACTS:
                path = name
            elif "." in name and name != self.id and name not in ID_COLUMNS:
                hint = did_you_mean(name, FACTS)
                problems.append(Diagnostic("unknown_fact", "the column is named like a fact path, but no fact has "
                                           "that path", path=name,
                                           hint=hint or "map it to a fact with --columns, or rename it"))
                continue
            else:
                continue
            if path in targets:
                problems.append(Diagnostic("duplicate_fact", f"the columns '{targets[path]}' and '{name}' both hold "
                                           "this fact", path=path, hint="keep one of them"))
                continue
            targets[path] = name
            found[name] = path
        if problems:
            raise AuditError("the students file's columns do not match the facts", tuple(problems))
        return found

    def id_column(self, header: list[str]) -> str | None:
        if self.id is not None:
            if self.id not in header:
                raise AuditError(f"the id column '{self.id}' is not in the students file"
                                 + _hint(self.id, header))
            return self.id
        return next((c for c in ID_COLUMNS if c in header), None)


def _hint(name: str, choices) -> str:
    hint = did_you_mean(name, choices)
    return f" ({hint})" if hint else ""


def load_column_map(path: str | None, id_column: str | None = None) -> ColumnMap:
    """The map in the YAML file at ``path`` (none: fact-path columns only); ``id_column`` overrides its ``id``."""
    if path is None:
        return ColumnMap(id=id_column)
    from .._yaml import load_file

    doc, diags = load_file(path)
    if doc is None or diags:
        raise AuditError(f"cannot read the column map {path}", tuple(diags))
    data = doc.value
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AuditError(f"the column map {path} must be a mapping with `columns:` (and optionally `id:`)")
    unknown = [k for k in data if k not in ("columns", "id")]
    if unknown:
        raise AuditError(f"the column map {path} has an unknown key '{unknown[0]}'"
                         + _hint(str(unknown[0]), ["columns", "id"]) + " (it takes `columns:` and `id:`)")
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        raise AuditError(f"`columns:` in {path} must map the file's column names to fact paths")
    problems = []
    for name, target in columns.items():
        where = doc.positions.get(("columns", name), (None, None))
        if not isinstance(target, str) or target not in FACTS:
            hint = did_you_mean(target, FACTS) if isinstance(target, str) else None
            problems.append(Diagnostic("unknown_fact", f"the column '{name}' is mapped to no fact of the vocabulary",
                                       path, where[0], where[1], path=f"columns.{name}",
                                       hint=hint or "see `xueji questions REGION` for the facts each question reads"))
    seen: dict[str, str] = {}
    for name, target in columns.items():
        if isinstance(target, str) and target in seen:
            problems.append(Diagnostic("duplicate_fact", f"the columns '{seen[target]}' and '{name}' are both mapped "
                                       "to this fact", path, path=target, hint="map one column to each fact"))
        seen[str(target)] = str(name)
    if problems:
        raise AuditError(f"the column map {path} is not valid", tuple(problems))
    ident = data.get("id")
    if ident is not None and not isinstance(ident, str):
        raise AuditError(f"`id:` in {path} names one column of the students file")
    return ColumnMap({str(k): v for k, v in columns.items()}, id_column or ident)
