"""YAML loading that remembers where every value came from.

Pydantic reports an error at a path such as `("flows", "signup", "steps", 2)`;
`SourceMap.line(path)` turns that path into the line of the file, so every
error can name file, line and field. `${VAR}` and `${VAR:-default}` are
replaced from the process environment here, before validation, and the map
remembers which variables fed which value (errors name the variable, never
its value).

Hostile input: the loader refuses aliases (a 332-byte alias bomb would expand
without bound), merge keys and explicit tags (`!evil`, `!!binary`; `!!str` is
allowed), and nesting deeper than `MAX_DEPTH`, each before PyYAML recurses or
constructs anything, as a `file:line:` error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..common._errors import ConfigError, MissingSecretError
from ._text import read_config_text

Path_ = tuple[str | int, ...]
MAX_DEPTH = 64
_ALLOWED_TAGS = (None, "!", "tag:yaml.org,2002:str")
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:str", "tag:yaml.org,2002:null")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass
class SourceMap:
    """Line numbers (1-based) of every mapping key and sequence item in one file."""

    source: str
    lines: dict[Path_, int] = field(default_factory=dict)
    variables: dict[Path_, list[str]] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of the deepest known prefix of `path`."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        """A `ConfigError` at `path`, named as `a.b[2].c` (and the `${VAR}`s its value came from)."""
        where = dotted(path)
        names = self.variables.get(path)
        if names:
            where += " (from " + ", ".join(f"${{{name}}}" for name in names) + ")"
        return ConfigError(
            f"{where}: {message}" if where else message, source=self.source, line=self.line(path)
        )


def dotted(path: Path_) -> str:
    """`("flows", "x", "steps", 2)` -> `flows.x.steps[2]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with no aliases, merge keys or tags, and bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _composer_error(event, "aliases (*name) are not supported; write the value out")
        if getattr(event, "tag", None) not in _ALLOWED_TAGS:
            raise _composer_error(event, f"tags such as {event.tag!r} are not supported")
        if not isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _composer_error(event, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _composer_error(event: Any, problem: str) -> yaml.MarkedYAMLError:
    return yaml.composer.ComposerError(None, None, problem, event.start_mark)


def load_yaml(
    path: Path, *, substitute: bool = False, environ: Mapping[str, str] | None = None
) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data plus its `SourceMap`."""
    source = str(path)
    text = read_config_text(path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(
            f"invalid YAML: {error.problem or error.context}", source=source, line=line
        ) from None
    except yaml.YAMLError as error:  # not expected after read_config_text; still no traceback
        raise ConfigError(f"invalid YAML: {error}", source=source) from None
    finally:
        loader.dispose()
    smap = SourceMap(source)
    data = _walk(node, (), smap) if node is not None else None
    if substitute:
        data = substitute_variables(data, (), smap, os.environ if environ is None else environ)
    return data, smap


def _walk(node: yaml.Node, path: Path_, smap: SourceMap) -> Any:
    smap.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError("keys must be plain names", source=smap.source, line=line)
            if key_node.tag == _MERGE:
                raise ConfigError("merge keys (<<) are not supported", source=smap.source, line=line)
            # A key is a name, as written: YAML 1.1 would read `on:` (retry.on) as true.
            key = key_node.value if key_node.tag in _PLAIN_TAGS else _scalar(key_node, smap)
            smap.lines[(*path, key)] = line
            if key in result:
                raise smap.error((*path, key), "duplicate key")
            result[key] = _walk(value_node, (*path, key), smap)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, index), smap) for index, item in enumerate(node.value)]
    return _scalar(node, smap)


def _scalar(node: yaml.Node, smap: SourceMap) -> Any:
    """One scalar's value; the few PyYAML cannot build (`=`) are errors at their line."""
    try:
        return yaml.SafeLoader(" ").construct_object(node)
    except (yaml.YAMLError, ValueError) as error:
        problem = getattr(error, "problem", None) or "cannot read this value"
        raise ConfigError(
            f"invalid YAML: {problem}", source=smap.source, line=node.start_mark.line + 1
        ) from None


def substitute_variables(
    data: Any, path: Path_, smap: SourceMap, environ: Mapping[str, str], found: list[str] | None = None
) -> Any:
    """`data` (at `path` of the file) with every `${VAR}` replaced; the values that came from the
    environment are added to `found` (they are secrets: reports mask them)."""
    if isinstance(data, dict):
        return {
            key: substitute_variables(value, (*path, key), smap, environ, found)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [
            substitute_variables(value, (*path, index), smap, environ, found)
            for index, value in enumerate(data)
        ]
    if not isinstance(data, str) or "${" not in data:
        return data
    smap.variables[path] = [match.group(1) for match in VARIABLE.finditer(data)]

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = environ.get(name)
        if value:
            if found is not None:
                found.append(value)
            return value
        if default is not None:
            return default
        raise MissingSecretError(
            f"{dotted(path)}: environment variable {name} is not set",
            source=smap.source,
            line=smap.line(path),
        )

    return VARIABLE.sub(replace, data)
