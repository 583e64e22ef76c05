import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test as setup } from "@playwright/test";
import { OWNER, OWNER_STATE } from "./fixtures/owner";

// The server (playwright.config.ts) runs with KEYHUB_DATA_DIR=target/e2e and writes the one-time
// setup code there, as it prints it in its log.
const SETUP_CODE_FILE = path.join(__dirname, "../../target/e2e/setup-code");

async function fillSetup(page: import("@playwright/test").Page, code: string, password: string) {
  await page.getByLabel("Setup code").fill(code);
  await page.getByLabel("Your email").fill(OWNER.email);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Organization name").fill(OWNER.orgName);
  await page.getByLabel("Organization slug").fill(OWNER.orgSlug);
  await page.getByRole("button", { name: "Create owner and organization" }).click();
}

setup("first-run setup needs the setup code, creates the owner, signs in, and is gone afterwards", async ({ page, browser }, testInfo) => {
  await page.goto("/hub");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up KeyHub" })).toBeVisible();
  const code = readFileSync(SETUP_CODE_FILE, "utf8").trim();

  // With JavaScript, the slug follows the organization's name until it is typed itself.
  const scripted = await browser.newContext({ javaScriptEnabled: true });
  const form = await scripted.newPage();
  await form.goto("/setup");
  await expect(form.locator("html")).toHaveAttribute("data-hydrated", "true");
  await form.getByLabel("Organization name").pressSequentially("Acme Labs, Inc.");
  await expect(form.getByLabel("Organization slug")).toHaveValue("acme-labs-inc");
  await form.getByLabel("Organization slug").fill("acme");
  await form.getByLabel("Organization name").pressSequentially(" Europe");
  await expect(form.getByLabel("Organization slug")).toHaveValue("acme");
  await scripted.close();
  expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

  // Without the right code nothing is created, and the form says so at the field. The page that
  // comes back (no JavaScript here) keeps what was entered, but the code and the password.
  await fillSetup(page, "0000-0000-0000", OWNER.password);
  await expect(page.locator("#field-setup_code-error")).toContainText("not the setup code");
  await expect(page.getByLabel("Your email")).toHaveValue(OWNER.email);
  await expect(page.getByLabel("Organization name")).toHaveValue(OWNER.orgName);
  await expect(page.getByLabel("Organization slug")).toHaveValue(OWNER.orgSlug);
  await expect(page.getByLabel("Setup code")).toHaveValue("");
  await expect(page.getByLabel("Password")).toHaveValue("");

  // Every problem at once, each at its field.
  await page.getByLabel("Setup code").fill(code);
  await page.getByLabel("Your email").fill("not an email");
  await page.getByLabel("Password").fill("short");
  await page.getByLabel("Organization slug").fill("Not A Slug!");
  await page.getByRole("button", { name: "Create owner and organization" }).click();
  await expect(page.locator("#field-email-error")).not.toBeEmpty();
  await expect(page.locator("#field-password-error")).toContainText("at least 12 characters");
  await expect(page.locator("#field-org_slug-error")).not.toBeEmpty();
  await expect(page.locator("#field-org_name-error")).toBeEmpty();
  await expect(page.getByLabel("Organization slug")).toHaveValue("Not A Slug!");

  // A weak password is refused next to its field, and nothing is created.
  await fillSetup(page, code, "too short");
  await expect(page.locator("#field-password-error")).toContainText("at least 12 characters");
  await page.screenshot({ path: testInfo.outputPath("setup-error.png") });

  await fillSetup(page, code, OWNER.password);
  await expect(page).toHaveURL(/\/hub$/);
  await expect(page.getByTestId("viewer-email")).toHaveText(OWNER.email);
  await expect(page.getByText(`${OWNER.orgName} · Owner`)).toBeVisible();

  // The first view says what to do: add the first key, the most used providers first.
  const firstSteps = page.getByRole("region", { name: "No keys yet" });
  await expect(firstSteps.getByRole("link", { name: "Add your first key" })).toHaveAttribute("href", "/hub/add");
  await expect(firstSteps.getByRole("list", { name: "Most used providers" }).getByRole("link"))
    .toHaveText(["OpenAI", "Anthropic", "Google Gemini"]);
  await expect(page.getByRole("article", { name: "OpenAI", exact: true })).toContainText("for example sk-");
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: testInfo.outputPath(`hub-first-view-${width}.png`), fullPage: true });
  }
  const gone = await page.goto("/setup");
  expect(gone?.status()).toBe(404);
  await page.context().storageState({ path: OWNER_STATE });
});
