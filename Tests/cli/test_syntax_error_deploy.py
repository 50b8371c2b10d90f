"""A module whose source does not parse is refused before anything is deployed to AWS, with the local report
(file, line, code and caret), as the local provider refuses it: it could only fail on Lambda, later, under the
name of faast's copy."""
import pytest

SOURCES = {
    "broken_mod.py": ("def f(x):\n    return x\n\ndef g(:\n    pass\n", 'File "{}", line 4', "def g(:",
                      "SyntaxError: invalid syntax"),
    "broken_mod.js": ("exports.f = (x) => x;\nexports.g = (x => ;\n", "{}:2", "exports.g = (x => ;",
                      "SyntaxError: Unexpected token"),
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_module_that_does_not_parse_is_not_deployed(faast, aws_env, lam, tmp_path, name):
    source, place, code_line, kind = SOURCES[name]
    module = tmp_path / name
    module.write_text(source)
    before = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    r = faast.run("--provider", "aws", str(module), "-c", "functions", env=aws_env)
    assert r.returncode == 1, r.stderr
    assert f"{name} does not parse, nothing was deployed" in r.stderr
    assert place.format(module) in r.stderr, r.stderr
    assert code_line in r.stderr and "^" in r.stderr and kind in r.stderr
    assert "faast_module" not in r.stderr
    assert "Traceback" not in r.stderr
    after = lam.list_functions()["Functions"]
    assert [f["FunctionName"] for f in after if f["FunctionName"] not in before
            and name in f.get("Description", "")] == []
