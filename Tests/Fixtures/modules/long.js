// Fixture module for the prompt tests: values long enough to need the pager and shortening.

// [0, 1, ..., n-1]: n + 2 lines when shown.
function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

function echo(value) {
  return value;
}

function add(a, b) {
  return a + b;
}

async function sleep(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

module.exports = { range, echo, add, sleep };
