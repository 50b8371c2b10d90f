"""scripts/install end to end: a release build with the Swift runtime linked statically, installed into a
temporary prefix, run with the Swift toolchain off PATH and LD_LIBRARY_PATH, its completions found where bash,
zsh and fish look, then uninstalled. A release build takes minutes, so this runs only with FAAST_TEST_INSTALL=1.
"""
import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FILES = [
    "bin/faast",
    "share/bash-completion/completions/faast",
    "share/zsh/site-functions/_faast",
    "share/fish/vendor_completions.d/faast.fish",
]

pytestmark = pytest.mark.skipif(
    os.environ.get("FAAST_TEST_INSTALL") != "1",
    reason="set FAAST_TEST_INSTALL=1 to build the release binary and install it (takes minutes)")


def system_path():
    """/usr/bin:/bin plus node's folder, provided no Swift toolchain lives there."""
    dirs = ["/usr/bin", "/bin"]
    node = shutil.which("node")
    if node and os.path.dirname(node) not in dirs:
        dirs.append(os.path.dirname(node))
    path = ":".join(dirs)
    assert shutil.which("swift", path=path) is None, "a Swift toolchain is on " + path
    return path


def run(args, env, cwd=REPO, timeout=60):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def test_install_run_without_swift_and_uninstall(tmp_path):
    prefix = tmp_path / "prefix"
    r = run([REPO / "scripts" / "install", prefix], dict(os.environ), timeout=3600)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in FILES:
        assert (prefix / f).is_file(), f
        assert "installed %s/%s" % (prefix, f) in r.stdout
    faast = prefix / "bin" / "faast"
    assert os.access(faast, os.X_OK)

    # No Swift runtime library is needed at run time.
    ldd = subprocess.run(["ldd", str(faast)], capture_output=True, text=True).stdout
    for lib in ("libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "lib_FoundationICU"):
        assert lib not in ldd, ldd

    home = tmp_path / "home"
    home.mkdir()
    bare = {"PATH": system_path(), "HOME": str(home)}
    r = run([faast, "examples/functions.js", "-c", 'call hello("x")'], bare)
    assert (r.returncode, r.stdout) == (0, '"hello x!"\n'), r.stderr

    # The example script runs through its shebang with the installed faast on PATH.
    on_path = dict(bare, PATH="%s:%s" % (prefix / "bin", bare["PATH"]))
    r = run(["./examples/hello.faast"], on_path)
    assert r.returncode == 0, r.stderr
    assert '"hello world!"' in r.stdout

    # Completions, where each shell looks for a user's (XDG_DATA_HOME is PREFIX/share, as for ~/.local).
    shells = dict(on_path, XDG_DATA_HOME=str(prefix / "share"))
    if os.path.exists("/usr/share/bash-completion/bash_completion"):
        load = "source /usr/share/bash-completion/bash_completion; _completion_loader faast"
    else:  # without bash-completion, the file still defines the completion
        load = "source %s" % (prefix / FILES[1])
    r = run(["bash", "-c", load + "; complete -p faast"], shells)
    assert r.returncode == 0 and r.stdout.strip().endswith(" faast"), r.stdout + r.stderr
    r = run(["fish", "-c", "complete -C 'faast --prov'"], shells)
    assert "--provider" in r.stdout, r.stdout + r.stderr
    r = run(["zsh", "-fc", "fpath=(%s $fpath); autoload -Uz compinit; compinit -u -d %s/zcomp; "
             "print -r -- ${_comps[faast]}" % (prefix / "share/zsh/site-functions", home)], shells)
    assert r.stdout.strip() == "_faast", r.stdout + r.stderr

    r = run([REPO / "scripts" / "install", "--uninstall", prefix], dict(os.environ))
    assert r.returncode == 0, r.stderr
    for f in FILES:
        assert not (prefix / f).exists(), f
        assert "removed %s/%s" % (prefix, f) in r.stdout
