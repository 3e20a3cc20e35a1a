"""Unit tests run without network: any Internet socket use fails the test (Unix sockets
stay allowed: an asyncio event loop wakes itself through a local socket pair)."""

import contextlib
from collections.abc import Iterator

import pytest
import pytest_socket

# The X-Ray SDK (imported by Powertools' Tracer when the layer is imported) creates a UDP
# socket object at import time; it sends nothing outside Lambda. Import it while sockets are
# still allowed, so that a unit test may import the layer.
with contextlib.suppress(ImportError):
    import aws_xray_sdk.core  # noqa: F401


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()
