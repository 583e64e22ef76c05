import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";

test("an admin invites someone by link, who chooses a password and joins", async ({ page, browser }, testInfo) => {
  const email = `invited-${testInfo.project.name}@example.com`;
  await page.goto("/settings");
  if (testInfo.project.name === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  const form = page.getByRole("region", { name: "Invite by link" });
  await form.getByLabel("Email").fill(email);
  await expect(form.getByLabel("Role")).toHaveValue("member");
  await form.getByRole("button", { name: "Create invite link" }).click();
  const invites = page.getByRole("region", { name: "Pending invites" });
  const link = await invites.getByLabel("Invite link").inputValue();
  expect(link).toMatch(/\/invite\/khi_[A-Za-z0-9_-]{43}$/);
  await expect(invites.getByText(email)).toBeVisible();

  const guest = await browser.newContext({
    storageState: { cookies: [], origins: [] },
    javaScriptEnabled: testInfo.project.name === "hydrated",
  });
  const guestPage = await guest.newPage();
  await guestPage.goto(link);
  await expect(guestPage.getByText(`Join ${OWNER.orgName} as member`)).toBeVisible();
  await guestPage.screenshot({ path: testInfo.outputPath("invite.png") });
  await guestPage.getByLabel("Choose a password").fill("short");
  await guestPage.getByRole("button", { name: "Join organization" }).click();
  await expect(guestPage.locator("#field-password-error")).toContainText("at least 12 characters");
  await guestPage.getByLabel("Choose a password").fill("a long passphrase of my own");
  await guestPage.getByRole("button", { name: "Join organization" }).click();
  await expect(guestPage).toHaveURL(/\/hub$/);
  await expect(guestPage.getByText(`${OWNER.orgName} · Member`)).toBeVisible();

  // Used once: the link is dead now.
  await guestPage.goto(link);
  await expect(guestPage.getByRole("alert")).toContainText("already used");
  await guest.close();

  await page.reload();
  await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();

  // Joining is in the activity log, by the new member.
  await page.goto("/activity");
  const joined = page.getByRole("row").filter({ hasText: "member.joined" }).filter({ hasText: email });
  await expect(joined).toHaveCount(1);
});
