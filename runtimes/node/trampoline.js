'use strict';
// faast trampoline for Node.js (>= 18, standard library only).
//
// Local worker: started as `node trampoline.js` with FAAST_MODULE=<module path>; requests arrive as
// newline-delimited JSON on fd 3, responses leave as newline-delimited JSON on fd 4. fd 1/2 are the
// worker's log (every line stamped "<ISO time> <callId> <text>").
// AWS Lambda: when required (not main), exports `handler`, which loads the file FAAST_MODULE names next to it
// (else ./faast_module.{js,cjs,mjs}).

const fs = require('fs');
const path = require('path');
const url = require('url');

const TRAMPOLINE_FILE = __filename;
const IS_MAIN = require.main === module;

// ---------------------------------------------------------------------------------------------
// Logging: stamped line splitter on stdout/stderr.

let currentCallId = '-';
let lambdaMode = false;

// ISO-8601 time of an epoch-ms instant, the date part cached per second (a Date costs about 0.5 us).
let isoSecond = -1;
let isoPrefix = '';
function isoTime(ms) {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
  }
  const frac = Math.floor(ms - second * 1000);
  return isoPrefix + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac + 'Z';
}

function stamp(callId, ms) {
  return lambdaMode ? callId + ' ' : isoTime(ms === undefined ? Date.now() : ms) + ' ' + callId + ' ';
}

// The START line of the call in flight until it is written. It goes out with the first line the call
// prints, before the call waits for anything, or together with the END line: a call that prints nothing
// and returns at once costs one log write, not two. (A call killed before then gets it from the host.)
let heldStart = '';
function releaseStart() {
  if (heldStart) {
    const line = heldStart;
    heldStart = '';
    try { writeAllSync(1, line); } catch (_) { /* the log is gone */ }
  }
}

function writeAllSync(fd, data) {
  if (typeof data === 'string') {
    let n;
    try { n = fs.writeSync(fd, data); } catch (e) { if (!e || e.code !== 'EAGAIN') throw e; n = 0; }
    const total = Buffer.byteLength(data);
    if (n === total) return;
    data = Buffer.from(data, 'utf8').subarray(n);
  }
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if (e && e.code === 'EAGAIN') continue;
      throw e;
    }
  }
}

class LineStamper {
  constructor(fd) {
    this.fd = fd;
    this.partial = '';
  }
  write(text) {
    let start = 0;
    let out = '';
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      out += stamp(currentCallId) + this.partial + text.slice(start, nl + 1);
      this.partial = '';
      start = nl + 1;
    }
    if (start < text.length) this.partial += text.slice(start);
    if (out) this.emit(out);
  }
  flush() {
    if (this.partial) {
      const line = stamp(currentCallId) + this.partial + '\n';
      this.partial = '';
      this.emit(line);
    }
  }
  emit(text) {
    if (heldStart) {
      text = heldStart + text;
      heldStart = '';
    }
    try { writeAllSync(this.fd, text); } catch (_) { /* the log is gone; nothing to do */ }
  }
}

let stdoutStamper = null;
let stderrStamper = null;

function installLogging() {
  if (stdoutStamper) return;
  stdoutStamper = new LineStamper(1);
  stderrStamper = new LineStamper(2);
  const wrap = (stream, stamper) => {
    stream.write = function (chunk, encoding, cb) {
      if (typeof encoding === 'function') { cb = encoding; encoding = undefined; }
      let text;
      if (typeof chunk === 'string') text = chunk;
      else if (chunk instanceof Uint8Array) text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString(encoding && encoding !== 'buffer' ? 'utf8' : 'utf8');
      else text = String(chunk);
      stamper.write(text);
      if (typeof cb === 'function') process.nextTick(cb);
      return true;
    };
  };
  wrap(process.stdout, stdoutStamper);
  wrap(process.stderr, stderrStamper);
}

function flushLogs() {
  if (stdoutStamper) { stdoutStamper.flush(); stderrStamper.flush(); }
}

// ---------------------------------------------------------------------------------------------
// Timing and memory.

const perf = globalThis.performance || require('perf_hooks').performance;
const TIME_ORIGIN = perf.timeOrigin;
function nowMs() { return TIME_ORIGIN + perf.now(); }
// process.memoryUsage.rss() reads /proc on Linux (~10 us), so back-to-back short calls reuse a
// sample that is at most 5 ms old; any call lasting 1 ms or more takes a fresh one.
let rssSample = 0;
let rssSampledAt = -Infinity;
function memoryMb(start, end) {
  if (end - rssSampledAt > 5 || end - start >= 1) {
    const rss = process.memoryUsage.rss ? process.memoryUsage.rss() : process.memoryUsage().rss;
    rssSample = Math.round(rss / 104857.6) / 10;
    rssSampledAt = end;
  }
  return rssSample;
}

// ---------------------------------------------------------------------------------------------
// Value encoding.

class SerializationFailure extends Error {}

// The deepest nesting of arrays and objects a value may have (faast's JSONValue.maxDepth): deeper results fail
// as `serialization` here rather than as a response the host cannot read.
const MAX_DEPTH = 512;
const TOO_DEEP = 'structure nested deeper than ' + MAX_DEPTH + ' levels';

// Whether JSON text (as JSON.stringify writes it) nests arrays and objects deeper than `limit`.
function nestedDeeperThan(text, limit) {
  if (text.length <= 2 * limit) return false; // too short to hold limit + 1 levels
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Jump to the closing quote: one preceded by an even number of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        let b = i - 1;
        while (text.charCodeAt(b) === 92) b--;
        if ((i - 1 - b) % 2 === 0) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return false;
}

// A small JSON parser that keeps integers outside the safe range exact (as BigInt).
function parseJsonBig(text) {
  let i = 0;
  const n = text.length;
  const numRe = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  function ws() {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++; else break;
    }
  }
  function fail(msg) { throw new SyntaxError((msg || 'Unexpected token') + ' in JSON at position ' + i); }
  function str() {
    const s = i;
    i++;
    for (;;) {
      if (i >= n) fail('Unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) i += 2; else i++;
    }
    i++;
    return JSON.parse(text.slice(s, i));
  }
  function value() {
    ws();
    if (i >= n) fail('Unexpected end');
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        const v = value();
        if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[key] = v;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail();
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail();
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    numRe.lastIndex = i;
    const m = numRe.exec(text);
    if (!m) fail();
    i += m[0].length;
    const num = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(num)) return BigInt(m[0]);
    return num;
  }
  const v = value();
  ws();
  if (i < n) fail();
  return v;
}

