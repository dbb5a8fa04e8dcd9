"""Find policies: the policy roots, region names, and the files of a policy folder.

A region is named, never given as a path: ``jiangsu``, ``shandong/jinxiang``
(``REGION_NAME``). A name is looked up in the policy roots, in this order, and only
inside them:

1. folders given for this call (``xueji … --policies DIR``; ``with policy_roots_given(DIR)``),
2. the folders in the environment variable ``XUEJI_POLICIES`` (separated by ``os.pathsep``),
   which, when set, stand instead of the bundled policies (so staff can point every command
   at their working copy: ``XUEJI_POLICIES=./policies xueji validate``),
3. otherwise the policies bundled with the package.

A root is either a folder of policies (``policies/`` holding ``jiangsu/``) or one
policy folder, which is then named by its folder's name. A folder is loaded from
anywhere else only when the caller passes it explicitly, as a ``pathlib.Path`` (or
``load_policy(path=…)``). So ``../../tmp/x`` is not a region, and a ``./jiangsu``
folder in the working directory never replaces the bundled one.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from importlib import resources
from pathlib import Path

from .errors import UnknownRegionError, did_you_mean

#: What a region name looks like: lower-case ASCII words, a layer after a slash.
REGION_NAME = re.compile(r"[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*")

_GIVEN: contextvars.ContextVar[tuple] = contextvars.ContextVar("xueji_policy_roots", default=())


def bundled_root() -> Path:
    """The policies shipped with the package: inside the installed package, or beside it in a checkout."""
    packaged = Path(str(resources.files("xueji_rules"))) / "policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "policies"


def policy_roots() -> list[tuple[Path, str]]:
    """(folder, where it comes from) of each policy root, in the order names are looked up."""
    roots = [(Path(p), "--policies") for p in _GIVEN.get()]
    env = [p for p in os.environ.get("XUEJI_POLICIES", "").split(os.pathsep) if p]
    if env:
        roots += [(Path(p), "XUEJI_POLICIES") for p in env]
    else:
        roots.append((bundled_root(), "bundled"))
    return roots


def policies_root() -> Path:
    """The first policy root that is a folder of policies (the cross-region cases are looked for beside it)."""
    for root, _ in policy_roots():
        if not (root / "policy.yaml").is_file():
            return root
    return bundled_root()


@contextlib.contextmanager
def policy_roots_given(*folders):
    """Look names up in ``folders`` first, for the code inside the ``with`` (and only in this context)."""
    token = _GIVEN.set(tuple(Path(f) for f in folders) + _GIVEN.get())
    try:
        yield
    finally:
        _GIVEN.reset(token)


def _names_in(root: Path) -> list[str]:
    if (root / "policy.yaml").is_file():
        return [root.name] if REGION_NAME.fullmatch(root.name) else []
    if not root.is_dir():
        return []
    return sorted(
        name for p in root.glob("**/policy.yaml")
        if "tests" not in p.relative_to(root).parts and "questions" not in p.relative_to(root).parts
        and REGION_NAME.fullmatch(name := p.parent.relative_to(root).as_posix())
    )


def regions() -> list[str]:
    """Every region name the roots hold, each once (the first root that has it answers for it)."""
    seen: dict = {}
    for root, _ in policy_roots():
        for name in _names_in(root):
            seen.setdefault(name, None)
    return sorted(seen)


def _inside(folder: Path, root: Path) -> bool:
    try:
        return folder.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def find(name: str) -> tuple[Path, Path, str] | None:
    """(policy folder, its root, where the root comes from) for a region name, or None."""
    for root, origin in policy_roots():
        if (root / "policy.yaml").is_file():
            candidate = root if name == root.name else None
        else:
            candidate = root / name
        if candidate is not None and (candidate / "policy.yaml").is_file() and _inside(candidate, root):
            return candidate.resolve(), root, origin
    return None


def resolve(region_or_path: str | os.PathLike) -> Path:
    """A region name (``jiangsu``) → its folder in the roots; a ``Path`` → that policy folder.

    Raises UnknownRegionError for text that is not a region name (a path given as
    text is refused: pass a Path, or ``--policies DIR``), a name no root holds, a
    Path with no ``policy.yaml``, or anything else.
    """
    if isinstance(region_or_path, os.PathLike) and not isinstance(region_or_path, str):
        folder = Path(region_or_path)
        if (folder / "policy.yaml").is_file():
            return folder.resolve()
        raise UnknownRegionError(f"the folder {folder} holds no policy.yaml")
    if not isinstance(region_or_path, str):
        raise UnknownRegionError(f"a region is named by text (jiangsu, shandong/jinxiang), not {type(region_or_path).__name__}")
    name = region_or_path
    if not REGION_NAME.fullmatch(name):
        raise UnknownRegionError(
            "a region is a name such as jiangsu or shandong/jinxiang (lower-case letters, digits and _, "
            "a layer after /), not a path; to use a policy folder, pass it as a pathlib.Path "
            "(load_policy(path=…)) or on the command line with --policies DIR"
        )
    found = find(name)
    if found is not None:
        return found[0]
    known = regions()
    hint = did_you_mean(name, known)
    raise UnknownRegionError(
        f"no policy '{name}'" + (f"; {hint}" if hint else "") + f" (regions: {', '.join(known) or 'none'})"
    )


def origin_of(folder: Path) -> str:
    """Where a policy folder was found: '--policies', 'XUEJI_POLICIES', 'bundled', or 'given path'."""
    for root, origin in policy_roots():
        if _inside(folder, root):
            return origin
    return "given path"


def policy_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.yaml")) + sorted((folder / "questions").glob("*.yaml"))
    return [f for f in files if f.is_file()]
