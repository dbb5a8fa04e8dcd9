"""Speed of xueji_rules against hand-written Python, measured in one run.

    python benchmarks/run.py            # about a minute; prints a Markdown table
    python benchmarks/run.py --quick    # fewer repetitions, for a smoke test

What is measured, on the Jiangsu policy:
- loading and compiling the policy from its YAML files (no cache);
- ``may_suspend``, ``may_transfer`` and ``graduation_outcome`` on their fast path
  (``xueji_rules.decider``: outcome and failed rule ids) against a hand-written
  function that computes the same outcome and the same failed ids;
- the same fast path from plain dicts, as a caller passes them (``read_facts`` with every
  check, then the kernel): the figure a user gets; and ``read_facts`` alone on the README's
  suspension facts (target ≤ 3 µs);
- the full Decision (``xueji_rules.evaluate``) with citations, documents, steps,
  deadlines and parameter values;
- whole frames (benchmarks/columns.py, with the ``columns`` extra): Jiangsu suspension for a
  generated frame of a million students by the row kernel, the column backend on one and two
  Polars threads, and a hand-written NumPy version (the physical limit), in decisions a second;
- Spark and Dask (benchmarks/scale.py, with the ``spark`` and ``dask`` extras): the same frame
  read, typed and answered by Spark ``local[2]``, Dask's local cluster and one process;
- time: two small policies under ``benchmarks/policies/`` that are identical except
  that ``timed`` checks ``today 在 semester_end_near(today) 前后 transfer_window 以内``
  (a school-calendar window) and lists a ``+ 10 工作日`` deadline (official working
  days), where ``plain`` compares a fact with the date asked and adds ``10 日``.
  Both answer the same on every generated student (checked first); the ratio
  timed / plain is printed for the fast path and for the full Decision (target ≤ 1.5×).

Before timing anything the script checks, on a few thousand generated students,
that each hand-written function gives exactly the engine's answer, so the
comparison is between equal work. The machine is small and noisy: compare the
ratios within one run, not seconds between runs. Timings are the best of several
repeats (the least disturbed), interleaved between engine and hand-written code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import random
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import xueji_rules as xr  # noqa: E402
from xueji_rules.facts.input import read_facts  # noqa: E402
from xueji_rules.load import compile_policy  # noqa: E402
from xueji_rules.locate import resolve  # noqa: E402

ON = dt.date(2025, 3, 3)  # a second-semester day: the graduating year is grade 6, 9 or 12 (no summer shift)
#: a date inside the benchmark calendar, five days before a semester's end, with working-day data
TIME_ON = dt.date(2025, 6, 30)
BENCH_POLICIES = Path(__file__).resolve().parent / "policies"
COMPULSORY = ("primary", "junior")
ILLNESS = ("illness", "infectious_disease")
ILLNESS_DOCS = frozenset({"hospital_diagnosis", "inpatient_record", "medical_receipts"})
LEVELS = frozenset({"county", "city", "province"})
CORE = frozenset({"chinese", "mathematics", "foreign_language"})
SENIOR_REASONS = frozenset({"family_move", "guardian_job_change", "special"})
PLACEMENT = ("policy_placement", "arranged_by_bureau")
REFUSED = "refused"


# --- hand-written equivalents (complete facts, Jiangsu's thresholds written in) ------
#
# What the Jiangsu policy says, written as plain ifs on ON. Approvals: a party's
# `approvals.<party>: refused` fails the rule that needs it; given, pending or absent
# leaves the rule to its conditions, and an allowed answer with an approval in play
# is `allowed_with_approval` whatever its state. Documents are checked only when
# stated. Jiangsu's 原则上不 rules name no grantor, so the reading
# in_principle_exception_by_bureau names the bureau: with `approvals.exception_requested`,
# the bureau's given grants it (the answer is as if the rule did not apply), refused denies.


def _outcome(denied, ground_held, principle, required, approval, F=None):
    # Jiangsu's grounds are exhaustive: with no ground holding, the answer is no
    if denied or not ground_held:
        return "denied"
    if principle:
        if F is None or F.get("approvals.exception_requested") is not True:
            return "denied_unless_exception"
        state = F.get("approvals.bureau")
        if state == REFUSED:
            return "denied"
        if state != "given":
            return "denied_unless_exception"
        return "required" if required else "allowed_with_approval"
    if required:
        return "required"
    if approval:
        return "allowed_with_approval"
    return "allowed"


def _plus_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def hand_suspension(F):
    stage = F["student.stage"]
    reason = F["absence.reason"]
    extension = F.get("request.suspension.is_extension") is True
    illness = reason in ILLNESS
    force_majeure = reason == "force_majeure"
    abroad = reason == "going_abroad"
    docs = F.get("evidence.documents")  # None: not stated, only listed in the answer
    level = F.get("evidence.hospital_level")
    refused = F.get("approvals.bureau") == REFUSED
    one_spell = F.get("absence.unbroken_spell") is not False
    graduating = F["student.grade"] in (6, 9, 12)
    illness_papers = (docs is None or ILLNESS_DOCS <= docs) and (level is None or level in LEVELS)
    failed = []
    denied = held = principle = required = approval = False
    if stage in COMPULSORY:
        if not extension:
            if illness or force_majeure:
                if F["absence.class_hours_missed"] > 210 and F["absence.still_unable_to_attend"] and one_spell:
                    held = True
                else:
                    failed.append("compulsory_class_hours")
            if graduating:
                failed.append("compulsory_not_in_graduating_year")
                principle = True
            if illness:
                if refused or not illness_papers:
                    failed.append("compulsory_illness_documents")
                    denied = True
                else:
                    approval = True
            elif force_majeure:
                if refused or (docs is not None and "authority_certificate" not in docs):
                    failed.append("compulsory_force_majeure_documents")
                    denied = True
                else:
                    approval = True
            elif abroad:
                if refused or (docs is not None and "passport_and_visa" not in docs):
                    failed.append("compulsory_going_abroad")
                else:
                    held = required = approval = True
        else:
            if refused:
                failed.append("compulsory_extension_approval")
                denied = True
            else:
                approval = True
            if illness or force_majeure:
                if not refused and F["absence.still_unable_to_attend"]:
                    held = True
                else:
                    failed.append("compulsory_extension")
            if abroad:  # 第一部分第十九条: not extended; the registry is cancelled
                failed.append("compulsory_abroad_no_extension")
                denied = True
    else:
        if not extension:
            if not abroad:
                if F["absence.class_hours_missed"] * 3 > F["absence.year_total_class_hours"] \
                        and F["absence.still_unable_to_attend"] and one_spell:
                    held = True
                else:
                    failed.append("senior_class_hours")
            if graduating:
                failed.append("senior_not_in_graduating_year")
                principle = True
            if not abroad:
                if refused or (illness and not illness_papers):
                    failed.append("senior_procedure")
                    denied = True
                else:
                    approval = True
            elif refused or (docs is not None and "passport_and_visa" not in docs):
                failed.append("senior_going_abroad")
            else:
                held = required = approval = True
        elif abroad:  # 第二部分第十九条: not extended; the registry is cancelled
            failed.append("senior_abroad_no_extension")
            denied = True
        elif not refused and F["request.suspension.years_suspended_before"] + 1 <= 2:
            held = approval = True
        else:
            failed.append("senior_extension")
    return _outcome(denied, held, principle, required, approval, F), tuple(failed)


def hand_graduation(F):
    failed = []
    if F["student.stage"] in COMPULSORY:
        refused = F.get("approvals.bureau") == REFUSED
        subjects = F["results.failed_subjects"]
        core = len(subjects & CORE)
        if refused or not F["results.completed_term"]:
            failed.append("compulsory_diploma_approval")
        if refused:
            failed.append("compulsory_certificate_validated")
        if core >= 1:
            failed.append("compulsory_core_subjects")
        if len(subjects) - core >= 2:
            failed.append("compulsory_other_subjects")
        if F["results.conduct"] != "pass":
            failed.append("compulsory_conduct")
        if F["results.physical_education"] != "pass":
            failed.append("compulsory_physical_education")
    else:
        if F["results.compulsory_credits"] < 116:
            failed.append("senior_compulsory_credits")
        if F["results.elective_ii_credits"] < 6:
            failed.append("senior_elective_ii_credits")
        if F["results.total_credits"] < 144:
            failed.append("senior_total_credits")
        if F["results.conduct"] != "pass":
            failed.append("senior_conduct")
        if F.get("approvals.county_bureau") == REFUSED or not F["results.completed_term"]:
            failed.append("senior_diploma_approval")
    return ("denied" if failed else "allowed_with_approval"), tuple(failed)


def hand_transfer(F):
    stage = F["student.stage"]
    reason = F["request.transfer.reason"]
    grade = F["student.grade"]
    to_grade = F.get("request.transfer.to_grade")
    back = F.get("request.resumption.date")
    same_county = F["student.school.place.county"] == F["request.transfer.to_school.place.county"]
    placement = reason in PLACEMENT
    private = F["student.school.ownership"] == "private"
    to_public = F["request.transfer.to_school.ownership"] == "public"
    to_school_refused = F.get("approvals.to_school") == REFUSED
    to_bureau_refused = F.get("approvals.to_bureau") == REFUSED
    procedure_refused = (to_school_refused or to_bureau_refused or F.get("approvals.from_school") == REFUSED
                         or F.get("approvals.from_bureau") == REFUSED)
    failed = []
    denied = held = principle = required = approval = False
    if stage in COMPULSORY:
        if reason == "family_move":
            if F["request.transfer.hukou_moved"] and F["request.transfer.residence_moved"] and \
                    F["request.transfer.family_moved_from.township"] != F["request.transfer.family_moved_to.township"]:
                held = True
            else:
                failed.append("compulsory_family_move")
        elif reason == "single_person_hukou_move":
            failed.append("compulsory_single_hukou_move")
            denied = True
        if stage == "junior" and same_county:
            failed.append("junior_not_within_county")
            denied = True
        if reason == "migrant_worker_child":
            if F.get("approvals.bureau") != REFUSED and grade not in (1, 7, 10):
                held = approval = True
            else:
                failed.append("compulsory_migrant_worker_child")
        elif placement:
            if F["request.transfer.arranged_by_bureau"]:
                held = required = True
            else:
                failed.append("compulsory_policy_placement")
        if F.get("request.transfer.entrance_exam") is True:
            failed.append("compulsory_no_entrance_exam")
            denied = True
        if to_grade is not None and to_grade != grade:
            failed.append("compulsory_same_grade")
            denied = True
        if back is not None and back < _plus_years(F["request.resumption.suspension_start"], 1):
            failed.append("compulsory_suspended_resume_after_term")
            denied = True
        if procedure_refused:
            failed.append("compulsory_procedure")
            denied = True
        else:
            approval = True
        if private and to_public:
            if not F["request.transfer.to_school.is_hukou_area"]:
                failed.append("private_not_to_public_outside_hukou")
                denied = True
            else:
                held = True  # a private-school pupil may return to the hukou area's public school
                docs = F.get("evidence.documents")
                if to_bureau_refused or to_school_refused or (docs is not None and "written_application" not in docs):
                    failed.append("private_to_hukou_area_public_application")
                    denied = True
                else:
                    approval = True
        if F["student.school.place.province"] != F["request.transfer.to_school.place.province"]:
            if F.get("approvals.city_bureau") == REFUSED:
                failed.append("cross_province_city_bureau")
                denied = True
            else:
                approval = True
    else:
        if not placement:
            if reason in SENIOR_REASONS and F.get("approvals.from_school") != REFUSED \
                    and F.get("approvals.bureau") != REFUSED:
                held = approval = True
            else:
                failed.append("senior_reasons")
        elif F["request.transfer.arranged_by_bureau"]:
            held = required = True
        else:
            failed.append("senior_policy_placement")
        if to_grade is not None and to_grade != grade:
            failed.append("senior_same_grade")
            denied = True
        if back is not None and back < _plus_years(F["request.resumption.suspension_start"], 1):
            failed.append("senior_suspended_resume_after_term")
            denied = True
        if procedure_refused:
            failed.append("senior_procedure")
            denied = True
        else:
            approval = True
        if same_county:
            failed.append("senior_not_within_county")
            principle = True
        if private and to_public:
            failed.append("senior_private_not_to_public")
            denied = True
        if F["student.school.star_rating"] <= 3 and F["request.transfer.to_school.star_rating"] >= 4:
            failed.append("senior_star_rating")
            denied = True
        if F["request.transfer.to_school.track"] != "general":
            failed.append("senior_general_not_vocational")
            denied = True
    return _outcome(denied, held, principle, required, approval, F), tuple(failed)


# --- generated students ---------------------------------------------------------------


def _place(rng, county=None):
    # GB/T 2260 codes (泰州 海陵区、高港区、靖江市, 扬州 广陵区, 杭州 西湖区) and a township of each
    county = county or rng.choice(["321202", "321203", "321282", "321002", "330106"])
    return {"province": county[:2] + "0000", "city": county[:4] + "00", "county": county,
            "township": county + rng.choice(["001", "002", "003"])}


def _approvals(rng, parties):
    """Each party's approval absent (pending), given, pending or refused; sometimes an exception applied for."""
    out = {}
    for party in parties:
        state = rng.choices([None, "given", "pending", REFUSED], weights=[30, 52, 13, 5])[0]
        if state is not None:
            out[party] = state
    if rng.random() < 0.3:
        out["exception_requested"] = rng.random() < 0.8
    return out


