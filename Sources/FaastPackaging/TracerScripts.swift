/// The programs that load a module the way a local worker does and report every file it loaded.
/// They run the module's top-level code once, like the worker that describes it.
enum TracerScripts {
    /// `node tracer.cjs MODULE OUT`: CommonJS files from `require.cache`, ES modules from a loader hook
    /// (`module.register`, node ≥ 18.19 / 20.6), and the `node_modules` packages they belong to, with the
    /// packages those depend on (package.json `dependencies`), so lazy requires inside a package resolve.
    static let node = #"""
'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');
const Module = require('module');
const [moduleFile, out] = process.argv.slice(2);
const esmLog = out + '.esm';
fs.writeFileSync(esmLog, '');
const hook = `
import { appendFileSync } from 'node:fs';
let target;
export function initialize(data) { target = data.out; }
export async function load(u, context, next) {
  if (u.startsWith('file:')) appendFileSync(target, u + '\\n');
  return next(u, context);
}`;
let esmTraced = false;
if (typeof Module.register === 'function') {
  try {
    Module.register('data:text/javascript,' + encodeURIComponent(hook), { data: { out: esmLog } });
    esmTraced = true;
  } catch (_) { /* older node: CommonJS only */ }
}

// Packages by their real folder -> the folder as found under node_modules (a `file:` dependency is a symlink).
const packageByReal = new Map();
function notePackage(logical) {
  let real;
  try { real = fs.realpathSync(logical); } catch (_) { return; }
  if (!packageByReal.has(real)) packageByReal.set(real, logical);
}
function scanPackagesIn(nm) {
  let names;
  try { names = fs.readdirSync(nm); } catch (_) { return; }
  for (const n of names) {
    if (n.startsWith('.')) continue;
    if (n.startsWith('@')) {
      let scoped = [];
      try { scoped = fs.readdirSync(path.join(nm, n)); } catch (_) { /* not a folder */ }
      for (const s of scoped) notePackage(path.join(nm, n, s));
    } else {
      notePackage(path.join(nm, n));
    }
  }
}
for (let d = path.dirname(path.resolve(moduleFile)); ; d = path.dirname(d)) {
  scanPackagesIn(path.join(d, 'node_modules'));
  if (path.dirname(d) === d) break;
}
// NODE_PATH: where the local provider puts dependencies= (their packages come from the layer on Lambda).
for (const d of (process.env.NODE_PATH || '').split(path.delimiter)) if (d) scanPackagesIn(d);

function packageOf(file) {
  let best = null;
  for (const [real, logical] of packageByReal) {
    if ((file === real || file.startsWith(real + path.sep)) && (!best || real.length > best.real.length)) best = { real, logical };
  }
  if (best) return best;
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 2 >= parts.length) return null;
  const n = parts[i + 1].startsWith('@') ? 3 : 2;
  if (i + n >= parts.length) return null;
  const dir = parts.slice(0, i + n).join(path.sep);
  return { real: dir, logical: dir };
}

function dependencyFolder(from, name) {
  for (let d = from; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(d) === d) return null;
  }
}

