"""Runs any protocol flow over an `httpx.Client`. Knows no CometChat path or header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import httpx

from ..common._transport import MAX_BODY_BYTES, too_large_error, transport_error
from ..protocol import Exchange, Host, Request, Response, run_exchange

T = TypeVar("T")


def run_flow(flow: Exchange[T], client: httpx.Client, base_urls: Mapping[Host, str]) -> T:
    """Send each request the flow yields, feed back each response, return its result."""
    return run_exchange(flow, lambda request: send(client, base_urls, request))


def send(client: httpx.Client, base_urls: Mapping[Host, str], request: Request) -> Response:
    """One request; transport failures become `TransportError`, classified by type (the table
    the load path's driver uses too, `authload.common._transport`). A host that is no key of `base_urls`
    is an http step's absolute origin, sent to as it is."""
    url = base_urls.get(request.host, request.host) + request.path
    try:
        with client.stream(request.method, url, headers=request.headers, content=request.body) as reply:
            body = _read_capped(reply)
    except httpx.TransportError as error:
        raise transport_error(error) from None
    return Response(reply.status_code, reply.headers, body)  # httpx.Headers: case-insensitive


def _read_capped(reply: httpx.Response) -> bytes:
    """The (decoded) body up to `MAX_BODY_BYTES`, as the load path reads it; longer: an error."""
    chunks, size = [], 0
    for chunk in reply.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large_error(reply.status_code)
        chunks.append(chunk)
    return b"".join(chunks)
