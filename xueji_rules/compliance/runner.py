"""Run compliance cases against a policy and report which articles they cover.

``run_case(policy, case)`` answers one case and compares the Decision with what
the case wants; ``run_suite(path)`` runs every case file of a policy folder (or
one case file, or a folder of case files with ``policy=``) and computes article
coverage: an article is *covered* when some passing case has a rule citing it
``held`` and some passing case has one ``failed``. Every article in the policy
is reported, those no rule cites as "not encoded"; each with the layer whose text
it is (a county's notice over its province: ``ArticleCoverage.layer``).

A student-ID layout counts as a rule citing its article: a passing case in which a
valid number decodes by it is *held*, one in which a wrong number is rejected (by
the layouts of the case's stage, or by all) is *failed*.

Cross-region case files are run by ``cross_region.run_cross_suite``.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from ..decision import Decision
from ..errors import CaseFileError, Diagnostic, PolicyError, XuejiError
from ..evaluate import evaluate
from ..facts.input import read_facts
from ..load import load_policy
from ..locate import REGION_NAME, resolve
from ..policy import Policy
from ..student_id import parse_student_id
from .cases import Case, IdCase, case_files, load_case_file, policy_folder_of


@attrs.frozen
class CaseResult:
    """How one case came out: passed, and each mismatch as a message."""

    case: Case
    passed: bool
    messages: tuple = ()
    #: which expectations failed: outcome, failed, held, certificate, missing, approvers, error
    mismatches: tuple = ()
    decision: Decision | None = attrs.field(default=None, eq=False, repr=False)
    error: Exception | None = attrs.field(default=None, eq=False, repr=False)
    #: (article, held|failed) seen by a case without a Decision (a student-ID case)
    statuses: tuple = ()

    def to_dict(self) -> dict:
        c = self.case
        d = {
            "file": c.file, "line": c.line, "note": c.note, "question": c.question,
            "on": c.on.isoformat() if c.on else None,
            "passed": self.passed, "mismatches": list(self.mismatches), "messages": list(self.messages),
            "outcome": self.decision.outcome if self.decision else None,
            "error": getattr(self.error, "code", type(self.error).__name__) if self.error else None,
        }
        if getattr(c, "region", None):
            d["region"] = c.region
        return d


@attrs.frozen
class ArticleCoverage:
    """Whether the cases saw a rule citing the article both hold and fail."""

    article: str
    rules: tuple  # "question.rule_id" of every rule citing it ("student_id.layout" for an ID layout)
    held: int  # passing cases in which a rule citing it held
    failed: int  # passing cases in which a rule citing it failed
    layer: str | None = None  # the policy (layer) whose text the article is
    parameters: tuple = ()  # parameters whose value (in some layer) cites it
    repeals: tuple = ()  # "question.rule" of the rules a layer repeals citing it

    @property
    def encoded(self) -> bool:
        return bool(self.rules or self.parameters or self.repeals)

    @property
    def covered(self) -> bool:
        return self.held > 0 and self.failed > 0

    @property
    def status(self) -> str:
        return "not encoded" if not self.encoded else ("yes" if self.covered else "no")

    def to_dict(self) -> dict:
        return {"article": self.article, "layer": self.layer, "rules": list(self.rules),
                "parameters": list(self.parameters), "repeals": list(self.repeals), "held": self.held,
                "failed": self.failed, "covered": self.covered, "encoded": self.encoded}


@attrs.frozen
class Problem:
    """A file whose cases could not run (the policy or the case file is invalid)."""

    file: str
    error: XuejiError = attrs.field(eq=False)

    @property
    def diagnostics(self) -> tuple:
        return self.error.diagnostics or (Diagnostic(self.error.code, self.error.message, self.file),)


@attrs.frozen
class SuiteResult:
    """Every case run for one policy, the files that could not run, and article coverage."""

    folder: str
    policy: Policy | None = attrs.field(eq=False, repr=False)
    files: tuple = ()
    results: tuple = ()  # CaseResult
    problems: tuple = ()  # Problem
    coverage: tuple = ()  # ArticleCoverage
    #: for a cross-region suite: the regions its cases name (the suite has no single policy)
    regions: tuple = ()

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        """Failed cases, plus one for each file whose cases could not run."""
        return sum(1 for r in self.results if not r.passed) + len(self.problems)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict:
        return {
            "policy": self.policy.id if self.policy else None,
            "folder": self.folder,
            "files": list(self.files),
            "passed": self.passed,
            "failed": self.failed,
            "cases": [r.to_dict() for r in self.results],
            "problems": [{"file": p.file, "code": p.error.code, "diagnostics": [d.to_dict() for d in p.diagnostics]}
                         for p in self.problems],
            "coverage": [c.to_dict() for c in self.coverage],
            **({"regions": list(self.regions)} if self.regions else {}),
        }

    def by_layer(self) -> list:
        """Coverage grouped by the layer whose text each article is: [(LayerInfo or None, [ArticleCoverage])]."""
        if self.policy is None:
            return []
        groups: dict = {}
        for c in self.coverage:
            groups.setdefault(c.layer, []).append(c)
        layers = {l.id: l for l in self.policy.layers}
        order = [l.id for l in self.policy.layers] + [k for k in groups if k not in layers]
        return [(layers.get(k), groups[k]) for k in order if k in groups]


def _ids(ids) -> str:
    return "[" + ", ".join(ids) + "]"


def _got(d: Decision) -> str:
    return f"got: outcome {d.outcome} (status {d.status}); failed {_ids(d.failed)}; held {_ids(d.held)}"


def _codes(err: XuejiError) -> set:
    return {err.code} | {d.code for d in err.diagnostics}


def run_id_case(policy: Policy, case: IdCase) -> CaseResult:
    """Decode a student-ID case's number and compare the layout and parts (or the error)."""
    want = case.want
    layouts = [l for l in policy.student_ids.values() if case.stage is None or case.stage in l.stages]
    try:
        sid = parse_student_id(policy, case.number, case.stage)
    except XuejiError as err:
        first = str(err).split("\n")[0]
        detail = "; ".join(d.message for d in err.diagnostics) or first
        if want.error is not None:
            if want.error in _codes(err):
                return CaseResult(case, True, (), (), None, err,
                                  tuple((l.article.id, "failed") for l in layouts))
            return CaseResult(case, False, (f"error: expected {want.error}, got {err.code}: {detail}",), ("error",), None, err)
        return CaseResult(case, False, (f"layout: expected {want.layout}, got error {sorted(_codes(err))[-1]}: {detail}",),
                          ("error",), None, err)
    found = []
    if want.error is not None:
        found.append(("error", f"error: expected {want.error}, got layout {sid.layout}"))
    else:
        if sid.layout != want.layout:
            found.append(("layout", f"layout: expected {want.layout}, got {sid.layout}"))
        got = {p.name: p.value for p in sid.parts}
        wrong = [f"{k} expected {v!r}, got {got.get(k)!r}" for k, v in want.parts if got.get(k) != v]
        if wrong:
            found.append(("parts", "parts: " + "; ".join(wrong)))
    if found:
        return CaseResult(case, False, tuple(m for _, m in found), tuple(k for k, _ in found))
    return CaseResult(case, True, (), (), None, None, ((policy.student_ids[sid.layout].article.id, "held"),))


