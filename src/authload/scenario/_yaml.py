"""YAML loading that remembers where every value came from.

Pydantic reports an error at a path such as `("flows", "signup", "steps", 2)`;
`SourceMap.line(path)` turns that path into the line of the file, so every
error can name file, line and field. `${VAR}` and `${VAR:-default}` are
replaced from the process environment here, before validation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._exceptions import ConfigError, MissingSecretError

Path_ = tuple[str | int, ...]
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass
class SourceMap:
    """Line numbers (1-based) of every mapping key and sequence item in one file."""

    source: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of the deepest known prefix of `path`."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        """A `ConfigError` at `path`, named as `a.b[2].c`."""
        where = dotted(path)
        return ConfigError(
            f"{where}: {message}" if where else message, source=self.source, line=self.line(path)
        )


def dotted(path: Path_) -> str:
    """`("flows", "x", "steps", 2)` -> `flows.x.steps[2]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(
    path: Path, *, substitute: bool = False, environ: Mapping[str, str] | None = None
) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data plus its `SourceMap`."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read file: {error.strerror}", source=source) from None
    except UnicodeDecodeError as error:
        bad_line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise ConfigError("the file is not UTF-8 text", source=source, line=bad_line) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise ConfigError(f"invalid YAML: {error.problem}", source=source, line=line) from None
    smap = SourceMap(source)
    data = _walk(node, (), smap) if node is not None else None
    if substitute:
        data = _substitute(data, (), smap, os.environ if environ is None else environ)
    return data, smap


def _walk(node: yaml.Node, path: Path_, smap: SourceMap) -> Any:
    smap.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    "keys must be plain names", source=smap.source, line=key_node.start_mark.line + 1
                )
            key = yaml.SafeLoader(" ").construct_object(key_node)
            smap.lines[(*path, key)] = key_node.start_mark.line + 1
            if key in result:
                raise smap.error((*path, key), "duplicate key")
            result[key] = _walk(value_node, (*path, key), smap)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, index), smap) for index, item in enumerate(node.value)]
    return yaml.SafeLoader(" ").construct_object(node)


def _substitute(data: Any, path: Path_, smap: SourceMap, environ: Mapping[str, str]) -> Any:
    if isinstance(data, dict):
        return {key: _substitute(value, (*path, key), smap, environ) for key, value in data.items()}
    if isinstance(data, list):
        return [_substitute(value, (*path, index), smap, environ) for index, value in enumerate(data)]
    if not isinstance(data, str) or "${" not in data:
        return data

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = environ.get(name)
        if value:
            return value
        if default is not None:
            return default
        raise MissingSecretError(
            f"{dotted(path)}: environment variable {name} is not set",
            source=smap.source,
            line=smap.line(path),
        )

    return _VAR.sub(replace, data)
