// Parameters with defaults and comments above functions (fixture for help FN).

/**
 * Greets someone.
 *
 * @param {string} name who
 * @param {string} [punct="!"] how it ends
 */
function greet(name, punct = '!', /* not a parameter */ { times = 1 } = {}) {
  return ('hello ' + name + punct).repeat(times);
}

// Adds two numbers.
// b defaults to a list's length.
const add = (a, b = [1, 2].length) => a + b;

// A comment a blank line away belongs to nobody.

function* count(n, ...more) {
  for (let i = 0; i < n; i++) yield i;
}

module.exports = { greet, add, count };
