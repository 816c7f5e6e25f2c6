"""The aiohttp application and the listening socket, which counts the TCP connections it accepts."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Final

from aiohttp import web

from airflow_provider_veo.testing.emulator.cdn import add_cdn_routes
from airflow_provider_veo.testing.emulator.control import add_control_routes
from airflow_provider_veo.testing.emulator.routes import STATE, add_api_routes, emulator_middleware
from airflow_provider_veo.testing.emulator.state import EmulatorState
from airflow_provider_veo.testing.emulator.web_app import add_web_app_routes

#: Largest JSON request body (a 6 MB image is about 8 MB of base64).
CLIENT_MAX_SIZE: Final = 16 * 1024 * 1024


def require_loopback(host: str) -> None:
    """The emulator serves loopback only: refuse any other address."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"The emulator listens on loopback only (127.0.0.1, ::1, localhost), not {host!r}")


def build_app(state: EmulatorState) -> web.Application:
    app = web.Application(middlewares=[emulator_middleware], client_max_size=CLIENT_MAX_SIZE)
    app[STATE] = state
    add_api_routes(app)
    add_cdn_routes(app)
    add_control_routes(app)
    add_web_app_routes(app)
    return app


class EmulatorServer:
    """Serve ``state`` on ``host:port`` in the running event loop (``port=0`` picks a free port)."""

    def __init__(self, state: EmulatorState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        require_loopback(host)
        self.state = state
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        runner = web.AppRunner(build_app(self.state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        protocol_factory = runner.server
        if protocol_factory is None:
            raise RuntimeError("aiohttp runner did not create its server")
        state = self.state

        def accept() -> asyncio.BaseProtocol:
            with state.lock:
                state.counters.tcp_connections += 1
            return protocol_factory()

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._server = await asyncio.get_running_loop().create_server(
            accept, host=self.host, port=self.port, family=family, reuse_address=True
        )
        self._runner = runner
        self.port = int(self._server.sockets[0].getsockname()[1])
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        state.origin = f"http://{host}:{self.port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._server = None
        self._runner = None
