// Fixture module for speculative retries: one call of a fan-out is slow on its first attempt only.
const fs = require('fs');

// Blocks the thread like a long computation, without using the CPU the other tests need.
const block = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// Returns i after about 2 ms. Call `slowAt` takes `slowMs` the first time it runs (while no file `marker`
// exists), so that a duplicate of it is quick. With `release`, the slow attempt also ends once that file
// exists (a test on the emulator creates it when it is done, so that the abandoned attempt does not run on).
function work(i, slowAt, marker, slowMs, release) {
  if (i === slowAt && !fs.existsSync(marker)) {
    fs.writeFileSync(marker, 'slow attempt ran');
    const end = Date.now() + slowMs;
    while (Date.now() < end && !(release && fs.existsSync(release))) block(Math.min(20, end - Date.now()));
  }
  block(2);
  return i;
}

module.exports = { work };
