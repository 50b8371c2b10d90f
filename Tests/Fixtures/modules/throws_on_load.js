// Fixture: throws while the module is loading.
function ok() { return 1; }
throw new Error('boom at load');
