// Fixture module for the trampoline tests (CommonJS). sample.mjs is its ESM twin.

function hello(name) {
  return 'hello ' + name + '!';
}

function add(a, b) {
  return a + b;
}

function echo(value) {
  return value;
}

async function sleep(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

function fail(message) {
  const err = new Error(message);
  err.code = 'E_FAIL';
  throw err;
}

function logs(n) {
  for (let i = 0; i < n; i++) console.log('line ' + i);
  console.error('to stderr');
  return n;
}

function exitWith(code) {
  process.exit(code);
}

const kept = [];
function allocate(mb) {
  // 1 MB of JS heap per chunk: 131072 doubles (8 bytes each), kept referenced.
  for (let i = 0; i < mb; i++) {
    const chunk = new Array(131072);
    for (let j = 0; j < chunk.length; j++) chunk[j] = j + 0.5;
    kept.push(chunk);
  }
  return mb;
}

function unserializable() {
  const o = { name: 'loop' };
  o.self = o;
  return o;
}

function returnsFunction() {
  return function inner() {};
}

function env(name) {
  const v = process.env[name];
  return v === undefined ? null : v;
}

function cwd() {
  return process.cwd();
}

function pid() {
  return process.pid;
}

function killSelf(signal) {
  process.kill(process.pid, signal);
}

function bytes(s) {
  return Buffer.from(s, 'utf8');
}

function specials() {
  return [NaN, Infinity, -Infinity, undefined, new Date(0)];
}

async function asyncHello(name) {
  await null;
  return 'hello ' + name + '!';
}

function typeOf(value) {
  if (typeof value === 'bigint') return 'bigint';
  if (Buffer.isBuffer(value)) return 'bytes';
  if (value instanceof Date) return 'date';
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return typeof value;
}

function noop(x) {
  return x + 1;
}

function fancy(a, b = 1, {x, y}, ...rest) {
  return [a, b, x, y, rest];
}

module.exports = {
  hello, add, echo, sleep, fail, logs, exitWith, allocate, unserializable, returnsFunction,
  env, cwd, pid, killSelf, bytes, specials, asyncHello, typeOf, noop, fancy,
};
