import { expect, test } from "@playwright/test";

// Runs in both projects with the owner's session; each project makes its own token.

test("an admin creates an API token, sees it once, and revokes it", async ({ page, request }, testInfo) => {
  const name = `ci-${testInfo.project.name}`;
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto("/settings");
  if (testInfo.project.name === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  const section = page.getByRole("region", { name: "API tokens" });
  await expect(section.getByRole("heading", { name: "API tokens" })).toBeVisible();

  // No scope: refused at the field, nothing created.
  const form = section.getByRole("form", { name: "Create a token" });
  await form.getByLabel("Token name").fill(name);
  await form.getByLabel("keys:read").uncheck();
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(page.locator("#field-scopes-error")).toContainText("at least one scope");
  await expect(section.getByRole("cell", { name, exact: true })).toHaveCount(0);
  // The name comes back, with or without JavaScript.
  await expect(form.getByLabel("Token name")).toHaveValue(name);

  await form.getByLabel("Token name").fill(name);
  await form.getByLabel("keys:read").check();
  await form.getByLabel("Expires").selectOption("30");
  await form.getByRole("button", { name: "Create token" }).click();
  const shown = section.getByLabel("Your new API token");
  await expect(shown).toBeVisible();
  const token = await shown.inputValue();
  expect(token).toMatch(/^kh_[A-Za-z0-9_-]{43}$/);
  if (testInfo.project.name === "hydrated") {
    // With JavaScript a Copy button puts it on the clipboard.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await section.getByRole("button", { name: "Copy" }).click();
    await expect(section.getByRole("button", { name: "Copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    // The form is blank again for the next token.
    await expect(form.getByLabel("Token name")).toHaveValue("");
  } else {
    await expect(section.getByRole("button", { name: "Copy" })).toHaveCount(0);
  }
  await expect(section.getByRole("cell", { name, exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("api-tokens.png"), fullPage: true });

  // The token works on the REST API.
  const providers = await request.get("/api/v1/providers", { headers: { authorization: `Bearer ${token}` } });
  expect(providers.status()).toBe(200);

  // Shown once: gone after a reload, listed by its prefix.
  await page.reload();
  await expect(section.getByLabel("Your new API token")).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
  const row = section.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(`${token.slice(0, 11)}…`);
  await expect(row).toContainText("Active until");

  await section.getByRole("button", { name: `Revoke token ${name}` }).click();
  await expect(section.getByRole("row").filter({ hasText: name })).toContainText("Revoked");
  const refused = await request.get("/api/v1/providers", { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("invalid_token");
});
