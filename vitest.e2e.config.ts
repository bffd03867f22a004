import {defineConfig} from "vitest/config";

// Browser tests: they build the site once and drive Chromium, so they run alone and slowly.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000
  }
});
