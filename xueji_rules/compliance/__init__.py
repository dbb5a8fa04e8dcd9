"""Compliance cases: YAML files of facts and expected answers, run against a policy.

``policies/<region>/tests/*.yaml`` hold the cases (format in ``cases.py``);
student-ID cases (``question: student_id``) check the ID layouts; cross-region
cases (``tests/cross_region/*.yaml``, format in ``cross_region.py``) give one set of
facts and each region's cited answer. ``run_suite`` and ``run_cross_suite`` run them
and report article coverage; ``xueji test`` and the pytest plugin
(``pytest_plugin.py``) are two front ends to the same runner.
"""

from .cases import (
    Case, IdCase, IdWant, Want, case_files, check_case_file, is_case_file, load_case_file, policy_folder_of,
)
from .cross_region import (
    CrossCase, check_cross_file, cross_region_files, is_cross_region_file, load_cross_file, run_cross_file,
    run_cross_suite,
)
from .runner import ArticleCoverage, CaseResult, Problem, SuiteResult, coverage, run_case, run_id_case, run_suite

__all__ = [
    "Case", "IdCase", "IdWant", "Want", "case_files", "check_case_file", "is_case_file", "load_case_file",
    "policy_folder_of",
    "CrossCase", "check_cross_file", "cross_region_files", "is_cross_region_file", "load_cross_file",
    "run_cross_file", "run_cross_suite",
    "ArticleCoverage", "CaseResult", "Problem", "SuiteResult", "coverage", "run_case", "run_id_case", "run_suite",
]
