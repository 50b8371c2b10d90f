"""Shared fixtures for the faast command-line tests.

The binary is $FAAST_BIN (default: <repo>/.build/debug/faast); a missing binary is a failure, not a skip.
Every test runs faast with its own XDG_STATE_HOME (a temporary folder: history, local sessions and their
workers stay out of the user's home) and NO_COLOR=1.
"""
import os
import pathlib
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
FIXTURES = REPO / "Tests" / "Fixtures" / "modules"
FAAST_BIN = os.environ.get("FAAST_BIN") or str(REPO / ".build" / "debug" / "faast")

# Most commands finish in well under a second; these only bound a hung process.
RUN_TIMEOUT = 30


@pytest.fixture(scope="session")
def faast_bin():
    if not (os.path.isfile(FAAST_BIN) and os.access(FAAST_BIN, os.X_OK)):
        pytest.fail(f"faast binary not found at {FAAST_BIN}: build it (swift build --product faast) or set FAAST_BIN")
    return FAAST_BIN


@pytest.fixture
def state_home(tmp_path):
    d = tmp_path / "state"
    d.mkdir()
    return d


@pytest.fixture
def config_home(tmp_path):
    """An empty $XDG_CONFIG_HOME: no user's faastrc reaches a test unless the test writes one."""
    d = tmp_path / "config"
    d.mkdir()
    return d


@pytest.fixture
def env(state_home, config_home):
    e = dict(os.environ)
    for k in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        e.pop(k, None)
    e.update(
        NO_COLOR="1",
        XDG_STATE_HOME=str(state_home),
        XDG_CONFIG_HOME=str(config_home),
        # A crash must fail the test at once, not wait for a key at the backtracer's prompt.
        SWIFT_BACKTRACE="enable=no",
    )
    return e


class Faast:
    """Runs the binary with the test's environment."""

    def __init__(self, binary, env, cwd):
        self.binary = binary
        self.env = env
        self.cwd = cwd

    def run(self, *args, input=None, cwd=None, timeout=RUN_TIMEOUT, executable=None, env=None):
        return subprocess.run(
            [executable or self.binary, *map(str, args)],
            input=input,
            capture_output=True,
            text=True,
            env=env or self.env,
            cwd=cwd or self.cwd,
            timeout=timeout,
        )

    def popen(self, *args, **kw):
        return subprocess.Popen(
            [self.binary, *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.cwd,
            **kw,
        )


@pytest.fixture
def faast(faast_bin, env):
    return Faast(faast_bin, env, REPO)


@pytest.fixture(scope="session")
def moto():
    """The suite's moto_server (scripts/test exports its endpoint), else the one scripts/moto starts or reuses."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        endpoint = subprocess.run([str(REPO / "scripts" / "moto"), "start"], capture_output=True, text=True,
                                  timeout=120).stdout.strip()
    assert endpoint.startswith("http"), "no moto_server: run scripts/moto start"
    return endpoint


@pytest.fixture
def aws_env(env, moto):
    """The test's environment pointed at moto (with the tests' credentials and region, no profile)."""
    env.update(AWS_ENDPOINT_URL=moto, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1")
    for k in [k for k in env if k.startswith("AWS_ENDPOINT_URL_") or k == "AWS_PROFILE"]:
        env.pop(k)
    return env


@pytest.fixture
def lam(moto):
    """A boto3 Lambda client on moto."""
    import boto3  # only the AWS tests need it
    return boto3.client("lambda", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def worker_pids(state_home):
    """Worker processes (trampoline.js / trampoline.py) started by sessions under `state_home`."""
    marker = str(state_home).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if b"trampoline" in cmdline and marker in cmdline:
            # A zombie that is already gone in all but name does not count.
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        continue
            except OSError:
                continue
            pids.append(int(entry))
    return pids


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Polls `predicate` until it is truthy or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
