"""Cross-region compliance cases: the same facts, a different cited answer in each region.

A cross-region case file lives in a folder named ``cross_region`` (the project's are
``tests/cross_region/*.yaml``). It names one question, a date and facts like a
policy's case file, and gives ``want`` for each region by name::

    question: suspension
    on: 2025-03-03
    facts:                       # base facts, deep-merged under each case's facts
      student: {stage: junior, grade: 8}
    cases:
      - note: 初中因病缺课 230 学时
        facts: {absence: {reason: illness, class_hours_missed: 230, still_unable_to_attend: true}}
        want:
          jiangsu:  {outcome: allowed_with_approval, failed: [], why: 第一部分第十六条}
          shandong: {outcome: denied, failed: [long_illness], why: 第十七条}

A region is a bundled region name (``jiangsu``, ``shandong/jinxiang``) or a policy
folder relative to the case file (``../policies/tiny``). Each region's ``want`` takes
the keys of an ordinary case (``outcome``, ``failed``, ``held``, ``certificate``,
``missing``, ``approvers``, ``error``) and **must** say ``why``: the article the
answer rests on (``compare.deciding_rule``: the first failed rule's article, else
the first held ground's), or ``null`` when no rule decides. The runner checks it
against the Decision, so every answer is cited.

``regions:`` at the top of a file may list regions every case must cover.
A region whose policy does not load is one problem per file (its cases for that
region did not run), not a crash; the other regions still run.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from .. import _yaml
from ..errors import CaseFileError, Diagnostic, PolicyError, UnknownRegionError, XuejiError, did_you_mean
from ..load import load_policy
from ..locate import find, policies_root, regions as bundled_regions, resolve
from .cases import Case, YAML_SUFFIXES, _FactPositions, _Reader, deep_merge
from .runner import CaseResult, Problem, SuiteResult, run_case

FOLDER = "cross_region"
FILE_KEYS = ("question", "on", "facts", "regions", "cases")
CASE_KEYS = ("note", "facts", "on", "want")


@attrs.frozen
class CrossCase:
    """One set of facts and what each region must answer for it."""

    file: str
    line: int | None
    index: int
    note: str
    question: str
    on: object
    facts: dict = attrs.field(hash=False)
    wants: tuple = ()  # (region, Want), in the file's order
    positions: object = attrs.field(default=None, eq=False, repr=False, hash=False)

    @property
    def regions(self) -> tuple:
        return tuple(r for r, _ in self.wants)

    def for_region(self, region: str) -> Case:
        """The ordinary case this one is in ``region``."""
        want = dict(self.wants)[region]
        return Case(self.file, self.line, self.index, self.note, self.question, self.on, self.facts, want,
                    self.positions, region)


def is_cross_region_file(path: str | os.PathLike) -> bool:
    """A YAML file inside a folder named ``cross_region``."""
    p = Path(path)
    return p.suffix in YAML_SUFFIXES and p.is_file() and FOLDER in p.absolute().parent.parts


def cross_region_files(folder: str | os.PathLike) -> list[Path]:
    root = Path(folder)
    return sorted(f for f in root.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file())


def default_folder() -> Path | None:
    """The project's cross-region cases beside the bundled policies (a checkout), if there are any."""
    folder = policies_root().parent / "tests" / FOLDER
    return folder if folder.is_dir() else None


def region_folder(region: str, file: str | os.PathLike) -> Path:
    """The policy folder a region key names, seen from the case file: a relative folder, else a bundled region."""
    near = Path(file).parent / region
    if (near / "policy.yaml").is_file():
        return near.resolve()
    return resolve(region)


def _known_region(region: str, file) -> bool:
    """Whether the key names a region at all (ready or not): a policy folder, or a folder under policies/."""
    if (Path(file).parent / region / "policy.yaml").is_file():
        return True
    return (policies_root() / region).is_dir() or find(region) is not None or region in bundled_regions()


