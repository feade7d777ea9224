// Mocha root hooks: whatever a test started and did not stop is stopped after the run.
// Load with `"require": ["dist/test/support/hooks.js"]` in .mocharc.json.
import { stopAll } from "./registry";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopAll();
  },
};