def _maybe(rng, share, value):
    """``value`` with probability ``share``, else None (the fact is left out)."""
    return value if rng.random() < share else None


def _drop_none(d):
    return {k: (_drop_none(v) if isinstance(v, dict) else v) for k, v in d.items() if v is not None}


def suspension_facts(rng):
    stage = rng.choice(["primary", "junior", "senior"])
    grade = {"primary": rng.randint(1, 6), "junior": rng.randint(7, 9), "senior": rng.randint(10, 12)}[stage]
    docs = sorted(ILLNESS_DOCS | {"authority_certificate", "passport_and_visa", "written_application"})
    return _drop_none({
        "student": {"stage": stage, "grade": grade},
        "absence": {"reason": rng.choice(["illness", "illness", "infectious_disease", "force_majeure", "going_abroad", "other"]),
                    "class_hours_missed": rng.choice([150, 210, 211, 320, 321, 340, 341, 500]),
                    "year_total_class_hours": rng.choice([1020, 1020, 960]),
                    "still_unable_to_attend": rng.random() < 0.8,
                    "unbroken_spell": _maybe(rng, 0.4, rng.random() < 0.6),
                    "start_date": "2025-01-06"},
        "evidence": {"documents": _maybe(rng, 0.7, rng.sample(docs, rng.randint(0, 6))),
                     "hospital_level": _maybe(rng, 0.7, rng.choice(["township", "county", "city", "province"]))},
        "request": {"suspension": {"is_extension": _maybe(rng, 0.5, rng.random() < 0.6),
                                   "years_suspended_before": rng.choice([0, 1, 2]),
                                   "approval_date": "2025-02-01"}},
        "approvals": _approvals(rng, ["bureau", "school"]),
    })


