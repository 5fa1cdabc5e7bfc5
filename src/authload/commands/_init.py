"""`authload init [DIR]`: a project of one's own, ready to validate and run as it is.

It writes the shipped smoke, login storm and production-flow scenarios, the mock and a
staging template (secrets as `${VAR}`s), the JSON Schemas editors read, a CI workflow (the
job of docs/ci.md) and a `.gitignore` for reports. It never overwrites: a file that is
already there is exit 2, naming it, and nothing is written, unless `--force`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import builtin
from ..common import EXIT_OK, ConfigError

SCENARIOS = ("smoke", "login_storm", "production_flow")
ENVIRONMENTS = ("mock", "staging")


def scaffold() -> dict[str, Path]:
    """What `init` writes: the project's relative path -> the shipped file it copies."""
    files = {f"scenarios/{name}.yaml": builtin.SCENARIOS / f"{name}.yaml" for name in SCENARIOS}
    files |= {f"config/{name}.yaml": builtin.CONFIG / f"{name}.yaml" for name in ENVIRONMENTS}
    files |= {f"schemas/{path.name}": path for path in sorted(builtin.SCHEMAS.glob("*.json"))}
    files[".github/workflows/authload.yml"] = builtin.FOLDER / "project" / "authload.yml"
    files[".gitignore"] = builtin.FOLDER / "project" / "gitignore"
    return files


def init(folder: Path, *, force: bool = False, say: Callable[[str], None] = print) -> int:
    """Write the scaffold into `folder` (made if missing); exit code 0, or `ConfigError` (2)."""
    files = scaffold()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a folder")
    present = [name for name in files if (folder / name).exists()]
    if present and not force:
        listing = ", ".join(str(folder / name) for name in present)
        raise ConfigError(
            f"not overwriting what is there: {listing} (nothing was written; --force overwrites)"
        )
    for name, source in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    say(f"authload: a project in {folder}: {', '.join(files)}")
    say(f"  next: cd {folder} && authload validate scenarios/*.yaml --env mock && authload run")
    return EXIT_OK
