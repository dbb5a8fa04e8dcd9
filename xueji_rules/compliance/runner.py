"""Run compliance cases against a policy and report which articles they cover.

``run_case(policy, case)`` answers one case and compares the Decision with what
the case wants; ``run_suite(path)`` runs every case file of a policy folder (or
one case file, or a folder of case files with ``policy=``) and computes article
coverage: an article is *covered* when some passing case has a rule citing it
``held`` and some passing case has one ``failed``. Every article in the policy
is reported, those no rule cites as "not encoded".
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from ..decision import Decision
from ..errors import CaseFileError, Diagnostic, PolicyError, XuejiError
from ..evaluate import evaluate
from ..facts.input import read_facts
from ..load import load_policy, resolve
from ..policy import Policy
from .cases import Case, case_files, load_case_file, policy_folder_of


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

    def to_dict(self) -> dict:
        c = self.case
        return {
            "file": c.file, "line": c.line, "note": c.note, "question": c.question, "on": c.on.isoformat(),
            "passed": self.passed, "mismatches": list(self.mismatches), "messages": list(self.messages),
            "outcome": self.decision.outcome if self.decision else None,
            "error": getattr(self.error, "code", type(self.error).__name__) if self.error else None,
        }


@attrs.frozen
class ArticleCoverage:
    """Whether the cases saw a rule citing the article both hold and fail."""

    article: str
    rules: tuple  # "question.rule_id" of every rule citing it
    held: int  # passing cases in which a rule citing it held
    failed: int  # passing cases in which a rule citing it failed

    @property
    def encoded(self) -> bool:
        return bool(self.rules)

    @property
    def covered(self) -> bool:
        return self.held > 0 and self.failed > 0

    @property
    def status(self) -> str:
        return "not encoded" if not self.encoded else ("yes" if self.covered else "no")

    def to_dict(self) -> dict:
        return {"article": self.article, "rules": list(self.rules), "held": self.held, "failed": self.failed,
                "covered": self.covered, "encoded": self.encoded}


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
        }


def _ids(ids) -> str:
    return "[" + ", ".join(ids) + "]"


def _got(d: Decision) -> str:
    return f"got: outcome {d.outcome}; failed {_ids(d.failed)}; held {_ids(d.held)}"


def _codes(err: XuejiError) -> set:
    return {err.code} | {d.code for d in err.diagnostics}


def run_case(policy: Policy, case: Case) -> CaseResult:
    """Answer ``case`` with ``policy`` and compare; never raises for a XuejiError (it is compared too)."""
    want = case.want
    try:
        facts = read_facts(case.facts, source=case.file, positions=case.positions)
        decision = evaluate(policy, case.question, facts, case.on)
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
    messages = [m for _, m in found] + ([_got(decision)] if found else [])
    return CaseResult(case, not found, tuple(messages), tuple(k for k, _ in found), decision, None)


def coverage(policy: Policy, results) -> tuple:
    """Per article of the policy: how many passing cases saw a rule citing it hold, and fail."""
    citing: dict[str, list] = {a: [] for a in policy.articles}
    rule_article: dict[tuple, str] = {}
    for q in policy.questions.values():
        for r in q.rules:
            citing.setdefault(r.article.id, []).append(f"{q.id}.{r.id}")
            rule_article[(q.id, r.id)] = r.article.id
    held = {a: 0 for a in citing}
    failed = {a: 0 for a in citing}
    for res in results:
        if not res.passed or res.decision is None:
            continue
        d = res.decision
        seen_held, seen_failed = set(), set()
        for r in d.rules:
            art = rule_article.get((d.question, r.id), r.article)
            if r.status == "held":
                seen_held.add(art)
            elif r.status == "failed":
                seen_failed.add(art)
        for a in seen_held:
            held[a] = held.get(a, 0) + 1
        for a in seen_failed:
            failed[a] = failed.get(a, 0) + 1
    return tuple(ArticleCoverage(a, tuple(citing[a]), held.get(a, 0), failed.get(a, 0)) for a in citing)


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
    return resolve(str(path)), None


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
        folder = resolve(policy)
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