def graduation_facts(rng):
    stage = rng.choice(["primary", "junior", "senior"])
    grade = {"primary": 6, "junior": 9, "senior": 12}[stage]
    return {
        "student": {"stage": stage, "grade": grade},
        "results": {
            "failed_subjects": rng.sample(["chinese", "mathematics", "foreign_language", "physics", "history", "music", "art"],
                                          rng.choice([0, 0, 0, 0, 1, 1, 2, 3])),
            "conduct": rng.choice(["pass"] * 5 + ["fail"]),
            "physical_education": rng.choice(["pass"] * 5 + ["fail"]),
            "compulsory_credits": rng.choice([115, 116, 120, 120]), "elective_ii_credits": rng.choice([5, 6, 8, 8]),
            "total_credits": rng.choice([143, 144, 150, 150]), "completed_term": rng.random() < 0.9,
        },
        "approvals": _approvals(rng, ["bureau", "county_bureau"]),
    }


def _resumption(rng):
    """A return after a suspension begun on a 29 February or a 1 March, on days around its first anniversary."""
    start = rng.choice(["2024-02-29", "2024-03-01"])
    return {"suspension_start": start, "date": rng.choice(["2025-02-27", "2025-02-28", "2025-03-01", "2025-03-03"])}


def transfer_facts(rng):
    stage = rng.choice(["primary", "junior", "senior"])
    grade = {"primary": rng.randint(1, 6), "junior": rng.randint(7, 9), "senior": rng.randint(10, 12)}[stage]
    here = _place(rng)
    reason = rng.choice(["family_move", "family_move", "single_person_hukou_move", "guardian_job_change",
                         "migrant_worker_child", "special", "policy_placement", "arranged_by_bureau"])
    return _drop_none({
        "student": {"stage": stage, "grade": grade,
                    "school": {"place": here, "ownership": rng.choice(["public", "private"]),
                               "star_rating": rng.choice([0, 2, 3, 4]), "track": "general"}},
        "request": {
            "transfer": {
                "reason": reason,
                "to_school": {"place": _place(rng), "ownership": rng.choice(["public", "private"]),
                              "star_rating": rng.choice([0, 3, 3, 4, 5]),
                              "track": rng.choice(["general"] * 5 + ["vocational"]),
                              "is_hukou_area": rng.random() < 0.5},
                "to_grade": _maybe(rng, 0.7, rng.choice([grade, grade, grade, min(grade + 1, 12)])),
                "entrance_exam": _maybe(rng, 0.3, rng.random() < 0.3),
                "family_moved_from": here, "family_moved_to": dict(here) if rng.random() < 0.15 else _place(rng),
                "hukou_moved": rng.random() < 0.85, "residence_moved": rng.random() < 0.85,
                "arranged_by_bureau": rng.random() < 0.7,
            },
            "resumption": _resumption(rng) if rng.random() < 0.15 else None,
        },
        "evidence": {"documents": rng.choice([["written_application"], [], None, None])},
        "approvals": _approvals(rng, ["to_school", "to_bureau", "from_school", "from_bureau", "bureau", "city_bureau"]),
    })


