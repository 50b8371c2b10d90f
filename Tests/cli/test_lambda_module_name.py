"""On Lambda the module keeps its own file name and module name: a stack names the user's file (not faast's
copy), python's `__name__` is the module's, and FAAST_MODULE is the module's absolute path — as locally."""
import json

import pytest


SOURCES = {
    "py": "import os\n\ndef where():\n    return [__name__, os.environ['FAAST_MODULE']]\n\n"
          "def boom():\n    raise ValueError('no')\n",
    "js": "exports.where = () => [module.id === '.' ? 'main' : require('path').basename(module.filename),"
          " process.env.FAAST_MODULE];\n\nexports.boom = () => {\n  throw new Error('no');\n};\n",
}


@pytest.mark.parametrize("ext", ["py", "js"])
@pytest.mark.parametrize("provider", ["local", "aws"])
def test_stacks_and_names_read_as_locally(faast, aws_env, tmp_path, ext, provider):
    module = tmp_path / f"my_funcs.{ext}"
    module.write_text(SOURCES[ext])
    r = faast.run("--provider", provider, "--format", "json", str(module), input="call where()\ncall boom()\n",
                  env=aws_env)
    lines = [o for o in map(json.loads, filter(str.strip, r.stdout.splitlines())) if o["command"] == "call"]
    name, path = lines[0]["value"]
    assert name == ("my_funcs" if ext == "py" else "my_funcs.js")
    assert path.startswith("/") and path.endswith(f"/my_funcs.{ext}")
    failure = lines[1]["error"]
    assert f"my_funcs.{ext}" in json.dumps(failure), failure
    assert "faast_module" not in json.dumps(failure), failure
