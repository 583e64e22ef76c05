import { execFileSync } from "node:child_process";
import { defineConfig } from "@playwright/test";
import { OWNER_STATE } from "./tests/fixtures/owner";

// A port of its own, so a KeyHub started by scripts/serve.sh on 3000 is never touched.
const port = Number(process.env.KEYHUB_E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

// Providers are not reachable from here: every one of the catalog points at the fake provider
// (tests/support/fake_provider.rs), whose answers the pasted key chooses. The fake provider itself
// prints those settings, from the catalog, so no provider is ever left out here.
const fakePort = port + 1;
const fakeProvider = `http://127.0.0.1:${fakePort}`;
const fakeProviderBin = "target/debug/examples/fake_provider";
const providerSettings = Object.fromEntries(
  execFileSync(fakeProviderBin, ["--settings", String(fakePort)], { cwd: "..", encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.split(/=(.*)/s).slice(0, 2)),
);

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    // First-run setup through the real form, without JavaScript; saves the owner's session.
    { name: "setup", testMatch: /first-run\.setup\.ts/, use: { javaScriptEnabled: false } },
    {
      name: "hydrated",
      dependencies: ["setup"],
      use: { javaScriptEnabled: true, storageState: OWNER_STATE },
      testIgnore: /standalone\.spec\.ts/,
    },
    {
      name: "no-js",
      dependencies: ["setup"],
      use: { javaScriptEnabled: false, storageState: OWNER_STATE },
      testIgnore: [/.*\.hydrate\.spec\.ts/, /standalone\.spec\.ts/],
    },
    // The binary with its site inside, alone in an empty folder or as its image (scripts/test.sh,
    // scripts/release.sh --smoke).
    ...(process.env.KEYHUB_STANDALONE_DIR || process.env.KEYHUB_STANDALONE_IMAGE
      ? [{ name: "standalone", testMatch: /standalone\.spec\.ts/, use: { javaScriptEnabled: true } }]
      : []),
  ],
  // A fresh data directory per run; the server is the debug build of `cargo leptos build`.
  webServer: [{
    command: `${fakeProviderBin} ${fakePort}`,
    cwd: "..",
    url: `${fakeProvider}/ollama`,
    reuseExistingServer: false,
    timeout: 30_000,
  }, {
    command: `rm -rf target/e2e && ${process.env.KEYHUB_E2E_BIN ?? "target/debug/keyhub"} serve`,
    cwd: "..",
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      KEYHUB_DATABASE_URL: "sqlite://target/e2e/keyhub.db",
      KEYHUB_DATA_DIR: "target/e2e",
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_PKG_DIR: "pkg",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      RUST_LOG: "info,sqlx=warn",
      ...providerSettings,
    },
  }],
});
