"""A configuration file's bytes to text, refusing what is not small UTF-8 text.

Files are read as bytes, at most `MAX_BYTES`, so a huge or endless file
(`/dev/zero`) cannot exhaust memory. UTF-16 and UTF-32 (named by their byte
order mark), NUL bytes (binary data) and invalid UTF-8 each get a message with
the line they start on; a UTF-8 byte order mark is accepted and dropped.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ..common._errors import ConfigError

MAX_BYTES = 1024 * 1024
_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",  # before UTF-16: it starts with the UTF-16 LE mark
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
# What YAML 1.1 allows in a stream (PyYAML's reader refuses the rest without a line).
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_config_text(path: Path) -> str:
    """The file's text; raises `ConfigError` naming the file (and line) otherwise."""
    source = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError(
            f"cannot read file: {error.strerror or type(error).__name__}", source=source
        ) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"the file is larger than {MAX_BYTES // 1024} KiB", source=source)
    for bom, encoding in _WIDE_BOMS.items():
        if raw.startswith(bom):
            raise ConfigError(f"the file is {encoding} text; save it as UTF-8", source=source, line=1)
    raw = raw.removeprefix(codecs.BOM_UTF8)
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        raise ConfigError("the file holds a NUL byte: binary data, not text", source=source, line=line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError("the file is not UTF-8 text", source=source, line=line) from None
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text[: bad.start()].count("\n") + 1
        raise ConfigError(
            f"control character U+{ord(bad.group()):04X} is not allowed in YAML", source=source, line=line
        )
    return text
