"""Load a policy folder: read → check the schema → check meaning → compile.

Every problem in every file is collected as a Diagnostic before anything is
returned; a policy with any error is never half-loaded. Each stage is a module of
``loader/``: ``read.py`` (files and layers), ``layers.py`` (replacements and
repeals), ``meaning.py`` (articles, quotes, readings, parameters, procedure words,
omissions, layouts) and ``build.py`` (conditions, questions, the Policy). This
module runs them in order, and keeps compiled policies (``Registry``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .errors import Diagnostic, PolicyError, UnknownRegionError
from .loader.build import BuildStage
from .loader.layers import LayerStage
from .loader.meaning import MeaningStage
from .loader.read import ReadStage
from .locate import resolve
from . import _yaml
from .loader.read import Layer, _to_date
from .policy import Policy

#: the problems that make every later check report echoes of them: reported alone
ROOT_CAUSES = ("extends_cycle", "unknown_parent")


class _Loader(ReadStage, LayerStage, MeaningStage, BuildStage):
    """One load of one folder: the stages share what they found (diagnostics, layers, entries)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.diags: list[Diagnostic] = []
        self.docs: list[_yaml.Document] = []
        # section -> name -> (value, doc, path)
        self.entries: dict[str, dict] = {}
        self.modules: dict[str, tuple] = {}  # question -> (code object, namespace)
        self.unchecked: set = set()
        self.layers: list[Layer] = []  # the policies this one extends first, this one last
        self.layer_of: dict[int, Layer] = {}  # id(document) -> its layer
        self.rule_bodies: dict[str, list] = {}  # question -> its rules after layering
        self.parsed: dict[str, tuple] = {}  # path -> (text, document, problems) of files already read
        self.trees: dict[str, object] = {}  # condition text -> its tree (or syntax Diagnostic)
        self.calendar = None
        self.articles: dict = {}
        self.article_layer: dict = {}
        self.readings: dict = {}

    def diag(self, doc, code, message, path=(), hint=None):
        self.diags.append(doc.diagnostic(code, message, path, hint))

    def build(self) -> Policy | None:
        """Run the stages in order; the Policy, or None with every problem in ``self.diags``."""
        content_hash = self.read()
        if any(d.code in ROOT_CAUSES for d in self.diags):
            self.diags = [d for d in self.diags if d.code in ROOT_CAUSES]
            return None
        if not self.check_layers():
            return None
        content_hash = self.read_sources(content_hash)
        meta = self.layers[-1].meta
        effective_from = self.layers[0].effective_from
        effective_until = _to_date(self.layers[0].meta["regulation"].get("effective_until"))
        self.check_articles()
        omissions = self.check_omissions(self.article_layer)
        self.check_readings()
        parameters, param_types, runtime_values = self.check_parameters(effective_from)
        self.read_calendar()
        compiler, scope, defs = self.compile_definitions(param_types, runtime_values, parameters)
        questions = self.compile_questions(compiler, scope)
        student_ids = self.build_student_ids()
        if self.diags:
            return None
        return self.assemble(meta, content_hash, effective_from, effective_until, parameters, runtime_values, questions,
                             student_ids, omissions, compiler, scope, defs)


def compile_policy(folder: str | os.PathLike) -> Policy:
    """Load and compile one policy folder, or raise PolicyError with every problem found."""
    loader = _Loader(Path(folder))
    policy = loader.build()
    if policy is None:
        raise PolicyError(f"the policy in {folder} is not valid", tuple(loader.diags))
    return policy


def check_policy(folder: str | os.PathLike) -> list[Diagnostic]:
    """Every problem in a policy folder (empty when it is valid)."""
    loader = _Loader(Path(folder))
    loader.build()
    return sorted(loader.diags, key=lambda d: (d.file or "", d.line or 0, d.column or 0))


class Registry:
    """Loaded policies by folder, each compiled once; safe to share between threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._policies: dict[Path, Policy] = {}

    def get(self, region_or_path) -> Policy:
        folder = resolve(region_or_path)
        policy = self._policies.get(folder)
        if policy is None:
            with self._lock:
                policy = self._policies.get(folder)
                if policy is None:
                    policy = compile_policy(folder)
                    self._policies[folder] = policy
        return policy


DEFAULT_REGISTRY = Registry()


def load_policy(region_or_path, *, registry: Registry | None = None) -> Policy:
    """The compiled policy of a region (``"jiangsu"``) or folder; compiled once, then shared.

    Raises UnknownRegionError for an unknown name and PolicyError (with every
    Diagnostic) for a policy that does not validate.
    """
    if not isinstance(region_or_path, (str, os.PathLike)):
        raise UnknownRegionError(f"a region is named by text (jiangsu, shandong/jinxiang), not {type(region_or_path).__name__}")
    return (registry or DEFAULT_REGISTRY).get(region_or_path)
