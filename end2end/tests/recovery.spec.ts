import { rmSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";
import { OwnServer } from "./fixtures/server";

// Runs in both projects, each on a KeyHub of its own: it loses that server's master key.
test.use({ storageState: { cookies: [], origins: [] } });

const EMAIL = "operator@example.com";
const PASSWORD = "a long and careful passphrase";

test("a lost master key: recover, re-enter one key, and its expert works again unedited", async ({ browser }, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  const server = new OwnServer(`target/e2e-recovery-${project}`, project === "hydrated" ? 3110 : 3111);
  server.run(["create-admin", "--email", EMAIL, "--org", "rescue", "--org-name", "Rescue"], `${PASSWORD}\n`);
  await server.start();
  const context = await browser.newContext({ baseURL: server.url, javaScriptEnabled: project === "hydrated" });
  const page = await context.newPage();
  const signIn = async () => {
    await open(page, "/login", project);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/hub$/);
  };
  try {
    await signIn();
    await addKey(page, project, "openai", "sk-proj-RESCUEmainMAINmainMAIN0001", "Main", "primary");
    await addKey(page, project, "openai", "sk-proj-RESCUEbackupBACKUP00002", "Backup", "fallback");
    await open(page, "/experts/new", project);
    await page.getByLabel("Name").fill("Support");
    const model = page.getByRole("group", { name: "Model" });
    await model.getByLabel("Provider").selectOption("openai");
    await model.getByLabel("Model id").fill("gpt-4o");
    await model.getByLabel("Key").selectOption({ label: "Main · sk-proj...0001 · Valid · primary" });
    await page.getByRole("button", { name: "Create expert" }).click();
    await expect(page).toHaveURL(/\/experts\/[^/]+\?saved=1/);
    const expert = new URL(page.url()).pathname;

    // The master key is lost; the operator recovers.
    await server.stop();
    rmSync(path.join(__dirname, "../..", server.dataDir, "master.key"));
    const told = server.run(["recover", "--forget-secrets"], "FORGET\n");
    expect(told).toContain("Wiped the secrets of 2 key(s) in 1 organization(s)");
    await server.start();

    // Sessions live in the database, not under the master key: the operator is still signed in.
    await open(page, "/hub/openai", project);
    await expect(page.getByRole("article", { name: "Main" })).toContainText("Needs re-entry");
    await expect(page.getByRole("article", { name: "Backup" })).toContainText("Needs re-entry");
    await page.screenshot({ path: testInfo.outputPath("needs-re-entry.png"), fullPage: true });
    await open(page, expert, project);
    await expect(page.getByRole("region", { name: "Which key will be used?" })).toContainText("No key");

    // Main is pasted again: checked, back in place, and the expert uses it as before.
    await open(page, "/hub/openai", project);
    const main = page.getByRole("article", { name: "Main" });
    await main.getByLabel("API key for Main (sk-proj...0001)").fill("sk-proj-RESCUEmainMAINmainMAIN0001");
    await main.getByRole("button", { name: "Re-enter key" }).click();
    await expect(page.getByRole("status")).toContainText("verified with OpenAI");
    await expect(page.getByRole("article", { name: "Main" })).toContainText("Valid");
    await expect(page.getByRole("article", { name: "Backup" })).toContainText("Needs re-entry");
    await open(page, expert, project);
    const panel = page.getByRole("region", { name: "Which key will be used?" });
    await expect(panel).toContainText("'Main' (sk-proj...0001)");
    await expect(panel).toContainText("Chosen key");
  } finally {
    await context.close();
    await server.stop();
  }
});
