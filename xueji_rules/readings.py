"""Readings with alternatives: what each option means, which rules rely on it, what switching it changes.

A reading resolves a vague text (原则上, 审核 as approval or step, 一年以上 …). One with
``options:`` and ``chosen:`` can be switched per ask (``ask(…, readings={id: option})``,
``xueji ask --reading id=option``, a case file's ``readings:``). This module lists them and,
by re-running the region's compliance cases under each other option, shows which answers a
switch would change — the question staff ask before they change a reading.
"""

from __future__ import annotations

from pathlib import Path

from .policy import Policy


def variant(policy: Policy, reading_id: str, option: str) -> Policy:
    """The same compiled policy, answering as if ``reading_id`` took ``option`` (every path asks it so)."""
    import attrs

    reading = switchable(policy).get(reading_id)
    if reading is None or option not in dict(reading.options):
        from .errors import FactsError

        raise FactsError(f"{policy.id} has no reading {reading_id} with an option {option}")
    readings = {**policy.readings, reading_id: attrs.evolve(reading, chosen=option)}
    return attrs.evolve(policy, readings=readings, switched={**policy.switched, reading_id: option})


def students_changed(policy: Policy, reading_id: str, option: str, on=None) -> list[dict]:
    """For each question relying on the reading, the kinds of students (z3, toolkit.solver) it changes."""
    from .toolkit.solver import counterexamples

    other = variant(policy, reading_id, option)
    questions = dict.fromkeys(rid.split(".")[0] for rid in rules_relying_on(policy, reading_id))
    out = []
    for q in questions:
        c = counterexamples(policy, other, q, on=on)
        for s in c.students:
            out.append({"question": q, "pair": list(s.pair), "facts": s.facts, "on": s.on.isoformat(),
                        "rule": [s.a.rule, s.b.rule], "article": [s.a.article, s.b.article], "mismatch": s.mismatch})
        if not c.students:
            # z3 found none: a proof within its bounds, unless something could not be translated
            out.append({"question": q, "pair": None, "proved_same": not c.unsupported})
    return out


def switchable(policy: Policy) -> dict:
    """id -> Reading, for every reading of the policy that has alternatives."""
    return {rid: r for rid, r in policy.readings.items() if r.options}


def problems(policy: Policy, asked: dict) -> list[tuple]:
    """(reading id, code, message, hint) for each reading asked for that cannot be: one the policy does not
    have with alternatives (``unknown_reading``), or an option it does not list (``bad_choice``)."""
    from .errors import did_you_mean

    out = []
    for rid, option in asked.items():
        reading = policy.readings.get(rid) if isinstance(rid, str) else None
        if reading is None or not reading.options:
            names = list(switchable(policy))
            out.append((rid, "unknown_reading", f"{policy.id} has no reading '{rid}' with alternatives",
                        did_you_mean(str(rid), names) or "readings with alternatives: " + ", ".join(names)))
        elif option not in dict(reading.options):
            out.append((rid, "bad_choice", f"'{option}' is not an option of {rid}",
                        "options: " + ", ".join(k for k, _ in reading.options)))
    return out


def rules_relying_on(policy: Policy, reading_id: str) -> list[str]:
    """``question.rule`` ids whose rules cite the reading (by `reading:`, a condition or a procedure entry)."""
    return [f"{q.id}.{rule.id}" for q in policy.questions.values() for rule in q.rules if reading_id in rule.readings]


def reading_report(policy: Policy, with_cases: bool = True, with_students: bool = False, on=None) -> list[dict]:
    """One entry per switchable reading: options (meaning, the cases whose answer changes, and with
    ``with_students`` the kinds of students whose answer changes, found by z3), chosen, rules."""
    cases = _cases(policy) if with_cases else None
    baseline = {key: answer for key, answer in (_answers(policy, cases, {}) if cases else {}).items()}
    report = []
    for rid, reading in switchable(policy).items():
        options = []
        for option, meaning in reading.options:
            entry = {"option": option, "meaning": meaning}
            if cases is not None and option != reading.chosen:
                changed = []
                for key, answer in _answers(policy, cases, {rid: option}).items():
                    if answer != baseline.get(key):
                        case = cases[key]
                        changed.append({"where": f"{Path(case.file).name}:{case.line}", "note": case.note,
                                        "from": baseline.get(key), "to": answer})
                entry["cases_changed"] = changed
            if with_students and option != reading.chosen:
                entry["students_changed"] = students_changed(policy, rid, option, on)
            options.append(entry)
        report.append({"id": rid, "title": reading.title, "chosen": reading.chosen, "options": options,
                       "rules": rules_relying_on(policy, rid)})
    return report


def _cases(policy: Policy) -> dict:
    from .compliance.cases import Case, case_files, load_case_file
    from .errors import XuejiError

    folder = Path(policy.folder) / "tests"
    out = {}
    for path in case_files(folder) if folder.is_dir() else []:
        try:
            for case in load_case_file(path, policy):
                if isinstance(case, Case):
                    out[(str(path), case.index)] = case
        except XuejiError:
            continue  # an invalid case file is `xueji test`'s to report
    return out


def _answers(policy: Policy, cases: dict, readings: dict) -> dict:
    """(file, index) -> 'outcome/status' of each case, with ``readings`` switched (errors as their code)."""
    from .errors import XuejiError
    from .evaluate import evaluate
    from .facts.input import read_facts

    out = {}
    for key, case in cases.items():
        asked = {**case.readings, **readings}
        try:
            d = evaluate(policy, case.question, read_facts(case.facts), case.on, case.calendar, asked or None)
            out[key] = f"{d.outcome}/{d.status}"
        except XuejiError as exc:
            out[key] = f"error:{getattr(exc, 'code', type(exc).__name__)}"
    return out
