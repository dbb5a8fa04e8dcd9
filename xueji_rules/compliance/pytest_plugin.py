"""pytest plugin: every compliance case is a test item, named by its note.

Registered through the ``pytest11`` entry point when the package is installed
(and by ``tests/conftest.py`` in a checkout). It collects a YAML file only when
it lies under a ``tests`` folder whose parent holds ``policy.yaml``
(``policies/jiangsu/tests/suspension.yaml``; a layer's too:
``policies/shandong/jinxiang/tests/…``), or inside a folder named ``cross_region``
(``tests/cross_region/suspension.yaml``: one item per case and region, named
``note [region]``); other YAML files, such as test fixtures, are left alone. A failure shows the case's file:line, its note and
each mismatch, without a Python traceback. A policy or case file that does not
load is one failing item per file, not a collection error, so one broken file
never stops the rest of the run.
"""

from __future__ import annotations

import os

import pytest

from ..errors import XuejiError
from ..load import load_policy
from .cases import is_case_file, load_case_file, policy_folder_of
from .cross_region import _not_run, is_cross_region_file, load_cross_file, load_region_policies
from .runner import CaseResult, run_case


def _shown(file: str, config) -> str:
    """The file relative to where pytest was started, when it lies below it."""
    try:
        return os.path.relpath(file, config.invocation_params.dir) if not os.path.relpath(
            file, config.invocation_params.dir).startswith("..") else file
    except ValueError:
        return file


class CaseFailed(Exception):
    """A case's answer differed from what it wants."""

    def __init__(self, result: CaseResult):
        super().__init__(result.case.note)
        self.result = result


class CaseFileBroken(Exception):
    """The policy or the case file could not be read, so the cases did not run."""

    def __init__(self, error: XuejiError):
        super().__init__(error.message)
        self.error = error


def pytest_collect_file(file_path, parent):
    if file_path.suffix in (".yaml", ".yml"):
        if is_cross_region_file(file_path):
            return CrossRegionFile.from_parent(parent, path=file_path)
        if is_case_file(file_path):
            return CaseFile.from_parent(parent, path=file_path)
    return None


class CrossRegionFile(pytest.File):
    """A cross-region case file: one item per case and region; a region whose policy does not
    load is one failing item (its cases did not run), and the other regions still run."""

    def collect(self):
        policies, broken = load_region_policies(self.path)
        try:
            cases = load_cross_file(self.path, policies)
        except XuejiError as err:
            yield BrokenFileItem.from_parent(self, name="(case file)", error=err)
            return
        for region, exc in broken.items():
            n = sum(1 for c in cases if region in c.regions)
            yield BrokenFileItem.from_parent(self, name=f"[{region}] (policy)", error=_not_run(region, exc, n))
        for case in cases:
            for region in case.regions:
                if region in policies:
                    yield CaseItem.from_parent(self, name=f"{case.note} [{region}]", case=case.for_region(region),
                                               policy=policies[region])


class CaseFile(pytest.File):
    """A compliance case file: one item per case."""

    def collect(self):
        try:
            policy = load_policy(policy_folder_of(self.path))
            cases = load_case_file(self.path, policy)
        except XuejiError as err:
            yield BrokenFileItem.from_parent(self, name="(case file)", error=err)
            return
        for case in cases:
            yield CaseItem.from_parent(self, name=case.note, case=case, policy=policy)


class CaseItem(pytest.Item):
    """One compliance case."""

    def __init__(self, *, case, policy, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.policy = policy

    def runtest(self):
        result = run_case(self.policy, self.case)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            c = self.case
            region = f" [{c.region}]" if getattr(c, "region", None) else ""
            asked = f"  question {c.question}" + (f" on {c.on.isoformat()}" if c.on else "") + (
                f" in {self.policy.id}" if region else "")
            lines = [f"{_shown(c.file, self.config)}:{c.line}: {c.note}{region}", asked]
            lines += [f"  {m}" for m in excinfo.value.result.messages]
            return "\n".join(lines)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        region = f" [{self.case.region}]" if getattr(self.case, "region", None) else ""
        return self.path, (self.case.line or 1) - 1, f"{self.case.question}: {self.case.note}{region}"


class BrokenFileItem(pytest.Item):
    """Stands for a case file whose policy or content is invalid, and fails with every diagnostic."""

    def __init__(self, *, error, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self):
        raise CaseFileBroken(self.error)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFileBroken):
            err = excinfo.value.error
            return f"{_shown(str(self.path), self.config)}: {err.message}\n{err.report()}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}: {self.error.code}"
