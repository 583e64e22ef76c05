import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";

// A session of its own: switching must not move the shared owner session to another org.
test.use({ storageState: { cookies: [], origins: [] } });

test.beforeAll(() => {
  // A second org for the owner, made as an operator would: with the CLI against the same database.
  try {
    execFileSync(process.env.KEYHUB_E2E_BIN ?? "target/debug/keyhub", [
      "create-admin", "--email", OWNER.email, "--org", "globex", "--org-name", "Globex",
    ], {
      cwd: "..",
      input: `${OWNER.password}\n`,
      env: { ...process.env, KEYHUB_DATABASE_URL: "sqlite://target/e2e/keyhub.db", KEYHUB_DATA_DIR: "target/e2e" },
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (error) {
    // The other project created it already.
    if (!String((error as { stderr?: Buffer }).stderr ?? "").includes("slug already exists")) throw error;
  }
});

test("someone in two orgs switches between them in the header", async ({ page }, testInfo) => {
  await page.goto("/login");
  if (testInfo.project.name === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText(`${OWNER.orgName} · Owner`)).toBeVisible();

  await page.getByLabel("Organization").selectOption("globex");
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(page.getByText("Globex · Owner")).toBeVisible();
  await page.goto("/settings");
  await expect(page.getByRole("cell", { name: `${OWNER.email} (you)` })).toBeVisible();
  await expect(page.getByRole("cell", { name: /member-/ })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("switched.png") });
});
