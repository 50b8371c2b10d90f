"""A fresh AWS deploy from the command line, against moto (AWS_ENDPOINT_URL, exported by scripts/test): the
progress line names the steps on a terminal and stays out of a pipe."""
import os
import shutil

import pexpect
import pytest

from conftest import FIXTURES


@pytest.fixture
def aws_env(env, tmp_path):
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        pytest.fail("AWS_ENDPOINT_URL is not set: run through scripts/test (it starts moto)")
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    shutil.copy(FIXTURES / "sample.js", tmp_path / "m.js")
    return env


def test_progress_line_names_the_steps_on_a_terminal(faast_bin, aws_env, tmp_path):
    child = pexpect.spawn(faast_bin, ["--provider", "aws", "--mode", "queue", "m.js", "-c", 'call hello("p")'],
                          env=dict(aws_env, TERM="xterm"), cwd=str(tmp_path), encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    out = child.before
    assert child.exitstatus == 0, out
    assert '"hello p!"' in out
    for step in ["deploying m.js: ", "packaging", "role check", "log group", "queue and topic", "creating the function",
                 "waiting until the function is Active", "connecting the queue"]:
        assert step in out, out
    # Described here while the function was created: the first call does not wait for Lambda's description.
    assert "loading the module on Lambda" not in out, out
    # Erased before the result is written: the line with the result has no leftover of it.
    result_line = next(line for line in out.splitlines() if '"hello p!"' in line)
    assert "deploying" not in result_line.split("\x1b[K")[-1], repr(result_line)


def test_no_progress_line_in_a_pipe(faast, aws_env, tmp_path):
    r = faast.run("--provider", "aws", "m.js", "-c", 'call hello("q")', cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == '"hello q!"\n'
    assert "deploying" not in r.stderr and "\r" not in r.stderr, repr(r.stderr)