def run_case(policy: Policy, case: Case) -> CaseResult:
    """Answer ``case`` with ``policy`` and compare; never raises for a XuejiError (it is compared too)."""
    if isinstance(case, IdCase):
        return run_id_case(policy, case)
    want = case.want
    try:
        facts = read_facts(case.facts, source=case.file, positions=case.positions)
        decision = evaluate(policy, case.question, facts, case.on, getattr(case, "calendar", None),
                            getattr(case, "readings", None) or None)
    except XuejiError as err:
        first = str(err).split("\n")[0]
        if want.error is not None:
            if want.error in _codes(err):
                return CaseResult(case, True, (), (), None, err)
            return CaseResult(case, False, (f"error: expected {want.error}, got {err.code}: {first}",), ("error",), None, err)
        return CaseResult(case, False, (f"outcome: expected {want.outcome}, got error {err.code}: {first}",),
                          ("error",), None, err)

    found: list[tuple[str, str]] = []
    if want.error is not None:
        found.append(("error", f"error: expected {want.error}, got outcome {decision.outcome}"))
    if want.outcome is not None and decision.outcome != want.outcome:
        found.append(("outcome", f"outcome: expected {want.outcome}, got {decision.outcome}"))
    if want.norm is not None and decision.norm != want.norm:
        found.append(("norm", f"norm: expected {want.norm}, got {decision.norm}"))
    if want.status is not None and decision.status != want.status:
        found.append(("status", f"status: expected {want.status}, got {decision.status}"))
    if want.awaiting is not None:
        pending = frozenset(a.party for a in decision.awaiting)
        if pending != want.awaiting:
            found.append(("awaiting", f"awaiting: expected exactly {_ids(sorted(want.awaiting))}, got {_ids(sorted(pending))}"))
    if want.failed is not None and frozenset(decision.failed) != want.failed:
        found.append(("failed", f"failed: expected exactly {_ids(sorted(want.failed))}, got {_ids(decision.failed)}"))
    if want.held is not None:
        held = set(decision.held)
        absent = [rid for rid in want.held if rid not in held]
        if absent:
            status = {r.id: r.status for r in decision.rules}
            shown = ", ".join(f"{rid} ({status.get(rid, 'absent')})" for rid in absent)
            found.append(("held", f"held: expected at least {_ids(want.held)} to hold; not held: {shown}"))
    if want.check_certificate and decision.certificate != want.certificate:
        found.append(("certificate", f"certificate: expected {want.certificate}, got {decision.certificate}"))
    if want.missing is not None:
        absent = [p for p in want.missing if p not in decision.missing_facts]
        if absent:
            found.append(("missing", f"missing: expected at least {_ids(want.missing)} reported missing, "
                                     f"got {_ids(decision.missing_facts)}"))
    if want.approvers is not None:
        absent = [a for a in want.approvers if a not in decision.approvers]
        if absent:
            found.append(("approvers", f"approvers: expected at least {_ids(want.approvers)}, got {_ids(decision.approvers)}"))
    if want.deadlines is not None:
        for key, date in want.deadlines:
            candidates = [d for d in decision.deadlines if key in (d.title, d.rule)]
            if not candidates:
                shown = ", ".join(f"{d.rule}: {d.title}" for d in decision.deadlines) or "none"
                found.append(("deadlines", f"deadlines: expected one named {key}; the decision has {shown}"))
            elif not any(d.date == date for d in candidates):
                got = ", ".join(d.date.isoformat() if d.date else "cannot be given" for d in candidates)
                want_text = date.isoformat() if date else "cannot be given"
                found.append(("deadlines", f"deadlines: {key} expected {want_text}, got {got}"))
    if want.check_why:
        from ..compare import deciding_rule

        rule = deciding_rule(decision)
        got = rule.article if rule is not None else None
        if got != want.why:
            found.append(("why", f"why: expected the answer to rest on {want.why}, it rests on {got}"
                                 + (f" (rule {rule.id}, {rule.status})" if rule is not None else " (no rule decides)")))
    messages = [m for _, m in found] + ([_got(decision)] if found else [])
    return CaseResult(case, not found, tuple(messages), tuple(k for k, _ in found), decision, None)


