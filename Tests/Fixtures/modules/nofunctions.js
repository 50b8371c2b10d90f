// Fixture: exports only a number.
module.exports = 42;
