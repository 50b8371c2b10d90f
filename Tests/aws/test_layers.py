"""The moto fixture runs functions with their layers mounted as Lambda mounts them (/opt/python and its
site-packages, /opt/nodejs/node_modules) and with the function's python version where this machine has it.

    python3 -m pytest -q Tests/aws/test_layers.py
"""
from __future__ import annotations

import glob
import os
import uuid

import pytest

from test_moto_lambda import aws, endpoint, invoke, make_zip, role  # noqa: F401  (fixtures, shared moto)

PY_HANDLER = """
import sys
import in_layer_root, in_site

def handler(event, context):
    return {"version": list(sys.version_info[:2]), "root": in_layer_root.VALUE, "site": in_site.VALUE}
"""
NODE_HANDLER = """
exports.handler = async () => ({ greet: require('greet-layer')('moto'), late: require('late-layer').v });
"""


def python312_here() -> bool:
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    return bool(glob.glob(os.path.join(root, "versions", "3.12*", "bin", "python3.12")))


def publish(lam, files: dict, runtime: str) -> str:
    name = "faast-test-layer-" + uuid.uuid4().hex[:8]
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip(files)},
                                     CompatibleRuntimes=[runtime])["LayerVersionArn"]


def create(lam, role, code: dict, runtime: str, layers: list) -> str:
    name = "faast-test-" + uuid.uuid4().hex[:10]
    lam.create_function(FunctionName=name, Runtime=runtime, Handler="trampoline.handler", Role=role,
                        Code={"ZipFile": make_zip(code)}, Layers=layers, Timeout=10)
    return name


def test_python_layers_are_on_the_path_and_the_version_is_the_functions(aws, role):
    lam = aws("lambda")
    first = publish(lam, {"python/in_layer_root.py": "VALUE = 'root'\n", "python/in_site.py": "VALUE = 'shadowed'\n"},
                    "python3.12")
    # A later layer's files go over an earlier one's; python/lib/python3.12/site-packages comes first.
    second = publish(lam, {"python/lib/python3.12/site-packages/in_site.py": "VALUE = 'site'\n"}, "python3.12")
    name = create(lam, role, {"trampoline.py": PY_HANDLER}, "python3.12", [first, second])
    r, payload, _ = invoke(aws, name, {})
    assert "FunctionError" not in r, payload
    assert payload["root"] == "root" and payload["site"] == "site"
    if python312_here():
        assert payload["version"] == [3, 12]


def test_node_layers_resolve_from_nodejs_node_modules(aws, role):
    lam = aws("lambda")
    layer = publish(lam, {
        "nodejs/node_modules/greet-layer/package.json": '{"name": "greet-layer", "main": "index.js"}',
        "nodejs/node_modules/greet-layer/index.js": "module.exports = (n) => 'hello ' + n;",
        "nodejs/node20/node_modules/late-layer/index.js": "exports.v = 20;",
    }, "nodejs20.x")
    name = create(lam, role, {"trampoline.js": NODE_HANDLER}, "nodejs20.x", [layer])
    r, payload, _ = invoke(aws, name, {})
    assert "FunctionError" not in r, payload
    assert payload == {"greet": "hello moto", "late": 20}


def test_without_layers_a_layer_package_is_not_found(aws, role):
    lam = aws("lambda")
    name = create(lam, role, {"trampoline.js": NODE_HANDLER}, "nodejs20.x", [])
    r, payload, _ = invoke(aws, name, {})
    assert r.get("FunctionError") == "Unhandled"
    assert "greet-layer" in payload["errorMessage"]
