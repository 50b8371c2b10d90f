// Values at and beyond faast's nesting limit (512 levels).

// An array nested n levels deep: nest(1) is [].
exports.nest = (n) => {
  let v = [];
  for (let i = 1; i < n; i++) v = [v];
  return v;
};

// An object nested n levels deep: nestObjects(1) is {}.
exports.nestObjects = (n) => {
  let v = {};
  for (let i = 1; i < n; i++) v = { k: v };
  return v;
};

// Strings full of brackets and escaped quotes do not count as nesting.
exports.bracketsInStrings = (n) => ['['.repeat(n), '\\"[{'.repeat(n), { '[[[': '"\\' }];

exports.echo = (v) => v;