def coverage(policy: Policy, results) -> tuple:
    """Per article of the policy: how many passing cases saw a rule citing it hold, and fail.

    A rule's status also counts for the article of each parameter value it read (a
    county's changed threshold is covered by the rules that use it); a layer's repeal
    counts as held in a case dated on or after it (the rule no longer applies) and
    failed in one dated before (the rule still applies); a student-ID case counts for
    its layouts' articles.
    """
    citing: dict[str, list] = {a: [] for a in policy.articles}
    by_param: dict[str, list] = {}
    by_repeal: dict[str, list] = {}
    rules_of: dict[str, dict] = {}
    repealed: dict[str, list] = {}  # question -> [(rule, article, date)]
    for q in policy.questions.values():
        rules_of[q.id] = {r.id: r for r in q.rules}
        for r in q.rules:
            citing.setdefault(r.article.id, []).append(f"{q.id}.{r.id}")
            if r.repealed_by:
                _, art, day = r.repealed_by
                by_repeal.setdefault(art, []).append(f"{q.id}.{r.id}")
                repealed.setdefault(q.id, []).append((r.id, art, day))
    for layout in policy.student_ids.values():
        citing.setdefault(layout.article.id, []).append(f"student_id.{layout.name}")
    read = {name for q in policy.questions.values() for r in q.rules for name in r.parameters}
    for prm in policy.parameters.values():
        if prm.name not in read:  # only in deadlines, or unused: no rule's status can cover it
            continue
        for src in prm.sources:
            if prm.name not in by_param.setdefault(src.article, []):
                by_param[src.article].append(prm.name)

    def param_article(name: str, on) -> str | None:
        prm = policy.parameters.get(name)
        if prm is None or not prm.values:
            return None
        start = None
        for d, _ in prm.values:
            if d <= on:
                start = d
        src = prm.source_of(start) if start is not None else None
        return src.article if src else prm.article

    held: dict[str, int] = {}
    failed: dict[str, int] = {}
    for res in results:
        if not res.passed:
            continue
        seen_held, seen_failed = set(), set()
        if res.decision is None:
            seen_held = {a for a, st in res.statuses if st == "held"}
            seen_failed = {a for a, st in res.statuses if st == "failed"}
        else:
            d = res.decision
            known = rules_of.get(d.question, {})
            for r in d.rules:
                if r.status not in ("held", "failed"):
                    continue
                target = seen_held if r.status == "held" else seen_failed
                rule = known.get(r.id)
                target.add(rule.article.id if rule else r.article)
                for name in (rule.parameters if rule else ()):
                    art = param_article(name, d.on)
                    if art is not None:
                        target.add(art)
            status = {r.id: r.status for r in d.rules}
            for rid, art, day in repealed.get(d.question, ()):
                if d.on >= day:
                    seen_held.add(art)
                elif status.get(rid) in ("held", "failed"):
                    seen_failed.add(art)
        for a in seen_held:
            held[a] = held.get(a, 0) + 1
        for a in seen_failed:
            failed[a] = failed.get(a, 0) + 1
    layer = {a: art.layer for a, art in policy.articles.items()}
    return tuple(
        ArticleCoverage(a, tuple(citing[a]), held.get(a, 0), failed.get(a, 0), layer.get(a),
                        tuple(by_param.get(a, ())), tuple(by_repeal.get(a, ())))
        for a in citing
    )


