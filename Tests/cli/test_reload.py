"""Edit and rerun: an edited module (or a file it imports) is reloaded on fresh workers before the next call,
saying so in one line; `set autoreload=off` opts out; `reload` deploys again (local and AWS); old workers stop."""
import json
import os
import time

import pexpect

from conftest import FAAST_BIN, wait_for, worker_pids
from ptyshell import TIMEOUT, spawn  # noqa: F401 (spawn is a fixture)

# A Lambda deploy on moto: bounded, not timed.
DEPLOY_TIMEOUT = 300


def write(path, text):
    # A new mtime even on a file system with coarse timestamps: the check compares mtime, size and inode.
    before = os.stat(path).st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if os.stat(path).st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def python_project(tmp_path, version="v1", suffix="-a"):
    write(tmp_path / "helper.py", f"def suffix(x):\n    return {suffix!r} + str(x)\n")
    write(tmp_path / "mod.py", f"from helper import suffix\n\n\ndef f(x):\n    return {version!r} + suffix(x)\n")
    return tmp_path / "mod.py"


def run(child, line, prompt):
    child.send(line + "\r")
    child.expect_exact(prompt)
    return child.before.replace("\r\n", "\n")


def test_an_edited_import_reloads_on_fresh_workers_and_the_old_ones_stop(spawn, tmp_path, state_home):
    module = python_project(tmp_path)
    prompt = "mod.py@local> "
    child = spawn(module=module, prompt=prompt)
    assert '"v1-a1"' in run(child, "call f(1)", prompt)
    run(child, "call f($i) x20 concurrency=4", prompt)
    old = set(worker_pids(state_home))
    assert old, "the fan-out left warm workers"

    write(tmp_path / "helper.py", "def suffix(x):\n    return '-b' + str(x)\n")
    out = run(child, "call f(1)", prompt)
    assert "reloaded mod.py (helper.py changed) on fresh workers" in out, out
    assert '"v1-b1"' in out
    assert out.count("reloaded") == 1
    # the old workers are gone (stopped before the call), the new session has its own
    now = set(worker_pids(state_home))
    assert not (old & now), (old, now)
    assert len(now) == 1

    # nothing changed: no reload, same workers
    out = run(child, "call f(2)", prompt)
    assert "reloaded" not in out and '"v1-b2"' in out
    assert set(worker_pids(state_home)) == now
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    assert wait_for(lambda: not worker_pids(state_home), timeout=10)


def test_autoreload_off_says_so_and_reload_runs_the_new_code(spawn, tmp_path, state_home):
    module = python_project(tmp_path)
    prompt = "mod.py@local> "
    child = spawn(module=module, prompt=prompt)
    run(child, "set autoreload=off", prompt)
    write(module, "def f(x):\n    return 'v2'\n")
    out = run(child, "call f(1)", prompt)
    assert "mod.py changed since it was loaded (mod.py): reload runs the new code (autoreload is off)" in out, out
    assert '"v1-a1"' in out
    out = run(child, "call f(1)", prompt)
    assert "changed since" not in out, "said once per change"
    out = run(child, "reload", prompt)
    assert "reloaded mod.py (mod.py changed) on fresh workers" in out, out
    assert '"v2"' in run(child, "call f(1)", prompt)
    # a module that no longer loads: the error is the command's, the session keeps the code it had
    run(child, "set autoreload=on", prompt)
    write(module, "def f(x):\n    return (\n")
    out = run(child, "call f(1)", prompt)
    assert "reloading mod.py failed, the session still runs the code loaded before" in out, out
    assert "SyntaxError" in out and '"v2"' not in out
    write(module, "def f(x):\n    return 'v3'\n")
    out = run(child, "call f(1)", prompt)
    assert "reloaded mod.py (mod.py changed)" in out and '"v3"' in out, out
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    assert wait_for(lambda: not worker_pids(state_home), timeout=10)


def test_a_node_module_that_rewrites_its_helper_is_reloaded_as_json(faast, tmp_path):
    # One -c sequence: the function itself edits the file it required; the next command notices.
    (tmp_path / "helper.js").write_text("exports.word = () => 'old';\n")
    (tmp_path / "mod.js").write_text(
        "const fs = require('fs');\nconst { word } = require('./helper');\n"
        "exports.get = () => word();\n"
        "exports.edit = (text) => { fs.writeFileSync(require.resolve('./helper'), text); return true; };\n")
    r = faast.run(tmp_path / "mod.js", "--format", "json", "-c", "call get()",
                  "-c", "call edit(\"exports.word = () => 'new';\\nexports.more = (a) => a;\\n\")",
                  "-c", "call get()", "-c", "functions", "-c", "reload", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert [l["command"] for l in lines] == ["open", "call", "call", "reload", "call", "functions", "reload"]
    assert lines[1]["value"] == "old"
    reload = lines[3]
    assert reload["automatic"] is True and reload["changed"] == [str(tmp_path / "helper.js")]
    assert reload["removed"][0] == "stopped 1 worker"
    assert lines[4]["value"] == "new"
    assert lines[6]["automatic"] is False and lines[6]["changed"] == []


def test_on_aws_the_shell_says_the_module_changed_and_reload_redeploys(faast_bin, env, aws_env, tmp_path):
    module = python_project(tmp_path)
    prompt = "mod.py@aws> "
    child = pexpect.spawn(faast_bin, ["--provider", "aws", str(module)], env=dict(aws_env, TERM="xterm"),
                          encoding="utf-8", dimensions=(24, 200), timeout=DEPLOY_TIMEOUT, cwd=str(tmp_path))
    try:
        child.expect_exact(prompt)
        time.sleep(0.3)
        assert '"v1-a1"' in run(child, "call f(1)", prompt)
        write(module, "from helper import suffix\n\n\ndef f(x):\n    return 'v2' + suffix(x)\n")
        out = run(child, "call f(1)", prompt)
        assert ("mod.py changed since it was loaded (mod.py): the session still runs the code deployed before; "
                "reload deploys it again") in out, out
        assert '"v1-a1"' in out
        out = run(child, "reload", prompt)
        assert "reloaded mod.py (mod.py changed) on aws: deployed again" in out, out
        assert '"v2-a1"' in run(child, "call f(1)", prompt)
        # a file the module imports (packaged with it) is watched too
        write(tmp_path / "helper.py", "def suffix(x):\n    return '-z' + str(x)\n")
        out = run(child, "call f(1)", prompt)
        assert "mod.py changed since it was loaded (helper.py)" in out and '"v2-a1"' in out, out
        assert "reloaded mod.py (helper.py changed) on aws: deployed again" in run(child, "reload", prompt)
        assert '"v2-z1"' in run(child, "call f(1)", prompt)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)
