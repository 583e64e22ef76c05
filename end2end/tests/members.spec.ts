import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";
import { signInAs } from "./fixtures/sign-in";

// Runs in both projects with the owner's session; each project adds its own member.

test("an admin adds a member, who signs in and sees no admin actions", async ({ page, browser }, testInfo) => {
  const email = `member-${testInfo.project.name}@example.com`;
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto("/settings");
  if (testInfo.project.name === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await expect(page.getByRole("cell", { name: `${OWNER.email} (you)` })).toBeVisible();

  const form = page.getByRole("region", { name: "Add a member" });
  // New people are members unless an admin chooses otherwise.
  await expect(form.getByLabel("Role")).toHaveValue("member");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Initial password").fill("short");
  await form.getByRole("button", { name: "Add member" }).click();
  await expect(page.locator("#field-password-error")).toContainText("at least 12 characters");
  // Refused, the form keeps the email and the role, never the password.
  await expect(form.getByLabel("Email")).toHaveValue(email);
  await expect(form.getByLabel("Role")).toHaveValue("member");
  await expect(form.getByLabel("Initial password")).toHaveValue("");

  await form.getByLabel("Initial password").fill(OWNER.password);
  await form.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();
  await expect(form.getByLabel("Email")).toHaveValue("");
  await page.screenshot({ path: testInfo.outputPath("members-admin.png"), fullPage: true });

  // The initial password only leads to choosing their own.
  const { context: member, page: memberPage } = await signInAs(
    browser, email, OWNER.password, testInfo.project.name === "hydrated", { choosePassword: "a passphrase of my very own" },
  );
  await expect(memberPage.getByText(`${OWNER.orgName} · Member`)).toBeVisible();
  await memberPage.goto("/settings");
  await expect(memberPage.getByRole("cell", { name: `${email} (you)` })).toBeVisible();
  await expect(memberPage.getByRole("heading", { name: "Add a member" })).toHaveCount(0);
  await expect(memberPage.getByRole("button", { name: /Change role|Remove/ })).toHaveCount(0);
  await memberPage.screenshot({ path: testInfo.outputPath("members-member.png"), fullPage: true });
  await member.close();

  // Removing someone asks first.
  await page.goto("/settings");
  if (testInfo.project.name === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  const remove = page.getByRole("button", { name: `Remove ${email}`, exact: true });
  await expect(remove).toBeHidden();
  await page.locator(`summary[aria-label="Remove ${email}…"]`).click();
  await expect(page.getByText(`${email} loses access to this organization at once.`, { exact: true })).toBeVisible();
  await remove.click();
  await expect(page.getByRole("cell", { name: email, exact: true })).toHaveCount(0);
});

test("the last owner cannot be demoted", async ({ page }, testInfo) => {
  await page.goto("/settings");
  if (testInfo.project.name === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  await page.getByLabel(`Role of ${OWNER.email}`, { exact: true }).selectOption("member");
  await page.getByRole("button", { name: `Change role of ${OWNER.email}` }).click();
  await expect(page.getByRole("alert").filter({ hasText: "at least one owner" })).toBeVisible();
  await page.goto("/settings");
  await expect(page.getByText(`${OWNER.orgName} · Owner`)).toBeVisible();
});