def bench_transfer_facts(rng):
    """A transfer for the time benchmark's policies: any grade, a request made up to three weeks before TIME_ON."""
    grade = rng.randint(1, 12)
    stage = "primary" if grade <= 6 else "junior" if grade <= 9 else "senior"
    transfer = {"reason": rng.choice(["family_move", "guardian_job_change", "special"]),
                "date": (TIME_ON - dt.timedelta(days=rng.randint(0, 21))).isoformat()}
    if rng.random() < 0.7:
        transfer["to_grade"] = rng.choice([grade, grade, min(grade + 1, 12)])
    facts = {"student": {"stage": stage, "grade": grade}, "request": {"transfer": transfer},
             "evidence": {"documents": rng.choice([["written_application"], []])}}
    if rng.random() < 0.3:
        facts["approvals"] = {"bureau": "given" if rng.random() < 0.7 else REFUSED}
    return facts


def time_rows(rng, number, repeat, check):
    """(label, plain µs, timed µs) for the fast path and the full Decision, measured interleaved."""
    plain = compile_policy(BENCH_POLICIES / "plain")
    timed = compile_policy(BENCH_POLICIES / "timed")
    run_plain, run_timed = xr.decider(plain, "transfer", TIME_ON), xr.decider(timed, "transfer", TIME_ON)
    samples = [read_facts(bench_transfer_facts(rng)) for _ in range(check)]
    for fv in samples:  # equal work: the window holds on TIME_ON exactly when the plain comparison does
        if run_plain(fv) != run_timed(fv):
            raise SystemExit(f"time benchmark: plain {run_plain(fv)} != timed {run_timed(fv)} for {fv.to_dict()}")
    if not any(d.date for d in xr.evaluate(timed, "transfer", samples[0], TIME_ON).deadlines):
        raise SystemExit("time benchmark: the timed policy lists no working-day deadline")
    fast_p, fast_t, full_p, full_t = [], [], [], []
    full_number = max(number // 20, 200)
    for fv in samples[:8]:
        # plain and timed alternate within every repeat, so a disturbance hits both alike
        p, t = paired(run_plain, run_timed, fv, number, repeat)
        fast_p.append(p)
        fast_t.append(t)
        p, t = paired(lambda f: xr.evaluate(plain, "transfer", f, TIME_ON),
                      lambda f: xr.evaluate(timed, "transfer", f, TIME_ON), fv, full_number, repeat)
        full_p.append(p)
        full_t.append(t)
    med = statistics.median
    return [("fast path (outcome + failed ids)", med(fast_p), med(fast_t)),
            ("full Decision (with deadlines)", med(full_p), med(full_t))]


def paired(first, second, arg, number, repeat):
    """Best-of-``repeat`` microseconds per call of two functions, timed alternately."""
    a, b = timeit.Timer(lambda: first(arg)), timeit.Timer(lambda: second(arg))
    best_a = best_b = float("inf")
    for _ in range(repeat):
        best_a = min(best_a, a.timeit(number))
        best_b = min(best_b, b.timeit(number))
    return best_a / number * 1e6, best_b / number * 1e6


# --- measuring -----------------------------------------------------------------------------

#: The README's suspension facts, as a caller passes them.
README_FACTS = {
    "student": {"stage": "junior", "grade": 8},
    "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True,
                "start_date": "2025-01-06"},
    "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"],
                 "hospital_level": "county"},
}