function finish(error, syntaxError) {
  const files = new Set();
  for (const f of Object.keys(require.cache)) if (path.isAbsolute(f)) files.add(f);
  try {
    for (const line of fs.readFileSync(esmLog, 'utf8').split('\n')) {
      if (line) { try { files.add(url.fileURLToPath(line)); } catch (_) { /* not a file */ } }
    }
  } catch (_) { /* no ES modules */ }
  files.delete(__filename);
  const packages = new Map();
  const plain = [];
  for (const f of files) {
    const p = packageOf(f);
    if (p) packages.set(p.real, p.logical);
    else plain.push(f);
  }
  // Dependencies of the packages loaded, transitively: a require inside a function body loads them later.
  const queue = [...packages.entries()];
  for (let i = 0; i < queue.length && i < 100000; i++) {
    const [real, logical] = queue[i];
    let pj;
    try { pj = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8')); } catch (_) { continue; }
    const names = Object.keys(Object.assign({}, pj.dependencies, pj.optionalDependencies, pj.peerDependencies));
    for (const name of names) {
      const found = dependencyFolder(logical, name) || dependencyFolder(real, name);
      if (!found) continue;
      let r;
      try { r = fs.realpathSync(found); } catch (_) { continue; }
      if (!packages.has(r)) { packages.set(r, found); queue.push([r, found]); }
    }
  }
  const result = {
    files: plain.sort(),
    packages: [...packages.entries()].map(([real, logical]) => ({ real, logical })).sort((a, b) => (a.logical < b.logical ? -1 : 1)),
    esmTraced, error, syntaxError: !!syntaxError, version: process.versions.node,
  };
  fs.writeFileSync(out, JSON.stringify(result));
  process.exit(0);
}

(async () => {
  const file = path.resolve(moduleFile);
  try {
    // import() for every kind: the loader hook sees ES modules (a require() of one, which node ≥ 20.19 allows,
    // would bypass it), and CommonJS files still land in require.cache.
    await import(url.pathToFileURL(file).href);
    finish(null);
  } catch (e) {
    if (e instanceof SyntaxError && typeof e.stack === 'string') {
      // node puts the place first: "file:///…/mod.js:4", the line, a caret, then "SyntaxError: …".
      const lines = e.stack.split('\n');
      const end = lines.findIndex((l) => l.startsWith('SyntaxError'));
      finish(lines.slice(0, end < 0 ? 1 : end + 1).filter((l) => l.trim() !== '').join('\n'), true);
    }
    finish(String((e && e.message) || e).split('\n')[0]);
  }
})();
"""#

    /// `python3 tracer.py MODULE OUT`: every module the import added to `sys.modules`, with the `sys.path`
    /// entry its top-level package was found under, and where the standard library and site-packages are.
    static let python = #"""
import sys, os, json, importlib.util, sysconfig, site, traceback
module_path, out_path = os.path.abspath(sys.argv[1]), sys.argv[2]
folder = os.path.dirname(module_path)
sys.path[0] = folder  # as the worker: the module's folder first, not this script's
os.chdir(folder)
before = set(sys.modules)
name = "faast_traced_module"
error = None
syntax_error = False
try:
    spec = importlib.util.spec_from_file_location(name, module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
except SyntaxError as e:
    # The whole report: file, line, the code and a caret under the fault, as python prints it locally.
    error, syntax_error = "".join(traceback.format_exception_only(type(e), e)).rstrip(), True
except BaseException as e:
    error = "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()[-1]
real = os.path.realpath
paths = sysconfig.get_paths()
stdlib = sorted({real(paths[k]) for k in ("stdlib", "platstdlib") if paths.get(k)})
sites = set()
candidates = list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages(), paths.get("purelib"), paths.get("platlib")]
candidates += [p for p in sys.path if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")]
for p in candidates:
    if p:
        sites.add(real(p))
files = []
for mname, m in list(sys.modules.items()):
    if mname in before or mname == name:
        continue
    f = getattr(m, "__file__", None)
    if not f or not os.path.exists(f):
        continue
    f = real(f)
    top = mname.split(".")[0]
    t = sys.modules.get(top)
    root, package = None, False
    for p in (getattr(t, "__path__", None) or []):
        p = real(p)
        if f == p or f.startswith(p + os.sep):
            root, package = os.path.dirname(p), True
            break
    if root is None and getattr(t, "__file__", None):
        root = os.path.dirname(real(t.__file__))
    if root is None:
        root = os.path.dirname(f)
    top_path = os.path.join(root, top) if package else (real(t.__file__) if getattr(t, "__file__", None) else f)
    files.append({"module": mname, "file": f, "root": root, "top": top_path})
files.sort(key=lambda e: e["file"])
with open(out_path, "w") as out:
    json.dump({"files": files, "stdlib": stdlib, "site": sorted(sites), "error": error, "syntaxError": syntax_error,
               "version": "%d.%d" % sys.version_info[:2]}, out)
sys.stdout.flush()
os._exit(0)
"""#
}
