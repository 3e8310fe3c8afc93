"""A local S3 (moto's ThreadedMotoServer) for the tests that read or delete object storage through fsspec."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_s3(monkeypatch: pytest.MonkeyPatch, bucket: str) -> Iterator[tuple[str, Any]]:
    """(endpoint, S3FileSystem) of a fresh moto server holding an empty `bucket`; the environment points
    boto at it. Skipped (with a message) when moto[server] or s3fs is not installed."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the test extra")
    s3fs = pytest.importorskip("s3fs", reason="s3fs comes with logdive[cloud] and the test extra")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    import requests

    requests.post(f"{endpoint}/moto-api/reset", timeout=10)  # moto's state is per process: start empty
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    fs.mkdir(bucket)
    try:
        yield endpoint, fs
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()
