"""The run key: what lets a worker prove it belongs to a run, and keeps secrets off the wire.

Locust's master <-> worker channel (ZeroMQ) is neither authenticated nor
encrypted: anything that connects as a worker is sent spawn messages, and
every worker's report is merged. authload therefore never sends a credential
or token in clear, and believes only what carries the run key's tag:

- a worker proves membership by answering the master's random challenge with
  `HMAC(key, "proof", worker id, challenge)`; only proven workers get a plan;
- the plan (keys, tokens, identities) travels sealed: encrypted with a
  keystream of HMAC-SHA256 blocks over a random nonce, then authenticated
  with HMAC-SHA256 (encrypt-then-MAC, separate derived keys; stdlib only);
- every report and final marker a worker sends carries a tag over its content
  and a sequence number, so a rogue cannot forge or replay figures.

The key comes from `AUTHLOAD_RUN_KEY` (the same value on the master and every
worker, at least 16 characters). `--processes` needs none: the key is drawn
when Locust builds its parser, before it forks its workers, which inherit it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from typing import Any

from ...common._errors import ConfigError

ENV_VAR = "AUTHLOAD_RUN_KEY"
MIN_LENGTH = 16
_BLOCK = hashlib.sha256().digest_size
_family_key: str | None = None  # drawn before Locust forks `--processes` workers


def draw_family_key() -> None:
    """Draw the key a `--processes` master shares with the workers it forks (once per process)."""
    global _family_key  # one value per process family, inherited by fork
    if _family_key is None:
        _family_key = secrets.token_urlsafe(32)


def _encode(part: str | bytes | int) -> bytes:
    data = part if isinstance(part, bytes) else str(part).encode()
    return len(data).to_bytes(4, "big") + data  # length-prefixed: no two part lists collide


class RunKey:
    """Tags, checks, seals and opens with one run's key."""

    def __init__(self, text: str) -> None:
        root = text.encode()
        self._mac_key = hmac.digest(root, b"authload mac", "sha256")
        self._enc_key = hmac.digest(root, b"authload enc", "sha256")
        self.text = text  # for redaction only

    def __repr__(self) -> str:
        return "RunKey(***)"

    def tag(self, *parts: str | bytes | int) -> str:
        return hmac.digest(self._mac_key, b"".join(map(_encode, parts)), "sha256").hex()

    def verify(self, tag: Any, *parts: str | bytes | int) -> bool:
        return isinstance(tag, str) and hmac.compare_digest(tag, self.tag(*parts))

    def _keystream(self, nonce: bytes, length: int) -> bytes:
        blocks = (length + _BLOCK - 1) // _BLOCK
        return b"".join(
            hmac.digest(self._enc_key, nonce + i.to_bytes(8, "big"), "sha256") for i in range(blocks)
        )[:length]

    def seal(self, value: Any, recipient: str) -> dict[str, str]:
        """`value` (JSON-able) encrypted and authenticated for one recipient."""
        plain = json.dumps(value, separators=(",", ":")).encode()
        nonce = os.urandom(16)
        box = bytes(a ^ b for a, b in zip(plain, self._keystream(nonce, len(plain)), strict=True))
        return {
            "nonce": nonce.hex(),
            "box": base64.b64encode(box).decode(),
            "tag": self.tag("seal", recipient, nonce, box),
        }

    def open(self, sealed: Any, recipient: str) -> Any:
        """The value `seal` sealed for this recipient; ValueError if it was not sealed with this key."""
        try:
            nonce, box = bytes.fromhex(sealed["nonce"]), base64.b64decode(sealed["box"])
            tag = sealed["tag"]
        except (KeyError, TypeError, ValueError):
            raise ValueError("not a sealed message") from None
        if not self.verify(tag, "seal", recipient, nonce, box):
            raise ValueError("the message was not sealed with this run's key")
        plain = bytes(a ^ b for a, b in zip(box, self._keystream(nonce, len(box)), strict=True))
        return json.loads(plain)


def resolve(options: Any) -> RunKey | None:
    """The run key a Locust process uses; None for a single-process run, which needs none."""
    text = os.environ.get(ENV_VAR, "")
    distributed = bool(getattr(options, "master", False) or getattr(options, "worker", False))
    if text:
        if len(text) < MIN_LENGTH:
            raise ConfigError(f"{ENV_VAR} must be at least {MIN_LENGTH} characters")
        return RunKey(text)
    if getattr(options, "processes", None) and _family_key is not None:
        return RunKey(_family_key)
    if distributed:
        raise ConfigError(
            f"a distributed run (--master/--worker) needs {ENV_VAR}: the same secret on the master "
            "and every worker, so that only your workers can join and receive the run's keys"
        )
    return None


__all__ = ["ENV_VAR", "RunKey", "draw_family_key", "resolve"]