const BIG_DIGITS = /\d{16}/;
function parseRequest(line) {
  return BIG_DIGITS.test(line) ? parseJsonBig(line) : JSON.parse(line);
}

// Decodes "$faast" tags inside an already-parsed JSON value.
function decodeValue(v) {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = decodeValue(v[i]);
    return v;
  }
  if (Object.prototype.hasOwnProperty.call(v, '$faast')) {
    const tag = v.$faast;
    switch (tag) {
      case 'bytes':
        if (typeof v.base64 !== 'string') throw new SerializationFailure('bytes tag without base64 text');
        return Buffer.from(v.base64, 'base64');
      case 'NaN': return NaN;
      case 'Infinity': return Infinity;
      case '-Infinity': return -Infinity;
      case 'undefined': return undefined;
      case 'date': {
        const d = new Date(v.iso);
        if (typeof v.iso !== 'string' || isNaN(d.getTime())) throw new SerializationFailure('invalid date ' + JSON.stringify(v.iso));
        return d;
      }
      default:
        throw new SerializationFailure('unknown $faast tag ' + JSON.stringify(tag));
    }
  }
  for (const k of Object.keys(v)) v[k] = decodeValue(v[k]);
  return v;
}

const BIG_MARKER = '\u0000faast-bigint:' + Math.random().toString(36).slice(2) + ':';
const BIG_MARKER_RE = new RegExp('"' + BIG_MARKER.replace('\u0000', '\\\\u0000') + '(-?\\d+)"', 'g');
let sawBigInt = false;

function typeName(v) {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const c = v.constructor;
  return c && c.name ? c.name : 'object';
}

function replacer(key, v) {
  const raw = this[key];
  switch (typeof raw) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (raw !== raw) return { $faast: 'NaN' };
      if (raw === Infinity) return { $faast: 'Infinity' };
      if (raw === -Infinity) return { $faast: '-Infinity' };
      return v;
    case 'bigint':
      sawBigInt = true;
      return BIG_MARKER + raw.toString();
    case 'undefined':
      if (key === '' || Array.isArray(this)) return { $faast: 'undefined' };
      return undefined;
    case 'function':
      throw new SerializationFailure('function ' + (raw.name ? "'" + raw.name + "' " : '') + 'has no JSON form');
    case 'symbol':
      throw new SerializationFailure('symbol has no JSON form');
    case 'object':
      if (raw === null) return null;
      if (raw instanceof Date) {
        if (isNaN(raw.getTime())) throw new SerializationFailure('invalid Date has no JSON form');
        return { $faast: 'date', iso: raw.toISOString() };
      }
      if (raw instanceof Uint8Array) {
        const b = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        return { $faast: 'bytes', base64: b.toString('base64') };
      }
      if (raw instanceof Map) throw new SerializationFailure('Map has no JSON form');
      if (raw instanceof Set) throw new SerializationFailure('Set has no JSON form');
      if (raw instanceof WeakMap || raw instanceof WeakSet) throw new SerializationFailure(typeName(raw) + ' has no JSON form');
      if (typeof raw.then === 'function' && raw instanceof Promise) throw new SerializationFailure('Promise has no JSON form');
      return v;
    default:
      return v;
  }
}

// Encodes a value as JSON text (throws SerializationFailure).
function encodeValue(v) {
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'number': if (v === v && v !== Infinity && v !== -Infinity) return '' + v; break;
    case 'undefined': return '{"$faast":"undefined"}';
    case 'object': if (v === null) return 'null'; break;
  }
  sawBigInt = false;
  let text;
  try {
    text = JSON.stringify(v, replacer);
  } catch (e) {
    if (e instanceof SerializationFailure) throw e;
    if (e instanceof TypeError && /circular/i.test(e.message)) throw new SerializationFailure('circular structure');
    if (e instanceof RangeError) throw new SerializationFailure(/call stack/i.test(e.message) ? TOO_DEEP : 'structure too large: ' + e.message);
    throw new SerializationFailure(e && e.message ? e.message : String(e));
  }
  if (text === undefined) return '{"$faast":"undefined"}';
  if (nestedDeeperThan(text, MAX_DEPTH)) throw new SerializationFailure(TOO_DEEP);
  if (sawBigInt) text = text.replace(BIG_MARKER_RE, '$1');
  return text;
}

// ---------------------------------------------------------------------------------------------
// Parameter names from fn.toString().

function skipString(s, i) {
  const q = s[i];
  i++;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') { i += 2; continue; }
    if (c === q) return i + 1;
    i++;
  }
  return i;
}

function skipComment(s, i) {
  if (s[i + 1] === '/') {
    const e = s.indexOf('\n', i);
    return e < 0 ? s.length : e + 1;
  }
  const e = s.indexOf('*/', i + 2);
  return e < 0 ? s.length : e + 2;
}

// Index just past the bracket group starting at s[i] (strings and comments skipped).
function skipGroup(s, i) {
  let depth = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') { i = skipString(s, i); continue; }
    if (c === '/' && (s[i + 1] === '/' || s[i + 1] === '*')) { i = skipComment(s, i); continue; }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') { depth--; if (depth === 0) return i + 1; }
    i++;
  }
  return i;
}

function stripComments(s) {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') { const e = skipString(s, i); out += s.slice(i, e); i = e; continue; }
    if (c === '/' && (s[i + 1] === '/' || s[i + 1] === '*')) { i = skipComment(s, i); out += ' '; continue; }
    out += c;
    i++;
  }
  return out;
}

