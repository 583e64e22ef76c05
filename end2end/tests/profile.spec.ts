import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";

test("the header leads to the profile, which offers a password change and the hub", async ({ page }, testInfo) => {
  await page.goto("/hub");
  await page.getByTestId("viewer-email").click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { level: 1, name: "Profile" })).toBeVisible();
  await expect(page.getByLabel("Current password")).toHaveAttribute("type", "password");
  await expect(page.getByLabel("New password")).toHaveAttribute("autocomplete", "new-password");
  await expect(page.getByRole("link", { name: "Open the Provider Hub" })).toHaveAttribute("href", "/hub");
  await expect(page.getByTestId("viewer-email")).toHaveText(OWNER.email);
  await page.screenshot({ path: testInfo.outputPath("profile.png") });
});
