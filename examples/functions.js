// A tiny module to try faast with. Every exported function can be called from the faast shell,
// e.g.  hello("world")  or  add(2, 3).

// Greets someone: hello("world") → "hello world!"
function hello(name) {
  return 'hello ' + name + '!';
}

// Adds two numbers.
function add(a, b) {
  return a + b;
}

// Squares a number.
function square(x) {
  return x * x;
}

// Waits `ms` milliseconds (without blocking the worker), then returns ms.
async function sleep(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

// Always throws: shows how errors come back to the shell.
function fail(message) {
  throw new Error(message);
}

// A random number between 0 and 1: different on every call.
function random() {
  return Math.random();
}

module.exports = { hello, add, square, sleep, fail, random };
