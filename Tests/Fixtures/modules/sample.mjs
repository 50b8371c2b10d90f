// Fixture module for the trampoline tests (ES module twin of sample.js).
import { Buffer } from 'node:buffer';

export function hello(name) {
  return 'hello ' + name + '!';
}

export function add(a, b) {
  return a + b;
}

export function echo(value) {
  return value;
}

export async function sleep(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

export function fail(message) {
  const err = new Error(message);
  err.code = 'E_FAIL';
  throw err;
}

export function logs(n) {
  for (let i = 0; i < n; i++) console.log('line ' + i);
  console.error('to stderr');
  return n;
}

export function exitWith(code) {
  process.exit(code);
}

const kept = [];
export function allocate(mb) {
  // 1 MB of JS heap per chunk: 131072 doubles (8 bytes each), kept referenced.
  for (let i = 0; i < mb; i++) {
    const chunk = new Array(131072);
    for (let j = 0; j < chunk.length; j++) chunk[j] = j + 0.5;
    kept.push(chunk);
  }
  return mb;
}

export function unserializable() {
  const o = { name: 'loop' };
  o.self = o;
  return o;
}

export function returnsFunction() {
  return function inner() {};
}

export function env(name) {
  const v = process.env[name];
  return v === undefined ? null : v;
}

export function cwd() {
  return process.cwd();
}

export function pid() {
  return process.pid;
}

export function killSelf(signal) {
  process.kill(process.pid, signal);
}

export function bytes(s) {
  return Buffer.from(s, 'utf8');
}

export function specials() {
  return [NaN, Infinity, -Infinity, undefined, new Date(0)];
}

export async function asyncHello(name) {
  await null;
  return 'hello ' + name + '!';
}

export function typeOf(value) {
  if (typeof value === 'bigint') return 'bigint';
  if (Buffer.isBuffer(value)) return 'bytes';
  if (value instanceof Date) return 'date';
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return typeof value;
}

export function noop(x) {
  return x + 1;
}

export function fancy(a, b = 1, {x, y}, ...rest) {
  return [a, b, x, y, rest];
}
