"""Modules that import things run on Lambda (moto) exactly as they run locally: what a module loads is found
and packaged, dependencies= installs into a cached layer (and a local cache), `faast package` shows it all.

On the suite's moto_server (Tests/aws/moto_lambda.py, which mounts layers and runs python3.12 when this
machine has it); each test's dependency file is unique to the run, so the layers counted are its own. The python test installs mmh3 (native code, manylinux
cp312 wheels) from the package index.
"""
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# Installs from the package index and Lambda deploys: bounded, not timed.
DEPLOY_TIMEOUT = 300


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def aws_env(aws_env, cache_home):
    """conftest's moto environment with a dependency cache of this module's own."""
    aws_env.update(XDG_CACHE_HOME=str(cache_home))
    return aws_env


def run(faast, *args, cwd):
    return faast.run(*args, cwd=cwd, timeout=DEPLOY_TIMEOUT)


def write(root, files):
    for rel, text in files.items():
        mode = 0o644
        if isinstance(text, tuple):
            text, mode = text
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)


def faast_layers(lam):
    return sorted(l["LayerName"] for l in lam.list_layers()["Layers"] if l["LayerName"].startswith("faast-deps-"))


NODE_PROJECT = {
    "package.json": '{"name": "proj", "private": true}',
    "mod.js": "const { twice } = require('./lib/helper');\n"
              "const table = require('./data/table.json');\n"
              "const pad = require('tiny-pad');\n"
              "exports.quad = (x) => twice(twice(x));\n"
              "exports.padded = (s) => pad(s, table.width);\n",
    "lib/helper.js": "exports.twice = (x) => 2 * x;\n",
    "data/table.json": '{"width": 6}',
    "esm.mjs": "import { twice } from './lib/twice.mjs';\n"
               "import pad from 'tiny-pad';\n"
               "export const quad = (x) => twice(twice(x));\n"
               "export const padded = (s) => pad(s, 6);\n",
    "lib/twice.mjs": "export const twice = (x) => 2 * x;\n",
    # A package whose file is required lazily, inside the function: the whole package folder goes.
    "node_modules/tiny-pad/package.json": '{"name": "tiny-pad", "version": "1.0.0", "main": "index.js"}',
    "node_modules/tiny-pad/index.js": "module.exports = (s, n) => require('./impl')(s, n);\n",
    "node_modules/tiny-pad/impl.js": "module.exports = (s, n) => s.padStart(n, '.');\n",
    "unused.js": "exports.never = 1;\n",
}


def test_the_issue_example_runs_on_lambda_with_no_option(faast, aws_env, tmp_path):
    write(tmp_path, {"mod.js": "const { twice } = require('./helper'); exports.quad = (x) => twice(twice(x));\n",
                     "helper.js": "exports.twice = (x) => 2 * x;\n"})
    local = run(faast, "mod.js", "-c", "call quad(3)", cwd=tmp_path)
    remote = run(faast, "--provider", "aws", "mod.js", "-c", "call quad(3)", cwd=tmp_path)
    assert (local.returncode, local.stdout) == (0, "12\n"), local.stderr
    assert (remote.returncode, remote.stdout) == (0, "12\n"), remote.stderr


