// Memory outside the V8 heap: Buffers, which --max-old-space-size does not limit.
const held = [];

// Holds mb megabytes of Buffers (filled, so resident) until the worker ends.
exports.buffers = (mb) => {
  for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1));
  return mb;
};

exports.hello = (name) => 'hello ' + name + '!';
