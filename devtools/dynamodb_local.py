"""AWS's DynamoDB Local, the real emulator, run on this machine's Java without Docker.

It ships inside the npm package amplify-dynamodb-simulator (folder emulator/). We fetch only that
package's tarball with `npm pack` (no dependencies) and unpack the emulator under .local/.

    python -m devtools.dynamodb_local install
    python -m devtools.dynamodb_local run --port 8002 --db-path .local/dynamodb-data
"""

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from devtools.processes import port_in_use, stop_process, wait_until

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "amplify-dynamodb-simulator@2.9.30"  # carries DynamoDB Local 1.25.1
EMULATOR_DIR = Path(os.environ.get("DYNAMODB_LOCAL_DIR", ROOT / ".local" / "dynamodb-local"))


class SetupError(RuntimeError):
    """Something this machine lacks (Java, npm) or a port already taken: say so plainly."""


def jar_path() -> Path:
    return EMULATOR_DIR / "DynamoDBLocal.jar"


def ensure_installed() -> Path:
    if jar_path().exists():
        return EMULATOR_DIR
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("npm is needed once to fetch DynamoDB Local; install Node.js and npm.")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/emulator/")]
            archive.extractall(tmp, members=members, filter="data")
        staging = EMULATOR_DIR.with_name(EMULATOR_DIR.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(tmp) / "package" / "emulator"), staging)
        staging.rename(EMULATOR_DIR)  # appears whole or not at all
    return EMULATOR_DIR


def java() -> str:
    found = shutil.which("java")
    if found is None:
        raise SetupError(
            "Java 17+ is needed to run DynamoDB Local (apt-get install openjdk-17-jre-headless)."
        )
    return found


def command(port: int, db_path: Path | None) -> list[str]:
    lib = EMULATOR_DIR / "DynamoDBLocal_lib"
    storage = ["-dbPath", str(db_path)] if db_path else ["-inMemory"]
    return [
        java(), f"-Djava.library.path={lib}", "-jar", str(jar_path()),
        *storage, "-disableTelemetry", "-port", str(port),
    ]  # fmt: skip


class DynamoDBLocal:
    """A running emulator on 127.0.0.1:port; use as a context manager or start()/stop()."""

    def __init__(self, port: int, db_path: Path | None = None, log_path: Path | None = None):
        self.port = port
        self.db_path = db_path
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def start(self, timeout: float = 60) -> "DynamoDBLocal":
        ensure_installed()
        if port_in_use(self.port):
            raise SetupError(f"port {self.port} is already in use; DynamoDB Local cannot start")
        if self.db_path:
            self.db_path.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            command(self.port, self.db_path), stdout=log, stderr=subprocess.STDOUT,
            cwd=EMULATOR_DIR, start_new_session=True,
        )  # fmt: skip
        client = self.client()
        try:
            wait_until(lambda: client.list_tables() is not None, timeout, "DynamoDB Local",
                       self.process)  # fmt: skip
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def __enter__(self) -> "DynamoDBLocal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("install", help="fetch the emulator into .local/ if it is not there")
    run = sub.add_parser("run", help="run the emulator in the foreground")
    run.add_argument("--port", type=int, default=8002)
    run.add_argument("--db-path", type=Path, default=None, help="keep data here (default: memory)")
    args = parser.parse_args(argv)
    try:
        if args.action == "install":
            print(ensure_installed())
            return 0
        java()
        ensure_installed()
        os.execv(java(), command(args.port, args.db_path))
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