function cleanParam(p) {
  p = stripComments(p).trim();
  if (!p) return null;
  let prefix = '';
  if (p.startsWith('...')) { prefix = '...'; p = p.slice(3).trim(); }
  if (p[0] === '{' || p[0] === '[') {
    const e = skipGroup(p, 0);
    return prefix + p.slice(0, e).replace(/\s+/g, ' ');
  }
  const m = /^[^\s=]+/.exec(p);
  return prefix + (m ? m[0] : p);
}

function parseParams(fn) {
  return rawParams(fn).map(cleanParam).filter(Boolean);
}

// The parameters as written in the source, comments removed: `b = 1`, `{x, y}`, `...rest`.
function rawParams(fn) {
  let s;
  try { s = typeof fn === 'function' ? Function.prototype.toString.call(fn) : String(fn); } catch (_) { return []; }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(s)) return [];
  let i = 0;
  const n = s.length;
  let open = -1;
  while (i < n) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') { i = skipString(s, i); continue; }
    if (c === '/' && (s[i + 1] === '/' || s[i + 1] === '*')) { i = skipComment(s, i); continue; }
    if (c === '[') { i = skipGroup(s, i); continue; } // computed method name
    if (c === '(') { open = i; break; }
    if (c === '=' && s[i + 1] === '>') {
      // single parameter arrow function: `a => ...` / `async a => ...`
      const head = stripComments(s.slice(0, i)).trim().replace(/^async\s+/, '');
      return head ? [head] : [];
    }
    i++;
  }
  if (open < 0) return [];
  const close = skipGroup(s, open);
  const inner = s.slice(open + 1, close - 1);
  const params = [];
  let start = 0;
  let j = 0;
  const push = (text) => {
    const p = stripComments(text).trim().replace(/\s+/g, ' ');
    if (p) params.push(p);
  };
  while (j < inner.length) {
    const c = inner[j];
    if (c === '"' || c === "'" || c === '`') { j = skipString(inner, j); continue; }
    if (c === '/' && (inner[j + 1] === '/' || inner[j + 1] === '*')) { j = skipComment(inner, j); continue; }
    if (c === '(' || c === '[' || c === '{') { j = skipGroup(inner, j); continue; }
    if (c === ',') {
      push(inner.slice(start, j));
      start = j + 1;
    }
    j++;
  }
  push(inner.slice(start));
  return params;
}

// For `help FN`: each parameter's name, its default's source text and kind, and the whole list as written.
function describeParams(fn) {
  const raw = rawParams(fn);
  const parameters = raw.map((p) => {
    const name = cleanParam(p);
    if (p.startsWith('...')) return { name: name.slice(3), kind: 'variadic' };
    let i = p[0] === '{' || p[0] === '[' ? skipGroup(p, 0) : 0;
    while (i < p.length) {
      const c = p[i];
      if (c === '"' || c === "'" || c === '`') { i = skipString(p, i); continue; }
      if (c === '(' || c === '[' || c === '{') { i = skipGroup(p, i); continue; }
      if (c === '=' && p[i + 1] !== '>') return { name, kind: 'positional', default: p.slice(i + 1).trim() };
      i++;
    }
    return { name, kind: 'positional' };
  });
  return { parameters, signature: '(' + raw.join(', ') + ')' };
}

// The user's own source files loaded so far: the module and what it required (an ES module's imports are not
// listed by node), without node_modules or faast's own files; the shell watches them to reload an edited module.
function loadedFiles() {
  const out = [userModule.file];
  for (const f of Object.keys(require.cache)) {
    if (f === TRAMPOLINE_FILE || f === userModule.file || f.includes(path.sep + 'node_modules' + path.sep)) continue;
    out.push(f);
  }
  return out;
}

