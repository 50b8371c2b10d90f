// Fixture module for generator calls (node, CommonJS): values stream back as they are yielded.
const fs = require('fs');

function* countdown(n) {
  for (let i = n; i > 0; i--) yield i;
}

async function* asyncCountdown(n) {
  for (let i = n; i > 0; i--) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield i;
  }
}

// Yields 'first', then waits (bounded) until the file `path` exists before yielding 'second': a caller
// sees the first value while the function is still running.
function* waitForFile(path, limitMs) {
  yield 'first';
  const deadline = Date.now() + (limitMs || 10000);
  while (!fs.existsSync(path)) {
    if (Date.now() > deadline) throw new Error('gave up waiting for ' + path);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  yield 'second';
}

async function* asyncWaitForFile(path, limitMs) {
  yield 'first';
  const deadline = Date.now() + (limitMs || 10000);
  while (!fs.existsSync(path)) {
    if (Date.now() > deadline) throw new Error('gave up waiting for ' + path);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  yield 'second';
}

function* failAfter(n, message) {
  for (let i = 0; i < n; i++) yield i;
  const e = new Error(message);
  e.code = 'E_GEN';
  throw e;
}

function* yieldsUnserializable() {
  yield 1;
  yield () => 2;
}

function* values() {
  yield '你好 👋🏽';
  yield 12345678901234567890123n;
  yield Buffer.from('hi');
  yield { nested: [1, null, true] };
  yield null;
}

function* empty() {}

// Yields 1, then computes for `ms` milliseconds (for timeouts).
function* slowAfter(ms) {
  yield 1;
  const until = Date.now() + ms;
  while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  yield 2;
}

// Yields 'a'; the first time (no file at `path` yet) the worker then exits, so the call is retried.
function* exitOnce(path) {
  yield 'a';
  if (!fs.existsSync(path)) {
    fs.writeFileSync(path, 'ran');
    process.exit(3);
  }
  yield 'b';
}

function plain(x) {
  return x;
}

module.exports = { countdown, asyncCountdown, waitForFile, asyncWaitForFile, failAfter, yieldsUnserializable, values, empty, slowAfter, exitOnce, plain };