def reading_rows(policy, number, repeat):
    """(label, µs) for read_facts, the kernel on checked facts, and both from the dict, on the README's facts."""
    run = xr.decider(policy, "suspension", ON)
    fv = read_facts(README_FACTS)
    if run(README_FACTS) != run(fv):
        raise SystemExit("reading benchmark: the answer from dicts differs from the answer from checked facts")
    return [("read_facts (every check)", per_call(read_facts, README_FACTS, number, repeat)),
            ("kernel on checked facts (xr.decider)", per_call(run, fv, number, repeat)),
            ("end to end from the dict (xr.decider)", per_call(run, README_FACTS, number, repeat))]



def per_call(fn, arg, number, repeat):
    """Best-of-``repeat`` microseconds per call."""
    timer = timeit.Timer(lambda: fn(arg))
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    args = ap.parse_args(argv)
    number, repeat, check = (2_000, 3, 300) if args.quick else (20_000, 7, 3_000)

    folder = resolve("jiangsu")
    loads = []
    for _ in range(3 if args.quick else 7):
        gc.collect()
        t0 = time.perf_counter()
        policy = compile_policy(folder)
        loads.append((time.perf_counter() - t0) * 1e3)

    rng = random.Random(2026)
    cases = [
        ("may_suspend", "suspension", hand_suspension, suspension_facts),
        ("may_transfer", "transfer", hand_transfer, transfer_facts),
        ("graduation_outcome", "graduation", hand_graduation, graduation_facts),
    ]
    rows = []
    for label, question, hand, make in cases:
        run = xr.decider(policy, question, ON)
        samples = [read_facts(make(rng)) for _ in range(check)]
        for fv in samples:  # equal work: the hand-written function must give the engine's answer
            got, want = hand(fv.values), run(fv)
            if got != want:
                print(f"{label}: hand-written {got} != engine {want} for {fv.to_dict()}", file=sys.stderr)
                return 1
        dicts = [make(rng) for _ in range(8)]
        engine_t, hand_t, full_t, dict_t = [], [], [], []
        for raw in dicts:
            fv = read_facts(raw)
            values = fv.values
            hand_t.append(per_call(hand, values, number, repeat))
            engine_t.append(per_call(run, fv, number, repeat))
            dict_t.append(per_call(run, raw, number, repeat))
            full_t.append(per_call(lambda f: xr.evaluate(policy, question, f, ON), fv, max(number // 20, 200), repeat))
        med = statistics.median
        h, e, d, f = med(hand_t), med(engine_t), med(dict_t), med(full_t)
        rows.append((label, len(policy.questions[question].rules), h, e, e / h, d, f))

    print(f"xueji_rules benchmark — Python {platform.python_version()} on {platform.machine()}, "
          f"{'quick' if args.quick else 'full'} run, {check} generated students checked per question\n")
    print(f"Load and compile policies/jiangsu ({sum(len(q.rules) for q in policy.questions.values())} rules): "
          f"best {min(loads):.1f} ms, median {statistics.median(loads):.1f} ms\n")
    print("| question | rules | hand-written µs | engine (outcome + failed ids) µs | ratio | from dicts µs | full Decision µs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, n, h, e, ratio, d, f in rows:
        print(f"| {label} | {n} | {h:.2f} | {e:.2f} | {ratio:.2f}× | {d:.2f} | {f:.1f} |")
    print("\n*from dicts*: the fast path given plain dicts (read_facts, every check, then the kernel): "
          "what a registry system passing dicts gets.")

    reading = reading_rows(policy, number, repeat)
    print("\nReading facts: the README's suspension facts (nested dict, 8 facts; target: read_facts ≤ 3 µs)\n")
    print("| step | µs | answers a second |")
    print("| --- | ---: | ---: |")
    for label, t in reading:
        print(f"| {label} | {t:.2f} | {1e6 / t:,.0f} |")

    rows = time_rows(rng, number, repeat, check)
    print("\nTime: windows and working days against none (benchmarks/policies/timed vs plain, "
          f"6 rules each, on {TIME_ON.isoformat()}; target ≤ 1.5×)\n")
    print("| decision | plain µs | windows + working days µs | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for label, p, t in rows:
        print(f"| {label} | {p:.2f} | {t:.2f} | {t / p:.2f}× |")

    try:
        import polars  # noqa: F401 - the columns extra
    except ImportError:
        print("\nWhole frames: skipped (install the columns extra: pip install -e '.[columns]')")
        return 0
    from columns import section  # benchmarks/columns.py

    print("\n".join(section(200_000 if args.quick else 1_000_000)))

    try:
        import pyspark  # noqa: F401 - the spark extra
        import distributed  # noqa: F401 - the dask extra
    except ImportError:
        print("\nSpark and Dask: skipped (install the spark and dask extras: pip install -e '.[spark,dask]')")
        return 0
    from scale import section as scale_section  # benchmarks/scale.py

    print("\n".join(scale_section(200_000 if args.quick else 1_000_000)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
