"""Compliance cases: YAML files of facts and expected answers, run against a policy.

``policies/<region>/tests/*.yaml`` hold the cases (format in ``cases.py``);
``run_suite`` runs them and reports article coverage; ``xueji test`` and the
pytest plugin (``pytest_plugin.py``) are two front ends to the same runner.
"""

from .cases import Case, Want, case_files, check_case_file, is_case_file, load_case_file, policy_folder_of
from .runner import ArticleCoverage, CaseResult, Problem, SuiteResult, coverage, run_case, run_suite

__all__ = [
    "Case", "Want", "case_files", "check_case_file", "is_case_file", "load_case_file", "policy_folder_of",
    "ArticleCoverage", "CaseResult", "Problem", "SuiteResult", "coverage", "run_case", "run_suite",
]
