"""Find policies: the bundled folder, region names, and the files of a policy folder."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .errors import UnknownRegionError, did_you_mean


def policies_root() -> Path:
    """Where the bundled policies are: inside the installed package, or beside it in a checkout."""
    env = os.environ.get("XUEJI_POLICIES")
    if env:
        return Path(env)
    packaged = Path(str(resources.files("xueji_rules"))) / "policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "policies"


def regions() -> list[str]:
    """Names of the bundled policies: folders with a policy.yaml, layers as ``shandong/jinxiang``."""
    root = policies_root()
    if not root.is_dir():
        return []
    return sorted(
        p.parent.relative_to(root).as_posix()
        for p in root.glob("**/policy.yaml")
        if "tests" not in p.relative_to(root).parts and "questions" not in p.relative_to(root).parts
    )


def resolve(region_or_path: str | os.PathLike) -> Path:
    """A region name (``jiangsu``) or a folder path → the policy folder."""
    p = Path(region_or_path)
    if (p / "policy.yaml").is_file():
        return p.resolve()
    candidate = policies_root() / str(region_or_path)
    if (candidate / "policy.yaml").is_file():
        return candidate.resolve()
    known = regions()
    hint = did_you_mean(str(region_or_path), known)
    raise UnknownRegionError(
        f"no policy '{region_or_path}'" + (f"; {hint}" if hint else "") + f" (regions: {', '.join(known) or 'none'})"
    )


def policy_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.yaml")) + sorted((folder / "questions").glob("*.yaml"))
    return [f for f in files if f.is_file()]


