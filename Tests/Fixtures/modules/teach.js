// What a function prints shows under a single call's value (Tests/cli/test_teaching.py).

function shout(word) {
  console.log('shouting ' + word);
  console.error('(to stderr)');
  return word.toUpperCase();
}

function grumble(word) {
  console.log('about to fail on ' + word);
  throw new Error('grumbled ' + word);
}

async function nap(ms) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

module.exports = { shout, grumble, nap };
