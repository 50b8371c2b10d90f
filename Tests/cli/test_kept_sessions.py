"""Kept AWS sessions from the command line, against moto (AWS_ENDPOINT_URL, exported by scripts/test):
--keep, faast sessions, reuse on open, faast attach, the lock between two shells, cleanup of a kept session."""
import os
import re
import shutil
import stat
import subprocess

import pytest

from conftest import FIXTURES, wait_for


@pytest.fixture
def aws(faast, env, tmp_path):
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        pytest.fail("AWS_ENDPOINT_URL is not set: run through scripts/test (it starts moto)")
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    module = tmp_path / "m.js"
    shutil.copy(FIXTURES / "sample.js", module)
    return faast, module


def test_keep_list_reuse_attach_lock_cleanup(aws, state_home):
    faast, module = aws
    r = faast.run("--provider", "aws", "--keep", module, "-c", 'call hello("a")')
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '"hello a!"'
    m = re.search(r"kept the deployment \(--keep\): session ([0-9a-f]{12}) \(faast attach \1", r.stderr)
    assert m, r.stderr
    sid = m.group(1)

    folder = state_home / "faast" / "sessions"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / f"{sid}.json").stat().st_mode) == 0o600

    listing = faast.run("sessions")
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if line.startswith(sid))
    assert "aws" in row and "us-east-1" in row and str(module) in row and row.endswith("kept")

    # Same module and settings: reused, and kept again at exit without --keep.
    again = faast.run("--provider", "aws", module, "-c", 'call hello("b")')
    assert again.returncode == 0, again.stderr
    assert f"reused kept session {sid} (same code and settings)" in again.stderr
    assert again.stdout.strip() == '"hello b!"'

    # A shell holds it: another attach is refused, the listing says so; a plain open deploys fresh.
    holder = faast.popen("attach", sid, stdin=subprocess.PIPE)
    try:
        assert wait_for(lambda: "attached" in faast.run("sessions").stdout, timeout=30)
        refused = faast.run("attach", sid, "-c", "functions")
        assert refused.returncode == 1
        assert f"session {sid} is attached by another shell" in refused.stderr
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0, holder.stderr

    # Cleanup through attach removes its resources and its record.
    gone = faast.run("attach", sid, "-c", "cleanup")
    assert gone.returncode == 0, gone.stderr
    assert f"deleted function faast-{sid}" in gone.stdout + gone.stderr
    assert not (folder / f"{sid}.json").exists()
    assert "no kept sessions" in faast.run("sessions").stdout

    unknown = faast.run("attach", "0123456789ab")
    assert unknown.returncode == 2
    assert "no kept session '0123456789ab'" in unknown.stderr
