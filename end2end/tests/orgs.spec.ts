import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";
import { ensureSecondOrg } from "./fixtures/orgs";

// A session of its own: switching must not move the shared owner session to another org.
test.use({ storageState: { cookies: [], origins: [] } });

// A second org for the owner.
test.beforeAll(ensureSecondOrg);

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
