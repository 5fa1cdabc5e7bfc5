"""Runs any protocol flow over an `httpx.Client`. Knows no CometChat path or header."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import httpx

from .._exceptions import TransportError
from ..protocol import Exchange, Host, Request, Response, run_exchange

T = TypeVar("T")


def run_flow(flow: Exchange[T], client: httpx.Client, base_urls: Mapping[Host, str]) -> T:
    """Send each request the flow yields, feed back each response, return its result."""
    return run_exchange(flow, lambda request: send(client, base_urls, request))


def send(client: httpx.Client, base_urls: Mapping[Host, str], request: Request) -> Response:
    """One request; transport failures become `TransportError`, classified."""
    url = base_urls[request.host] + request.path
    try:
        reply = client.request(request.method, url, headers=request.headers, content=request.body)
    except httpx.TimeoutException as error:
        raise TransportError(f"timeout: {type(error).__name__}", cause="timeout") from None
    except httpx.ConnectError as error:
        raise TransportError(f"connect failed: {type(error).__name__}", cause="connect") from None
    except httpx.TransportError as error:
        raise TransportError(f"connection broken: {type(error).__name__}", cause="reset") from None
    return Response(reply.status_code, reply.headers, reply.content)  # httpx.Headers: case-insensitive
