// Fixture: a syntax error on line 3.
function ok() { return 1; }
function broken( { return 2; }
module.exports = { ok };
