"""Request size limit: an ASGI middleware answering 413 for bodies over the configured maximum."""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit", "RequestTooLarge"]


class RequestTooLarge(HTTPException):
    """Body larger than the server's maximum (raised while a chunked body streams in)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=_message(None, max_bytes))


def _message(size: int | None, max_bytes: int) -> str:
    got = "more than that" if size is None else f"{size} bytes"
    return f"request body: must be at most {max_bytes} bytes (PLANNER_MAX_REQUEST_BYTES), got {got}"


class BodySizeLimit:
    """Reject request bodies above ``max_bytes`` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _send_413(self, send: Send, size: int | None) -> None:
        body = json.dumps({"detail": _message(size, self.max_bytes)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = -1
                if size > self.max_bytes:
                    await self._send_413(send, size)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestTooLarge:
            if not started:
                await self._send_413(send, None)
