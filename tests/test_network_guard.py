"""The offline guard itself must work, or every 'offline' claim is untested."""

from __future__ import annotations

import socket

import pytest


def test_guard_refuses_a_public_address() -> None:
    """Connecting to a public address fails the test before any packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(AssertionError):
        sock.connect(("93.184.215.14", 80))


def test_guard_refuses_name_resolution() -> None:
    """Resolving a public name is refused too."""
    with pytest.raises(AssertionError):
        socket.getaddrinfo("example.org", 443)


def test_guard_allows_loopback() -> None:
    """Loopback stays usable for local test servers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname())