@pytest.mark.parametrize("module", ["mod.js", "esm.mjs"])
def test_relative_json_esm_and_node_modules_imports_run_as_locally(faast, aws_env, tmp_path, module):
    write(tmp_path, NODE_PROJECT)
    commands = ["-c", "call quad(3)", "-c", 'call padded("ab")']
    local = run(faast, module, *commands, cwd=tmp_path)
    remote = run(faast, "--provider", "aws", module, *commands, cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert local.stdout == '12\n"....ab"\n'
    assert (remote.returncode, remote.stdout) == (0, local.stdout), remote.stderr


def test_an_es_module_project_runs_on_lambda(faast, aws_env, tmp_path):
    # "type": "module" makes every .js an ES module, the trampoline (trampoline.cjs) excepted.
    write(tmp_path, {"src/package.json": '{"type": "module"}',
                     "src/mod.js": "import { twice } from './lib/twice.js';\nexport const quad = (x) => twice(twice(x));\n",
                     "src/lib/twice.js": "export const twice = (x) => 2 * x;\n",
                     "package.json": '{"name": "esm-app"}'})
    local = run(faast, "src/mod.js", "-c", "call quad(5)", cwd=tmp_path)
    remote = run(faast, "--provider", "aws", "src/mod.js", "-c", "call quad(5)", cwd=tmp_path)
    assert (local.returncode, local.stdout) == (0, "20\n"), local.stderr
    assert (remote.returncode, remote.stdout) == (0, "20\n"), remote.stderr


def test_python_sibling_package_and_native_dependency_in_a_reused_layer(faast, aws_env, tmp_path, lam):
    write(tmp_path, {
        # A comment unique to the run: a layer of its own, whatever this moto holds from earlier runs.
        "requirements.txt": f"# run {uuid.uuid4().hex}\nmmh3==5.1.0\n",
        "mod.py": "import mmh3\nfrom helper_pkg.sub import twice\n\n"
                  "def h(s):\n    return [mmh3.hash(s), mmh3.hash128(s), twice(21)]\n",
        "helper_pkg/__init__.py": "",
        "helper_pkg/sub.py": "def twice(x):\n    return 2 * x\n",
    })
    before = faast_layers(lam)
    expected = "[-156908512, 168394135621993849475852668931176482145, 42]\n"
    args = ["--dependencies", "requirements.txt", "mod.py", "-c", 'call h("foo")', "-c", "status"]
    first = run(faast, "--provider", "aws", *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(expected)
    assert "(published by this session)" in first.stdout
    new = sorted(set(faast_layers(lam)) - set(before))
    assert len(new) == 1
    second = run(faast, "--provider", "aws", *args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(expected)
    assert "(reused)" in second.stdout
    # One publish in all: the second session found the layer and published nothing.
    assert len(lam.list_layer_versions(LayerName=new[0])["LayerVersions"]) == 1
    assert sorted(set(faast_layers(lam)) - set(before)) == new
    local = run(faast, "--dependencies", "requirements.txt", "mod.py", "-c", 'call h("foo")', cwd=tmp_path)
    assert (local.returncode, local.stdout) == (0, expected), local.stderr
    # The code package holds the module's own files, not mmh3 (the layer has it, built for Lambda).
    listing = run(faast, "package", "mod.py", "--dependencies", "requirements.txt", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "helper_pkg/sub.py" in listing.stdout and "mmh3" not in listing.stdout.split("layer ")[0]
    assert f"layer {new[0]} (dependencies=requirements.txt): published" in listing.stdout


def greet_project(**extra_dependencies):
    """A node project whose package.json depends on a local package (`file:./vendor/greet`), plus `extra`."""
    deps = dict({"greet": "file:./vendor/greet"}, **extra_dependencies)
    return {
        "package.json": json.dumps({"name": "app-" + uuid.uuid4().hex[:8], "dependencies": deps}),
        "vendor/greet/package.json": '{"name": "greet", "version": "1.0.0", "main": "index.js"}',
        "vendor/greet/index.js": "module.exports = (n) => 'hello ' + n;\n",
        "mod.js": "const greet = require('greet');\nexports.hi = (n) => greet(n);\n",
    }


def test_node_dependencies_from_a_file_package(faast, aws_env, tmp_path, lam):
    write(tmp_path, greet_project())
    args = ["--dependencies", "package.json", "mod.js", "-c", 'call hi("wörld")', "-c", "status"]
    remote = run(faast, "--provider", "aws", *args, cwd=tmp_path)
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout.startswith('"hello wörld"\n')
    assert "faast-deps-" in remote.stdout
    local = run(faast, "--dependencies", "package.json", "mod.js", "-c", 'call hi("wörld")', cwd=tmp_path)
    assert (local.returncode, local.stdout) == (0, '"hello wörld"\n'), local.stderr


def test_a_failing_install_names_the_package_and_deploys_nothing(faast, aws_env, tmp_path, lam):
    write(tmp_path, {"requirements.txt": "nosuchpackage-faast-test==1.0\n", "mod.py": "def f():\n    return 1\n"})
    functions = len(lam.list_functions()["Functions"])
    layers = faast_layers(lam)
    r = run(faast, "--provider", "aws", "--dependencies", "requirements.txt", "mod.py", "-c", "call f()", cwd=tmp_path)
    assert r.returncode == 1
    assert "nosuchpackage-faast-test==1.0 failed to install" in r.stderr
    assert "pip says" in r.stderr and "No matching distribution found for nosuchpackage-faast-test" in r.stderr
    assert "nothing was deployed" in r.stderr
    assert len(lam.list_functions()["Functions"]) == functions
    assert faast_layers(lam) == layers
    local = run(faast, "--dependencies", "requirements.txt", "mod.py", "-c", "call f()", cwd=tmp_path)
    assert local.returncode == 1 and "nosuchpackage-faast-test" in local.stderr


@pytest.mark.parametrize("vendor,problem", [
    # A tarball npm cannot read: npm's TAR_BAD_ARCHIVE names no package, faast finds which one it is.
    ({"vendor/broken-1.0.0.tgz": "not a tarball\n"}, "file:./vendor/broken-1.0.0.tgz is neither a gzip nor a tar archive"),
    # A folder that does not exist: npm would link it and succeed; faast stops before.
    ({}, "file:./vendor/broken-1.0.0.tgz does not exist"),
], ids=["broken-tarball", "missing"])
def test_a_failing_npm_install_names_the_package_and_deploys_nothing(faast, aws_env, tmp_path, lam, vendor, problem):
    write(tmp_path, dict(greet_project(broken="file:./vendor/broken-1.0.0.tgz"), **vendor))
    functions = len(lam.list_functions()["Functions"])
    layers = faast_layers(lam)
    r = run(faast, "--provider", "aws", "--dependencies", "package.json", "mod.js", "-c", 'call hi("x")', cwd=tmp_path)
    assert r.returncode == 1
    assert "installing package.json for Lambda (x86_64): broken failed to install" in r.stderr, r.stderr
    assert problem in r.stderr and "nothing was deployed" in r.stderr
    if vendor:  # npm ran: its own words follow
        assert "npm says:" in r.stderr and "TAR_BAD_ARCHIVE" in r.stderr
    assert "greet failed" not in r.stderr
    assert len(lam.list_functions()["Functions"]) == functions
    assert faast_layers(lam) == layers
    local = run(faast, "--dependencies", "package.json", "mod.js", "-c", 'call hi("x")', cwd=tmp_path)
    assert local.returncode == 1
    assert "installing package.json for this machine: broken failed to install" in local.stderr and problem in local.stderr


def test_install_progress_shows_on_a_terminal_only(faast, env, tmp_path):
    import pexpect
    from ptyshell import screen

    write(tmp_path, greet_project())
    cache = tmp_path / "cache"
    child = pexpect.spawn(faast.binary, ["--dependencies", "package.json", "mod.js", "-c", 'call hi("you")'],
                          env=dict(env, TERM="xterm", XDG_CACHE_HOME=str(cache)), cwd=str(tmp_path),
                          encoding="utf-8", dimensions=(24, 200), timeout=DEPLOY_TIMEOUT)
    child.logfile_read = io.StringIO()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.logfile_read.getvalue()
    written = child.logfile_read.getvalue()
    assert "installing package.json for this machine" in written
    # The progress line is cleared once the install ends: the screen keeps the session's lines and the result.
    lines = [l.rstrip() for l in screen(child).display if l.strip()]
    assert not [l for l in lines if "installing" in l], lines
    assert lines[0].startswith("opened mod.js on local") and lines[-1].startswith('"hello you"'), lines
    # Piped, the same install (a fresh cache: it installs again) shows no progress.
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache-piped")
    piped = run(faast, "--dependencies", "package.json", "mod.js", "-c", 'call hi("you")', cwd=tmp_path)
    assert (tmp_path / "cache-piped" / "faast" / "deps").is_dir()
    assert piped.returncode == 0 and piped.stdout == '"hello you"\n'
    assert "installing" not in piped.stderr


def test_package_lists_and_writes_the_zip_deterministically(faast, env, tmp_path):
    write(tmp_path, dict(NODE_PROJECT, **{"bin/tool.sh": ("#!/bin/sh\necho hi\n", 0o755)}))
    r = run(faast, "package", "mod.js", "--include", "bin/*", "-o", "a.zip", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for path in ["mod.js", "trampoline.js", "lib/helper.js", "data/table.json", "package.json",
                 "node_modules/tiny-pad/index.js", "node_modules/tiny-pad/impl.js", "bin/tool.sh"]:
        assert path in r.stdout
    assert "unused.js" not in r.stdout
    assert "no layer (no dependencies=)" in r.stdout
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        names = z.namelist()
        mode = (z.getinfo("bin/tool.sh").external_attr >> 16) & 0o777
    assert names == sorted(names) and "node_modules/tiny-pad/impl.js" in names and "unused.js" not in names
    assert mode == 0o755
    again = run(faast, "package", "mod.js", "--include", "bin/*", "-o", "b.zip", cwd=tmp_path)
    assert again.returncode == 0
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    # The shell's package command: the same listing, for the open module or a named one.
    shell = run(faast, "-c", "package mod.js include=bin/*", cwd=tmp_path)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout == r.stdout.split("wrote a.zip")[0]
    j = run(faast, "package", "mod.js", "--format", "json", cwd=tmp_path)
    doc = json.loads(j.stdout)
    assert doc["handler"] == "trampoline.handler"
    assert {"path": "lib/helper.js", "bytes": len(NODE_PROJECT["lib/helper.js"]), "mode": "644"} in doc["files"]


def test_native_code_built_here_is_named_with_the_fix(faast, env, tmp_path):
    # A compiled extension in the project (the interpreter's own cmath, copied): it loads here, and may not
    # on Lambda (another python, maybe another machine); the warning names it and the way out.
    src = subprocess.run([sys.executable, "-c", "import cmath; print(getattr(cmath, '__file__', ''))"],
                         capture_output=True, text=True).stdout.strip()
    if not src:
        pytest.skip("this python's cmath is built in, with no extension file to copy")
    (tmp_path / os.path.basename(src)).write_bytes(open(src, "rb").read())
    write(tmp_path, {"mod.py": "import cmath\n\ndef f():\n    return cmath.sqrt(-1).imag\n"})
    r = run(faast, "package", "mod.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert os.path.basename(src) in r.stdout
    assert "warning: cmath has compiled code built for this machine" in r.stderr, r.stderr
    assert "dependencies=requirements.txt" in r.stderr