class _CrossReader(_Reader):
    def __init__(self, doc, policies: dict):
        super().__init__(doc, None)
        self.policies = policies  # region -> Policy (those that load)

    def read_cross(self) -> list[CrossCase]:
        doc = self.doc
        top, question = self.file_header("a cross-region case file", FILE_KEYS)
        if top is None:
            return []
        default_on = self.date(top["on"], ("on",)) if "on" in top else None
        base = self.facts(top.get("facts"), ("facts",))
        required = top.get("regions") or []
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            self.diag("bad_type", "regions must be a list of region names", ("regions",))
            required = []
        for j, r in enumerate(required):
            self.region_key(r, ("regions", j))
        raw_cases = self.case_list(top)
        if raw_cases is None:
            return []
        out, notes = [], {}
        for i, raw in enumerate(raw_cases):
            path = ("cases", i)
            if not isinstance(raw, dict):
                self.diag("bad_type", "a case must be a mapping with note, facts and want", path)
                continue
            raw = doc.value["cases"][i]
            before = len(self.diags)
            self.keys(raw, CASE_KEYS, path)
            note = self.case_note(raw, path, notes)
            on = self.case_date(raw, path, top, default_on)
            facts = self.facts(raw.get("facts"), path + ("facts",))
            wants = self.region_wants(raw, path, question, required)
            if len(self.diags) > before or None in (note, question, on, facts, base, wants):
                continue
            line, _ = doc.where(path)
            out.append(CrossCase(doc.file, line, i, note, question, on, deep_merge(base, facts), wants,
                                 _FactPositions(doc, path + ("facts",), ("facts",))))
        return out

    def region_key(self, region, path) -> bool:
        if not isinstance(region, str) or not _known_region(region, self.doc.file):
            known = bundled_regions()
            hint = did_you_mean(str(region), known)
            self.diag("unknown_region", f"no region {region!r}", path,
                      ((hint + " ") if hint else "") + "write a bundled region (" + ", ".join(known)
                      + ") or a policy folder relative to this file")
            return False
        return True

    def region_wants(self, raw: dict, path: tuple, question, required) -> tuple | None:
        wpath = path + ("want",)
        if "want" not in raw:
            self.diag("missing_key", "'want' is required here", path,
                      "give each region's answer: `want: {jiangsu: {outcome: …, why: …}, …}`")
            return None
        w = raw["want"]
        if not isinstance(w, dict) or not w:
            self.diag("empty_want" if not w else "bad_type",
                      "want must map each region to its answer, e.g. {jiangsu: {outcome: allowed, why: 第五条}}", wpath)
            return None
        out = []
        for region, body in w.items():
            rpath = wpath + (region,)
            if not self.region_key(region, rpath):
                continue
            policy = self.policies.get(region)
            rules = None
            if policy is not None and question is not None:
                q = policy.questions.get(question)
                if q is None:
                    self.diag("unknown_question", f"{policy.id} has no question '{question}'", rpath,
                              "questions: " + ", ".join(policy.questions))
                    continue
                rules = {r.id: r for r in q.rules}
            if isinstance(body, dict) and "why" not in body and "error" not in body:
                self.diag("missing_why", f"the answer for {region} does not say which article it rests on", rpath,
                          "add `why: <article>` (the first failed rule's article, else the first held ground's), "
                          "or `why: null` when no rule decides")
            want = self.want_body(body, rpath, rules, policy)
            if want is not None:
                out.append((region, want))
        missing = [r for r in required if r not in w]
        if missing:
            self.diag("missing_region", f"the case gives no answer for {', '.join(missing)}", wpath,
                      "every region listed under `regions:` needs a want")
        return tuple(out)


def check_cross_file(path, policies: dict | None = None) -> tuple[list, list]:
    """(cases, diagnostics) of a cross-region file; with ``policies`` (region -> Policy) rule ids,
    questions and articles are checked against each region's policy too."""
    doc, errors = _yaml.load_file(path)
    if doc is None or errors:
        return [], list(errors)
    reader = _CrossReader(doc, policies or {})
    cases = reader.read_cross()
    return cases, sorted(reader.diags, key=lambda d: (d.line or 0, d.column or 0, d.code))


def load_cross_file(path, policies: dict | None = None) -> tuple:
    cases, diags = check_cross_file(path, policies)
    if diags:
        raise CaseFileError(f"the cross-region case file {path} is not valid", tuple(diags))
    return tuple(cases)


def _regions_of(path) -> list[str]:
    """The region keys a file names (for loading their policies before the full check)."""
    doc, errors = _yaml.load_file(path)
    if doc is None or errors or not isinstance(doc.value, dict):
        return []
    keys: dict = {}
    for r in doc.value.get("regions") or []:
        if isinstance(r, str):
            keys[r] = None
    for c in doc.value.get("cases") or []:
        if isinstance(c, dict) and isinstance(c.get("want"), dict):
            for r in c["want"]:
                if isinstance(r, str):
                    keys[r] = None
    return list(keys)


def load_region_policies(path, registry=None) -> tuple[dict, dict]:
    """({region: Policy} for those that load, {region: XuejiError} for those that do not)."""
    ok, broken = {}, {}
    for region in _regions_of(path):
        try:
            folder = region_folder(region, path)
        except UnknownRegionError:
            if _known_region(region, path):  # a folder under policies/ without policy.yaml yet
                broken[region] = UnknownRegionError(f"{region} is not ready: it has no policy.yaml yet")
            continue  # unknown names are diagnostics of the file
        try:
            ok[region] = load_policy(folder, registry=registry)
        except PolicyError as exc:
            broken[region] = exc
    return ok, broken


def run_cross_file(path, registry=None) -> tuple[list, list]:
    """(CaseResult for each case in each region, Problem for the file or each region that could not run)."""
    policies, broken = load_region_policies(path, registry)
    try:
        cases = load_cross_file(path, policies)
    except CaseFileError as err:
        return [], [Problem(str(path), err)]
    problems = []
    for region, exc in broken.items():
        n = sum(1 for c in cases if region in c.regions)
        err = exc if isinstance(exc, XuejiError) else XuejiError(str(exc))
        problems.append(Problem(str(path), _not_run(region, err, n)))
    results = []
    for case in cases:
        for region in case.regions:
            policy = policies.get(region)
            if policy is None:
                continue
            c = case.for_region(region)
            try:
                results.append(run_case(policy, c))
            except Exception as exc:  # an engine bug: this case's failure, the rest still run
                results.append(CaseResult(c, False, (f"internal error: {type(exc).__name__}: {exc}",), ("internal",), None, exc))
    return results, problems


def _not_run(region: str, err: XuejiError, n: int) -> XuejiError:
    first = err.message.split("\n")[0]
    diags = err.diagnostics or (Diagnostic(err.code, first),)
    out = type(err)(f"{region}: its policy does not load, so {n} case{'s' if n != 1 else ''} did not run for it ({first})",
                    tuple(diags))
    return out


def run_cross_suite(path, registry=None) -> SuiteResult:
    """Run a cross-region case file, or every one in a folder."""
    p = Path(path)
    files = [p] if p.is_file() else cross_region_files(p)
    results, problems, regions = [], [], {}
    for f in files:
        r, pr = run_cross_file(f, registry)
        results += r
        problems += pr
        for region in _regions_of(f):
            regions[region] = None
    return SuiteResult(str(p), None, tuple(str(f) for f in files), tuple(results), tuple(problems), (), tuple(regions))
