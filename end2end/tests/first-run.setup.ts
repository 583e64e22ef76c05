import { expect, test as setup } from "@playwright/test";
import { OWNER, OWNER_STATE } from "./fixtures/owner";

setup("first-run setup creates the owner, signs in, and is gone afterwards", async ({ page }, testInfo) => {
  await page.goto("/hub");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up KeyHub" })).toBeVisible();

  // A weak password is refused next to its field, and nothing is created.
  await page.getByLabel("Your email").fill(OWNER.email);
  await page.getByLabel("Password").fill("too short");
  await page.getByLabel("Organization name").fill(OWNER.orgName);
  await page.getByLabel("Organization slug").fill(OWNER.orgSlug);
  await page.getByRole("button", { name: "Create owner and organization" }).click();
  await expect(page.locator("#field-password-error")).toContainText("at least 12 characters");
  await page.screenshot({ path: testInfo.outputPath("setup-error.png") });

  await page.getByLabel("Your email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByLabel("Organization name").fill(OWNER.orgName);
  await page.getByLabel("Organization slug").fill(OWNER.orgSlug);
  await page.getByRole("button", { name: "Create owner and organization" }).click();

  await expect(page).toHaveURL(/\/hub$/);
  await expect(page.getByTestId("viewer-email")).toHaveText(OWNER.email);
  await expect(page.getByText(`${OWNER.orgName} · Owner`)).toBeVisible();
  const gone = await page.goto("/setup");
  expect(gone?.status()).toBe(404);
  await page.context().storageState({ path: OWNER_STATE });
});
