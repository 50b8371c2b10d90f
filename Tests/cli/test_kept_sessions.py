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
    m = re.search(r"kept the deployment: session ([0-9a-f]{12}) \(faast attach \1", r.stderr)
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
        _, holder_err = holder.communicate("", timeout=60)
    assert holder.returncode == 0, holder_err
    # Attached by id, it says so (not "reused … same code and settings", which is what open finds by itself).
    assert f"attached kept session {sid}" in holder_err and "reused kept session" not in holder_err

    # Cleanup through attach removes its resources and its record.
    gone = faast.run("attach", sid, "-c", "cleanup")
    assert gone.returncode == 0, gone.stderr
    assert f"deleted function faast-{sid}" in gone.stdout + gone.stderr
    assert not (folder / f"{sid}.json").exists()
    assert "no kept sessions" in faast.run("sessions").stdout

    unknown = faast.run("attach", "0123456789ab")
    assert unknown.returncode == 2
    assert "no kept session '0123456789ab'" in unknown.stderr


def test_changed_dependencies_never_reuse_a_kept_function(aws, state_home, tmp_path):
    """The reuse key holds the dependency files' hash: a kept session whose layer has the old dependencies is
    not reused (a fresh deploy runs the new ones), and attaching it by id says why."""
    faast, _ = aws
    app = tmp_path / "app"
    (app / "vendor" / "greet").mkdir(parents=True)
    # A name unique to the run: a layer of its own, whatever this moto holds from earlier runs.
    (app / "package.json").write_text('{"name": "kept-%s", "dependencies": {"greet": "file:./vendor/greet"}}' % os.urandom(4).hex())
    (app / "vendor" / "greet" / "package.json").write_text('{"name": "greet", "version": "1.0.0", "main": "index.js"}')
    greet = app / "vendor" / "greet" / "index.js"
    greet.write_text("module.exports = (n) => 'hello ' + n;\n")
    (app / "mod.js").write_text("const greet = require('greet');\nexports.hi = (n) => greet(n);\n")
    args = ["--provider", "aws", "--dependencies", "package.json", "mod.js", "-c", 'call hi("x")']

    first = faast.run("--keep", *args, cwd=app, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == '"hello x"'
    sid = re.search(r"session ([0-9a-f]{12}) \(faast attach", first.stderr).group(1)

    same = faast.run(*args, cwd=app, timeout=120)
    assert same.returncode == 0, same.stderr
    assert f"reused kept session {sid} (same code and settings)" in same.stderr
    assert same.stdout.strip() == '"hello x"'

    # The dependency changes, the module does not: no reuse, the new dependency runs.
    greet.write_text("module.exports = (n) => 'hi there ' + n;\n")
    fresh = faast.run(*args, cwd=app, timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    assert "reused kept session" not in fresh.stderr
    assert fresh.stdout.strip() == '"hi there x"'

    refused = faast.run("attach", sid, "-c", 'call hi("x")', cwd=app, timeout=120)
    assert refused.returncode == 1
    assert f"the dependencies of kept session {sid} changed since it was kept" in refused.stderr

    greet.write_text("module.exports = (n) => 'hello ' + n;\n")
    gone = faast.run("attach", sid, "-c", "cleanup", cwd=app, timeout=120)
    assert gone.returncode == 0, gone.stderr