// The JSDoc comment (or the // lines) right above a function in the module's own source, cleaned.
function docComment(fn) {
  if (userModule.source === null) {
    try { userModule.source = fs.readFileSync(userModule.file, 'utf8'); } catch (_) { userModule.source = ''; }
  }
  const src = userModule.source;
  let pos = -1;
  try { pos = src.indexOf(Function.prototype.toString.call(fn)); } catch (_) { return undefined; }
  if (pos < 0) return undefined;
  const before = src.slice(0, src.lastIndexOf('\n', pos - 1) + 1);
  const trimmed = before.replace(/\s+$/, '');
  if ((before.slice(trimmed.length).match(/\n/g) || []).length > 1) return undefined; // a blank line in between
  let lines;
  if (trimmed.endsWith('*/')) {
    const open = trimmed.lastIndexOf('/*');
    if (open < 0) return undefined;
    lines = trimmed.slice(open + (trimmed[open + 2] === '*' ? 3 : 2), -2).split('\n').map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  } else {
    lines = [];
    const all = trimmed.split('\n');
    for (let k = all.length - 1; k >= 0 && /^\s*\/\//.test(all[k]); k--) lines.unshift(all[k].replace(/^\s*\/\/ ?/, '').replace(/\s+$/, ''));
  }
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  const doc = lines.join('\n');
  return doc ? doc.slice(0, 20000) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Module loading and function lookup.

let userModule = null; // { exports, isEsm, source, file }

function isClass(fn) {
  try { return /^class[\s{]/.test(Function.prototype.toString.call(fn)); } catch (_) { return false; }
}

async function loadModule(file) {
  file = path.resolve(file);
  let exp;
  let isEsm = false;
  if (/\.mjs$/i.test(file)) {
    exp = await import(url.pathToFileURL(file).href);
    isEsm = true;
  } else {
    try {
      exp = require(file);
    } catch (e) {
      if (e && e.code === 'ERR_REQUIRE_ESM') {
        loadedAsEsm = true;
        exp = await import(url.pathToFileURL(file).href);
        isEsm = true;
      } else {
        throw e;
      }
    }
  }
  userModule = { exports: exp, isEsm, file, source: null };
  return userModule;
}

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function lookupFunction(name) {
  const exp = userModule.exports;
  if (exp == null) return null;
  if ((typeof exp === 'object' || typeof exp === 'function') && hasOwn(exp, name) && typeof exp[name] === 'function') {
    return { fn: exp[name], holder: exp };
  }
  if (typeof exp === 'function' && name === 'default') return { fn: exp, holder: undefined };
  if (userModule.isEsm && typeof exp === 'object' && hasOwn(exp, 'default')) {
    const d = exp.default;
    if (d && typeof d === 'object' && hasOwn(d, name) && typeof d[name] === 'function') return { fn: d[name], holder: d };
  }
  return null;
}

function describeFunctions() {
  const exp = userModule.exports;
  const out = [];
  const seen = new Set();
  const add = (name, fn) => {
    if (seen.has(name) || typeof fn !== 'function' || isClass(fn)) return;
    seen.add(name);
    out.push({ name, fn });
  };
  if (exp == null || (typeof exp !== 'object' && typeof exp !== 'function')) return [];
  if (typeof exp === 'function') add('default', exp);
  if (userModule.isEsm) {
    // Namespace keys are sorted alphabetically; recover the source order where possible.
    if (userModule.source === null) {
      try { userModule.source = fs.readFileSync(userModule.file, 'utf8'); } catch (_) { userModule.source = ''; }
    }
    const src = userModule.source;
    const items = [];
    const pos = (fn) => {
      let p = -1;
      try { p = src.indexOf(Function.prototype.toString.call(fn)); } catch (_) { /* ignore */ }
      return p < 0 ? Infinity : p;
    };
    for (const k of Object.keys(exp)) {
      if (k === 'default' && exp[k] && typeof exp[k] === 'object') continue;
      if (typeof exp[k] === 'function') items.push({ k, fn: exp[k], p: pos(exp[k]), i: items.length });
    }
    items.sort((a, b) => (a.p - b.p) || (a.i - b.i));
    for (const it of items) add(it.k, it.fn);
    const d = exp.default;
    if (d && typeof d === 'object') for (const k of Object.keys(d)) add(k, d[k]);
  } else {
    for (const k of Object.keys(exp)) add(k, exp[k]);
  }
  return out.map((f) => {
    const entry = { name: f.name, params: parseParams(f.fn) };
    if (generatorKind(f.fn)) entry.generator = true;
    const { parameters, signature } = describeParams(f.fn);
    entry.parameters = parameters;
    entry.signature = signature;
    const doc = docComment(f.fn);
    if (doc) entry.doc = doc;
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------
// Errors.

// Drops the trampoline's frames and everything below them (the event loop calling the trampoline).
function cleanStack(stack) {
  if (typeof stack !== 'string') return '';
  const fileUrl = url.pathToFileURL(TRAMPOLINE_FILE).href;
  const lines = stack.split('\n');
  let cut = lines.length;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(TRAMPOLINE_FILE) || lines[i].includes(fileUrl)) { cut = i; break; }
  }
  return lines.slice(0, cut).join('\n');
}

// Error object for the wire (JSON text). `extra` members (kind, file, line) go last.
function errorJson(err, extra) {
  let name;
  let message;
  let stack;
  let props = '';
  if (err instanceof Error || (err && typeof err === 'object' && typeof err.message === 'string' && typeof err.stack === 'string')) {
    name = err.name || (err.constructor && err.constructor.name) || 'Error';
    message = String(err.message);
    stack = cleanStack(err.stack);
    let keys = [];
    try { keys = Object.keys(err); } catch (_) { /* ignore */ }
    for (const k of keys) {
      if (k === 'name' || k === 'message' || k === 'stack' || k === 'kind' || (extra && hasOwn(extra, k))) continue;
      try { props += ',' + JSON.stringify(k) + ':' + encodeValue(err[k]); } catch (_) { /* skip */ }
    }
  } else {
    name = 'Error';
    try { message = String(err); } catch (_) { message = Object.prototype.toString.call(err); }
    stack = '';
  }
  let out = '{"name":' + JSON.stringify(String(name)) + ',"message":' + JSON.stringify(message) + ',"stack":' + JSON.stringify(stack) + props;
  if (extra) for (const k of Object.keys(extra)) if (extra[k] !== undefined) out += ',' + JSON.stringify(k) + ':' + JSON.stringify(extra[k]);
  return out + '}';
}

function ownError(name, message, kind) {
  return JSON.stringify({ name, message, stack: '', kind });
}

function parseLocation(err, moduleFile) {
  const stack = err && typeof err.stack === 'string' ? err.stack : '';
  const toPath = (p) => (p.startsWith('file://') ? url.fileURLToPath(p) : p);
  if (err instanceof SyntaxError) {
    const first = stack.split('\n')[0];
    const m = /^(.*):(\d+)$/.exec(first);
    if (m) { try { return { file: toPath(m[1]), line: Number(m[2]) }; } catch (_) { /* fall through */ } }
  }
  const lines = stack.split('\n');
  const modUrl = moduleFile ? url.pathToFileURL(moduleFile).href : null;
  let any = null;
  for (const l of lines) {
    const m = /^\s+at (?:.*? \()?(.*?):(\d+):(\d+)\)?$/.exec(l);
    if (!m) continue;
    let f = m[1];
    if (f.startsWith('file://')) { try { f = url.fileURLToPath(f); } catch (_) { continue; } }
    if (moduleFile && (f === moduleFile || m[1] === modUrl)) return { file: f, line: Number(m[2]) };
    if (!any && path.isAbsolute(f) && f !== TRAMPOLINE_FILE && !f.startsWith('node:')) any = { file: f, line: Number(m[2]) };
  }
  if (any) return any;
  if (err && err.code === 'MODULE_NOT_FOUND' || err && err.code === 'ERR_MODULE_NOT_FOUND') return { file: moduleFile };
  return {};
}

// ESM syntax errors carry no location in their stack (Node 20): ask `node --check` for it.
function esmSyntaxLocation(moduleFile) {
  try {
    const r = require('child_process').spawnSync(process.execPath, ['--check', moduleFile], { encoding: 'utf8', timeout: 5000 });
    const m = /^(.*):(\d+)$/m.exec(r.stderr || '');
    if (m) return { file: m[1].startsWith('file://') ? url.fileURLToPath(m[1]) : m[1], line: Number(m[2]) };
  } catch (_) { /* ignore */ }
  return {};
}

function loadErrorJson(err, moduleFile) {
  let loc = parseLocation(err, moduleFile);
  if (err instanceof SyntaxError && loc.line === undefined && moduleFile && (userModuleIsEsm(moduleFile))) {
    loc = esmSyntaxLocation(moduleFile);
  }
  if (err && typeof err.stack === 'string') {
    // Node's own loader frames say nothing about the user's module.
    try {
      err.stack = err.stack.split('\n').filter((l) => !/^\s+at .*\bnode:internal\//.test(l)).join('\n');
    } catch (_) { /* read-only stack */ }
  }
  return '{"type":"loadError","error":' + errorJson(err, { file: loc.file, line: loc.line }) + '}';
}

let loadedAsEsm = false;
function userModuleIsEsm(file) {
  return loadedAsEsm || /\.mjs$/i.test(file);
}

// ---------------------------------------------------------------------------------------------
// Generators: a call whose function returns a generator (function*, async function*) runs it to the end;
// its result is the array of the values it yielded. When the request asks for a stream, each value also
// leaves as its own message `{"callId","type":"yield","seq","value"}` before the final answer: on the
// response pipe (`"stream": true`, a local worker) or on an SQS queue (`"stream": "<queue url>"`, Lambda).

// 'sync' or 'async' for a generator function or a generator object, else null.
function generatorKind(v) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return null;
  const tag = Object.prototype.toString.call(v);
  if (tag === '[object Generator]' || tag === '[object GeneratorFunction]') return 'sync';
  if (tag === '[object AsyncGenerator]' || tag === '[object AsyncGeneratorFunction]') return 'async';
  return null;
}

// Where a call's yields go: a function of (message text) that may return a Promise, or null.
let yieldSink = null;

function yieldMessage(idText, seq, valueText) {
  return '{"callId":' + idText + ',"type":"yield","seq":' + seq + ',"value":' + valueText + '}';
}

// Queue mode streams each yield as an SQS SendMessage that the trampoline signs and sends itself: SigV4
// with node's own crypto (HMAC and SHA-256) and node's http(s), with the credentials Lambda puts in the
// environment. No SDK, so that it works the same in every node runtime and on the emulator, which has none.

// Loaded on first use: local workers never sign anything, and their start-up time counts.
let cryptoModule = null;
function nodeCrypto() {
  return cryptoModule || (cryptoModule = require('crypto'));
}

function sha256Hex(data) {
  return nodeCrypto().createHash('sha256').update(data).digest('hex');
}

function hmac(key, data) {
  return nodeCrypto().createHmac('sha256', key).update(data).digest();
}

// RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone).
function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function compareText(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Signs one request with SigV4 in its header form. `req`: { method, host, path (not encoded), query:
// [[name, value]], headers: [[name, value]], body }; `ctx`: { region, service, accessKeyId,
// secretAccessKey, sessionToken?, date, signBody? }. Returns the headers to send: the request's own, Host,
// X-Amz-Date, X-Amz-Security-Token (signed, as the SDKs do), x-amz-content-sha256 when signBody, and
// Authorization last.
function signV4(req, ctx) {
  const amzDate = ctx.date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  const day = amzDate.slice(0, 8);
  const bodyHash = sha256Hex(req.body || '');
  const headers = req.headers.slice();
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['Host', req.host]);
  headers.push(['X-Amz-Date', amzDate]);
  if (ctx.sessionToken) headers.push(['X-Amz-Security-Token', ctx.sessionToken]);
  if (ctx.signBody) headers.push(['x-amz-content-sha256', bodyHash]);
  // Repeated names join their values with commas in order; values are trimmed, inner runs of spaces folded.
  const canonical = new Map();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const text = String(value).trim().replace(/ +/g, ' ');
    canonical.set(key, canonical.has(key) ? canonical.get(key) + ',' + text : text);
  }
  const names = [...canonical.keys()].sort(compareText);
  const signedHeaders = names.join(';');
  const query = (req.query || []).map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => compareText(a[0], b[0]) || compareText(a[1], b[1]))
    .map((pair) => pair[0] + '=' + pair[1]).join('&');
  const canonicalRequest = [
    req.method,
    req.path.split('/').map(uriEncode).join('/'),
    query,
    names.map((name) => name + ':' + canonical.get(name) + '\n').join(''),
    signedHeaders,
    bodyHash,
  ].join('\n');
  const scope = day + '/' + ctx.region + '/' + ctx.service + '/aws4_request';
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac('AWS4' + ctx.secretAccessKey, day);
  for (const part of [ctx.region, ctx.service, 'aws4_request']) key = hmac(key, part);
  const signature = nodeCrypto().createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.push(['Authorization', 'AWS4-HMAC-SHA256 Credential=' + ctx.accessKeyId + '/' + scope +
    ', SignedHeaders=' + signedHeaders + ', Signature=' + signature]);
  return headers;
}

// SQS's endpoint as the SDKs choose it: AWS_ENDPOINT_URL_SQS, then AWS_ENDPOINT_URL (the emulator sets it),
// unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true; else the region's own.
function sqsEndpoint(env, region) {
  if (String(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS || '').toLowerCase() !== 'true') {
    for (const name of ['AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL']) {
      const value = String(env[name] || '').trim();
      if (value) return value;
    }
  }
  return 'https://sqs.' + region + '.amazonaws.com' + (region.startsWith('cn-') ? '.cn' : '');
}

const SQS_SEND_TIMEOUT_MS = 10000;

// SQS's error text from its answer: `Code: message` (JSON protocol), else the body's start.
function sqsErrorText(status, text) {
  let detail = text.slice(0, 300);
  try {
    const e = JSON.parse(text);
    detail = String(e.__type || '').replace(/^.*#/, '') + ': ' + (e.message || e.Message || '');
  } catch (_) { /* not JSON: the text as it came */ }
  return 'SQS answered ' + status + ' (' + detail + ')';
}

// Keep-alive connections to SQS, at most MAX_YIELD_SENDS (the values a call has on their way at once).
let sqsAgent = null;

// Sends one message (SQS's JSON protocol, as faast's host speaks it) with node's http(s) module, which says
// when the request has been handed to the system (`written`: a generator that then blocks the event loop no
// longer holds the value back); `answered` resolves with SQS's answer or rejects with its error text.
function sqsSendMessage(env, queueUrl, body) {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const endpoint = new URL(sqsEndpoint(env, region));
  const payload = JSON.stringify({ QueueUrl: queueUrl, MessageBody: body });
  const path = endpoint.pathname || '/';
  const headers = signV4({
    method: 'POST',
    host: endpoint.host,
    path,
    query: [],
    headers: [['Content-Type', 'application/x-amz-json-1.0'], ['X-Amz-Target', 'AmazonSQS.SendMessage']],
    body: payload,
  }, {
    region, service: 'sqs', date: new Date(),
    accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN,
  });
  const lib = require(endpoint.protocol === 'http:' ? 'http' : 'https');
  if (!sqsAgent) sqsAgent = new lib.Agent({ keepAlive: true, maxSockets: MAX_YIELD_SENDS });
  const data = Buffer.from(payload, 'utf8');
  const head = { 'Content-Length': String(data.length) };
  for (const [name, value] of headers) head[name] = value;
  let wrote;
  const written = new Promise((resolve) => { wrote = resolve; });
  const answered = new Promise((resolve, reject) => {
    const req = lib.request({
      method: 'POST', hostname: endpoint.hostname, port: endpoint.port || undefined, path, headers: head, agent: sqsAgent,
      timeout: SQS_SEND_TIMEOUT_MS,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode || 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(sqsErrorText(status, Buffer.concat(chunks).toString('utf8'))));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within ' + SQS_SEND_TIMEOUT_MS / 1000 + ' s')));
    req.on('error', (e) => { wrote(); reject(e); });
    req.on('finish', wrote);
    req.on('close', wrote);
    req.end(data);
  });
  return { written, answered };
}

// A sink that sends each yield message to the queue; null (and a note on stderr) where there are no
// credentials or region, so that the values arrive with the result only.
function sqsSink(queueUrl) {
  const env = process.env;
  const missing = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]);
  if (!env.AWS_REGION && !env.AWS_DEFAULT_REGION) missing.push('AWS_REGION');
  if (missing.length > 0) {
    process.stderr.write('faast: yielded values are not streamed: no ' + missing.join(', ') + ' in the environment\n');
    return null;
  }
  return (text) => {
    let sending;
    try { sending = sqsSendMessage(env, queueUrl, text); } catch (e) { sending = { written: Promise.resolve(), answered: Promise.reject(e) }; }
    return {
      written: sending.written,
      answered: sending.answered.catch(
        (e) => { process.stderr.write('faast: a yielded value was not streamed: ' + (e && e.message) + '\n'); }),
    };
  };
}

function streamSink(stream, send) {
  if (stream === true) return send;
  if (typeof stream === 'string' && stream) return sqsSink(stream);
  return null;
}

// Runs a generator to its end. `done(texts)` gets the encoded values; `failed(err, kind, texts)` the error
// (kind 'serialization' for a value with no JSON form). Returns done's or failed's answer, or a Promise of it.
function drainGenerator(gen, isAsync, idText, sink, done, failed) {
  const texts = [];
  const take = (value) => {
    let text;
    try {
      text = encodeValue(value);
    } catch (e) {
      if (e instanceof SerializationFailure) return { fail: [e, 'serialization'] };
      return { fail: [e] };
    }
    texts.push(text);
    return sink ? { sent: sink(yieldMessage(idText, texts.length - 1, text)) } : {};
  };
  if (!isAsync && !sink) {
    for (;;) {
      let step;
      try { step = gen.next(); } catch (e) { return failed(e, undefined, texts); }
      if (step.done) return done(texts);
      const r = take(step.value);
      if (r.fail) return failed(r.fail[0], r.fail[1], texts);
    }
  }
  // A sink that sends (SQS) answers with { written, answered }: the generator goes on once a value is on the wire,
  // while up to MAX_YIELD_SENDS answers are awaited (values carry their seq, so the order they arrive in does not
  // matter), and every one has been answered (or its failure written to the log) before the call's answer leaves.
  const pending = [];
  const settled = async (answer) => {
    while (pending.length > 0) await pending.shift();
    return answer();
  };
  return (async () => {
    for (;;) {
      let step;
      try { step = isAsync ? await gen.next() : gen.next(); } catch (e) { return settled(() => failed(e, undefined, texts)); }
      if (step.done) return settled(() => done(texts));
      const r = take(step.value);
      if (r.fail) return settled(() => failed(r.fail[0], r.fail[1], texts));
      if (r.sent && r.sent.answered) {
        // On the wire before the generator goes on; the answer is waited for only when too many are out.
        await r.sent.written;
        pending.push(r.sent.answered);
        if (pending.length >= MAX_YIELD_SENDS) await pending.shift();
      }
    }
  })();
}

// Streamed values in flight at once per call (queue mode): enough to hide SQS's round trip, few enough that a
// generator far faster than SQS waits instead of piling up requests.
const MAX_YIELD_SENDS = 8;

// An error object's JSON text with the values yielded before it.
function withYielded(errorText, texts) {
  return errorText.slice(0, -1) + ',"yielded":[' + texts.join(',') + ']}';
}

// ---------------------------------------------------------------------------------------------
// Request handling (shared by the worker and Lambda entry points). `respond` receives JSON text.

function protocolError(callId, message) {
  let out = '{"type":"error"';
  if (typeof callId === 'string') out += ',"callId":' + JSON.stringify(callId);
  return out + ',"error":' + ownError('ProtocolError', message, 'protocol') + '}';
}

function callIdOf(line) {
  const m = /"callId"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(line);
  if (!m) return undefined;
  try { return JSON.parse(m[1]); } catch (_) { return undefined; }
}

// Handles one parsed request; returns the response text or a Promise of it.
function handleRequest(msg, hasTags) {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return protocolError(undefined, 'request is not a JSON object');
  const callId = msg.callId;
  const op = msg.op;
  if (op === 'describe') {
    return '{"callId":' + JSON.stringify(callId === undefined ? null : callId) + ',"type":"described","runtime":"node","functions":' + JSON.stringify(describeFunctions())
      + ',"files":' + JSON.stringify(loadedFiles()) + '}';
  }
  if (op !== undefined && op !== 'call') return protocolError(callId, 'unknown op ' + JSON.stringify(op));
  if (typeof msg.name !== 'string') return protocolError(callId, 'call request without a function name');
  if (msg.args !== undefined && !Array.isArray(msg.args)) return protocolError(callId, 'args must be an array');
  if (msg.kwargs !== undefined && msg.kwargs !== null) {
    // Keyword arguments are python's; a JavaScript function has only positional parameters.
    const names = typeof msg.kwargs === 'object' ? Object.keys(msg.kwargs) : [];
    if (names.length > 0 || typeof msg.kwargs !== 'object' || Array.isArray(msg.kwargs)) {
      return '{"callId":' + JSON.stringify(callId === undefined ? null : callId) + ',"type":"error","error":'
        + ownError('TypeError', 'node functions take no keyword arguments (got ' + names.map((k) => k + '=').join(', ')
          + '): pass them by position', 'invalidArgument') + '}';
    }
  }
  return callFunction(callId === undefined ? null : callId, msg.name, msg.args || [], hasTags, msg.stream);
}

function callFunction(callId, name, args, hasTags, stream) {
  const idText = JSON.stringify(callId);
  const idStr = String(callId);
  currentCallId = idStr;
  const start = nowMs();
  heldStart = stamp(idStr, start) + 'START ' + name + '\n';
  const finish = (body) => {
    const end = nowMs();
    flushLogs();
    const endLine = stamp(idStr, end) + 'END ' + name + ' ' + (end - start).toFixed(1) + ' ms\n';
    const lines = heldStart + endLine;
    heldStart = '';
    try { writeAllSync(1, lines); } catch (_) { /* the log is gone */ }
    currentCallId = '-';
    return '{"callId":' + idText + body + ',"start":' + start + ',"end":' + end + ',"memoryMb":' + memoryMb(start, end) + '}';
  };
  const fail = (err, kind) => finish(',"type":"error","error":' + errorJson(err, kind ? { kind } : undefined));
  const own = (errName, message, kind) => finish(',"type":"error","error":' + ownError(errName, message, kind));
  const succeed = (value) => {
    let text;
    try {
      text = encodeValue(value);
    } catch (e) {
      if (e instanceof SerializationFailure) return own('SerializationError', name + ' returned a value that cannot be serialized: ' + e.message, 'serialization');
      return fail(e);
    }
    return finish(',"type":"returned","value":' + text);
  };
  const target = lookupFunction(name);
  if (!target) return own('NotFoundError', "no function '" + name + "' in module", 'notFound');
  if (hasTags) {
    for (let i = 0; i < args.length; i++) {
      try {
        args[i] = decodeValue(args[i]);
      } catch (e) {
        return own('SerializationError', name + ' argument ' + (i + 1) + ' cannot be deserialized: ' + (e && e.message), 'serialization');
      }
    }
  }
  let result;
  try {
    result = target.fn.apply(target.holder, args);
  } catch (e) {
    return fail(e);
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    releaseStart();
    return Promise.resolve(result).then(succeed, (e) => fail(e));
  }
  const kind = generatorKind(result);
  if (kind) {
    releaseStart();
    return drainGenerator(result, kind === 'async', idText, streamSink(stream, yieldSink),
      (texts) => finish(',"type":"returned","value":[' + texts.join(',') + ']'),
      (err, errKind, texts) => finish(',"type":"error","error":' + withYielded(errKind === 'serialization'
        ? ownError('SerializationError', name + ' yielded a value that cannot be serialized: ' + err.message, 'serialization')
        : errorJson(err), texts)));
  }
  return succeed(result);
}

function nameOf(line) {
  const m = /"name"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(line);
  try { return m ? JSON.parse(m[1]) : 'the function'; } catch (_) { return 'the function'; }
}

// The parsed request, or throws the error response (text) for one that cannot be read: a request nested
// too deeply for the reader (a RangeError) fails that call as `serialization`, not as a protocol error.
function readRequest(line) {
  try {
    return parseRequest(line);
  } catch (e) {
    const callId = callIdOf(line);
    if (e instanceof RangeError) {
      let out = '{"type":"error"';
      if (typeof callId === 'string') out += ',"callId":' + JSON.stringify(callId);
      throw out + ',"error":' + ownError('SerializationError', nameOf(line) + ' arguments cannot be deserialized: nested too deeply', 'serialization') + '}';
    }
    throw protocolError(callId, 'request is not valid JSON: ' + (e && e.message));
  }
}

function handleLine(line) {
  let msg;
  try {
    msg = readRequest(line);
  } catch (response) {
    return response;
  }
  return handleRequest(msg, line.indexOf('"$faast"') >= 0);
}

// ---------------------------------------------------------------------------------------------
// Worker entry point.

function sendLine(text) {
  try {
    writeAllSync(4, text + '\n');
  } catch (e) {
    // The host closed its end of the response pipe: nobody is listening any more.
    flushLogs();
    process.exit(e && e.code === 'EPIPE' ? 0 : 1);
  }
}

// Calls onLine with each request line (without its newline) as it completes. Reads through the socket's
// `onread` buffer, which skips the stream machinery (about a third of a no-op call's cost); lines are split
// on the newline byte, which never occurs inside a multi-byte UTF-8 sequence, so a chunk boundary inside
// a character is harmless.
function readRequests(onLine, onEnd) {
  const net = require('net');
  let held = [];
  let heldBytes = 0;
  const onChunk = (nread, buf) => {
    let start = 0;
    let nl = buf.indexOf(10, 0);
    while (nl >= 0 && nl < nread) {
      let line;
      if (heldBytes > 0) {
        held.push(buf.subarray(0, nl));
        line = Buffer.concat(held).toString('utf8');
        held = [];
        heldBytes = 0;
      } else {
        line = buf.toString('utf8', start, nl);
      }
      onLine(line);
      start = nl + 1;
      nl = start < nread ? buf.indexOf(10, start) : -1;
    }
    if (start < nread) {
      held.push(Buffer.from(buf.subarray(start, nread)));
      heldBytes += nread - start;
    }
  };
  let stream;
  try {
    stream = new net.Socket({ fd: 3, readable: true, writable: false, onread: { buffer: Buffer.allocUnsafe(65536), callback: onChunk } });
  } catch (_) {
    stream = fs.createReadStream(null, { fd: 3, autoClose: false });
    stream.on('data', (chunk) => onChunk(chunk.length, chunk));
  }
  stream.on('end', onEnd);
  stream.on('close', onEnd);
  stream.on('error', onEnd);
}

async function main() {
  installLogging();
  const file = process.env.FAAST_MODULE;
  try {
    if (!file) throw new Error('FAAST_MODULE is not set');
    await loadModule(file);
  } catch (e) {
    flushLogs();
    try { sendLine(loadErrorJson(e, file ? path.resolve(file) : undefined)); } catch (_) { /* host gone */ }
    process.exit(1);
  }
  sendLine(JSON.stringify({ type: 'ready', runtime: 'node', version: process.versions.node, pid: process.pid }));
  yieldSink = sendLine;

  const queue = [];
  let busy = false;
  const pump = () => {
    while (queue.length > 0) {
      const line = queue.shift();
      if (line.length === 0 || line.trim() === '') continue;
      const r = handleLine(line);
      if (typeof r === 'string') { sendLine(r); continue; }
      busy = true;
      r.then((text) => { sendLine(text); busy = false; pump(); }, (e) => {
        sendLine(protocolError(callIdOf(line), 'internal error: ' + (e && e.message)));
        busy = false;
        pump();
      });
      return;
    }
  };
  readRequests((line) => {
    queue.push(line);
    if (!busy) pump();
  }, () => {
    flushLogs();
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------
// Lambda entry point.

let lambdaLoad = null;

function lambdaModulePath() {
  // The deploy names the module's file (its own name, next to this one); a function then sees FAAST_MODULE as
  // the absolute path it sees locally.
  const named = process.env.FAAST_MODULE;
  if (named) {
    const p = path.join(__dirname, path.basename(named));
    process.env.FAAST_MODULE = p;
    return p;
  }
  for (const ext of ['.js', '.cjs', '.mjs']) {
    const p = path.join(__dirname, 'faast_module' + ext);
    if (fs.existsSync(p)) return p;
  }
  return path.join(__dirname, 'faast_module.js');
}

function textToObject(text) {
  if (BIG_DIGITS.test(text)) {
    const v = parseJsonBig(text);
    const raw = typeof JSON.rawJSON === 'function';
    const fix = (x) => {
      if (typeof x === 'bigint') return raw ? JSON.rawJSON(x.toString()) : Number(x);
      if (x && typeof x === 'object') for (const k of Object.keys(x)) x[k] = fix(x[k]);
      return x;
    };
    return fix(v);
  }
  return JSON.parse(text);
}

async function lambdaHandler(event, _context) {
  lambdaMode = true;
  installLogging();
  let request = event;
  let line = null;
  if (event && Array.isArray(event.Records) && event.Records.length > 0 && event.Records[0].Sns) {
    line = String(event.Records[0].Sns.Message);
  } else if (typeof event === 'string') {
    line = event;
  }
  if (line !== null) {
    try { request = readRequest(line); } catch (response) { return textToObject(response); }
  }
  // This invocation loads the module: the first of its instance (a cold start), said in queue mode's answer, whose
  // record has no log tail with Lambda's Init Duration.
  const cold = !lambdaLoad;
  if (!lambdaLoad) {
    const file = lambdaModulePath();
    try {
      await loadModule(file);
      lambdaLoad = true;
    } catch (e) {
      const out = textToObject(loadErrorJson(e, file));
      if (request && typeof request === 'object' && request.callId !== undefined) out.callId = request.callId;
      return out;
    }
  }
  let hasTags = true;
  if (line !== null) hasTags = line.indexOf('"$faast"') >= 0;
  const r = handleRequest(request, hasTags);
  const text = typeof r === 'string' ? r : await r;
  if (line !== null && typeof event === 'object') {
    const tooLarge = queueResultTooLarge(event, text, request);
    const out = textToObject(tooLarge !== null ? tooLarge : text);
    if (cold && out && typeof out === 'object') out.coldStart = true;
    return out;
  }
  return textToObject(text);
}

// Queue mode: Lambda's destination record carries the SNS event and this response and must fit one SQS
// message (256 KB); a record that does not fit is never delivered, and the call would only time out. Such a
// response is replaced by an error that says so. Sizes count non-ASCII as \uXXXX, the most verbose escaping.
const QUEUE_RECORD_LIMIT = 256 * 1024;
const QUEUE_RECORD_OVERHEAD = 1024;

function escapedSize(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += text.charCodeAt(i) < 0x80 ? 1 : 6;
  return n;
}

function queueResultTooLarge(event, text, request) {
  const size = escapedSize(JSON.stringify(event)) + escapedSize(text) + QUEUE_RECORD_OVERHEAD;
  if (size <= QUEUE_RECORD_LIMIT) return null;
  const callId = request && typeof request === 'object' ? request.callId : undefined;
  const name = request && typeof request === 'object' && typeof request.name === 'string' ? request.name : 'the function';
  const message = 'the result of ' + name + ' is ' + escapedSize(text) + ' bytes; with its request it does not fit ' +
    "queue mode's 256 KB result record: use mode=https";
  let out = '{"type":"error"';
  if (typeof callId === 'string') out += ',"callId":' + JSON.stringify(callId);
  return out + ',"error":' + ownError('ResultTooLarge', message, 'serialization') + '}';
}

if (IS_MAIN) {
  main().catch((e) => {
    try { writeAllSync(2, 'faast trampoline failed: ' + (e && e.stack ? e.stack : String(e)) + '\n'); } catch (_) { /* ignore */ }
    process.exit(1);
  });
} else {
  exports.handler = lambdaHandler;
  exports._parseParams = parseParams;
  exports._encodeValue = encodeValue;
  exports._parseJsonBig = parseJsonBig;
  exports._signV4 = signV4;
}