def _locate(path: Path, policy) -> tuple[Path, list[Path]]:
    """(policy folder, case files) for a policy folder, a tests folder, a case file or a region name."""
    if path.is_file():
        folder = policy_folder_of(path) if policy is None else None
        if policy is None and folder is None:
            raise CaseFileError(f"cannot tell which policy {path} tests", (Diagnostic(
                "no_policy", "the file is not inside a policy's tests/ folder", str(path),
                hint="put it under policies/<region>/tests/, or name the policy (--policy REGION)"),))
        return folder, [path]
    if path.is_dir():
        if (path / "policy.yaml").is_file():
            return path, case_files(path / "tests") if (path / "tests").is_dir() else []
        if path.name == "tests" and (path.parent / "policy.yaml").is_file():
            return path.parent, case_files(path)
        if policy is not None:
            return None, case_files(path)
    return resolve(path.as_posix() if path.parts and not path.is_absolute() else str(path)), None


def run_suite(path: str | os.PathLike, policy: str | os.PathLike | Policy | None = None) -> SuiteResult:
    """Run the compliance cases at ``path``: a policy folder or region name (its ``tests/``),
    a ``tests`` folder, one case file, or any folder of case files when ``policy`` names the policy.

    Raises UnknownRegionError when ``path`` is none of these, CaseFileError
    (code ``no_policy``) for a case file outside a policy with no ``policy``.
    An invalid policy or case file is not raised: it is a Problem in the result.
    """
    folder, files = _locate(Path(path), policy)
    if files is None:  # a region name
        files = case_files(folder / "tests") if (folder / "tests").is_dir() else []
    if policy is not None and not isinstance(policy, Policy):
        # `xueji test … --policy X`: a region name, or (explicitly given) a policy folder
        given = Path(policy)
        folder = given.resolve() if (given / "policy.yaml").is_file() and not REGION_NAME.fullmatch(str(policy)) \
            else resolve(str(policy) if isinstance(policy, str) else given)
    elif isinstance(policy, Policy):
        folder = Path(policy.folder) if policy.folder else folder
    shown = [str(f) for f in files]
    try:
        pol = policy if isinstance(policy, Policy) else load_policy(folder)
    except PolicyError as err:
        return SuiteResult(str(folder), None, tuple(shown), (), (Problem(str(folder), err),), ())
    results, problems = [], []
    for f in files:
        try:
            cases = load_case_file(f, pol)
        except CaseFileError as err:
            problems.append(Problem(str(f), err))
            continue
        for case in cases:
            try:
                results.append(run_case(pol, case))
            except Exception as exc:  # an engine bug: report it as this case's failure, keep going
                results.append(CaseResult(case, False, (f"internal error: {type(exc).__name__}: {exc}",),
                                          ("internal",), None, exc))
    return SuiteResult(str(folder), pol, tuple(shown), tuple(results), tuple(problems), coverage(pol, results))
