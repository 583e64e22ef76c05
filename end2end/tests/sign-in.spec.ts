import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";

// Runs in both projects, each time in a fresh, signed-out browser context.
test.use({ storageState: { cookies: [], origins: [] } });

async function waitIfHydrated(page: import("@playwright/test").Page, project: string) {
  if (project === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
}

test("signed-out visitors are sent to the sign-in page", async ({ page }) => {
  await page.goto("/hub");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a wrong password says so and keeps the visitor out", async ({ page }, testInfo) => {
  await page.goto("/login");
  await waitIfHydrated(page, testInfo.project.name);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill("definitely not it");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "email or password is not right" })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  // The email stays for the next try, with or without JavaScript; the password never comes back.
  await expect(page.getByLabel("Email")).toHaveValue(OWNER.email);
  await expect(page.getByLabel("Password")).toHaveValue("");
  await page.screenshot({ path: testInfo.outputPath("login-error.png") });
});

test("signing in leads to the hub and signing out ends the session", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/login");
  await waitIfHydrated(page, testInfo.project.name);
  await page.screenshot({ path: testInfo.outputPath("login.png") });
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/hub$/);
  await expect(page.getByTestId("viewer-email")).toHaveText(OWNER.email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/hub");
  await expect(page).toHaveURL(/\/login$/);
});
