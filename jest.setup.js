// Applies the project's timeout (see jest.preset.js) to every test and hook.
jest.setTimeout(globalThis.__TEST_TIMEOUT__ ?? 30_000);
