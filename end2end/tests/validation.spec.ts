import { expect, test, type Page } from "@playwright/test";

// Runs in both projects with the owner's session. Providers answer through the fake provider,
// which the pasted key drives: "invalid", "down", "soon-broke" (valid once, then out of credit).

async function open(page: Page, path: string, project: string) {
  await page.goto(path);
  if (project === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
}

async function paste(page: Page, key: string, nickname: string) {
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("Nickname").fill(nickname);
  await page.getByRole("button", { name: "Save key" }).click();
}

test("keys are checked with the provider: rejected, valid, unreachable, out of credit", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  await page.setViewportSize({ width: 1280, height: 900 });

  // Rejected: the reason at the field, nothing saved.
  await open(page, "/hub/add?provider=mistral", project);
  await paste(page, `mistral-invalid-${project}-0001`, `Rejected ${project}`);
  await expect(page.locator("#field-api_key-error")).toContainText("Key validation failed: Mistral rejected this key (401)");
  await page.screenshot({ path: testInfo.outputPath("rejected-key.png"), fullPage: true });
  await open(page, "/hub/mistral", project);
  await expect(page.getByRole("article", { name: `Rejected ${project}` })).toHaveCount(0);

  // Valid: the green badge and when it was checked.
  await open(page, "/hub/add?provider=mistral", project);
  await paste(page, `mistral-good-${project}-0002`, `Good ${project}`);
  await expect(page).toHaveURL(/\/hub\/mistral/);
  const good = page.getByRole("article", { name: `Good ${project}` });
  await expect(good).toContainText("Valid");
  await expect(good).toContainText("Last validated");

  // Unreachable: saved only with consent, then as not verified with the reason.
  await open(page, "/hub/add?provider=mistral", project);
  await paste(page, `mistral-down-${project}-0003`, `Unreachable ${project}`);
  await expect(page.locator("#field-api_key-error")).toContainText("Mistral is having problems (503)");
  await page.getByLabel("API key").fill(`mistral-down-${project}-0003`);
  await page.getByLabel("Nickname").fill(`Unreachable ${project}`);
  await page.getByLabel("Save even if the provider cannot be reached").check();
  await page.getByRole("button", { name: "Save key" }).click();
  const unreachable = page.getByRole("article", { name: `Unreachable ${project}` });
  await expect(unreachable).toContainText("Not verified yet");
  await expect(unreachable).toContainText("Mistral is having problems (503)");

  // Out of credit since it was added: Validate shows it.
  await open(page, "/hub/add?provider=mistral", project);
  await paste(page, `mistral-soon-broke-${project}-0004`, `Broke ${project}`);
  const broke = page.getByRole("article", { name: `Broke ${project}` });
  await expect(broke).toContainText("Valid");
  await broke.getByRole("button", { name: `Validate Broke ${project} (...0004)` }).click();
  await expect(page.getByRole("article", { name: `Broke ${project}` })).toContainText("Out of credit");
  await expect(page.getByRole("article", { name: `Broke ${project}` })).toContainText("Add credit or raise the limit");
  await page.screenshot({ path: testInfo.outputPath("validated-keys.png"), fullPage: true });
});

test("a key pasted with its Authorization header or quotes is stored as the key alone", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  await open(page, "/hub/add?provider=groq", project);
  await paste(page, `"Authorization: Bearer gsk_pasted${project}HeaderWk02"`, `Pasted ${project}`);
  await expect(page).toHaveURL(/\/hub\/groq/);
  const pasted = page.getByRole("article", { name: `Pasted ${project}` });
  await expect(pasted).toContainText("gsk_...Wk02");
  await expect(pasted).toContainText("Valid");
  await expect(page).not.toHaveURL(/check_key/);
});

test("a refused key form shows every problem at once and comes back filled in, but the key", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const nickname = `Too long ${project} `.padEnd(81, "x");
  await open(page, "/hub/add?provider=openai", project);
  await page.getByLabel("API key").fill(`sk-proj-refused${project}Wk02`);
  await page.getByLabel("Nickname").fill(nickname);
  await page.getByText("Advanced").click();
  await page.getByLabel("API base URL").fill("ftp://llm.example.com/v1");
  await page.getByLabel("Role").selectOption("none");
  await page.getByRole("button", { name: "Save key" }).click();

  await expect(page.locator("#field-nickname-error")).toContainText("Use up to 80 characters");
  await expect(page.locator("#field-api_base-error")).not.toBeEmpty();
  await expect(page.getByLabel("Nickname")).toHaveValue(nickname);
  // A new page, reached through a URL that carries the refusal: the nickname is back, but never
  // the key, nor where it would be sent (anyone can forge such a URL into a link).
  await expect(page.getByLabel("API key")).toHaveValue("");
  await expect(page.getByLabel("API base URL")).toHaveValue("");
  const refusal = Buffer.from(new URL(page.url()).searchParams.get("__err") ?? "", "base64url").toString();
  expect(refusal).toContain("Use up to 80 characters");
  expect(refusal).not.toContain("refused");
  expect(refusal).not.toContain("llm.example.com");
  await open(page, "/hub/openai", project);
  await expect(page.getByText(`Too long ${project}`)).toHaveCount(0);
});

test("a refused edit opens that key's form again with the problem at its field", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  await open(page, "/hub/add?provider=fireworks", project);
  await paste(page, `fw_editrefused${project}Wk03`, `Edited ${project}`);
  await expect(page).toHaveURL(/\/hub\/fireworks/);
  const key = page.getByRole("article", { name: `Edited ${project}` });
  await key.getByText("Edit", { exact: true }).click();
  await key.getByLabel("Nickname").fill(`Renamed ${project}`);
  await key.getByLabel("API base URL").fill("ftp://llm.example.com/v1");
  await key.getByRole("button", { name: "Save changes" }).click();

  const form = page.getByRole("article", { name: `Edited ${project}` });
  await expect(form.getByRole("alert").filter({ hasText: /https/ })).toBeVisible();
  await expect(form.getByLabel("Nickname")).toHaveValue(`Renamed ${project}`);
  // The key's destination shows as stored, never as a URL brought it back.
  await expect(form.getByLabel("API base URL")).toHaveValue("");
  await open(page, "/hub/fireworks", project);
  await expect(page.getByRole("article", { name: `Renamed ${project}` })).toHaveCount(0);
  const kept = page.getByRole("article", { name: `Edited ${project}` });
  await kept.getByText("Delete…").click();
  await kept.getByRole("button", { name: /^Delete / }).click();
  await expect(page.getByRole("article", { name: `Edited ${project}` })).toHaveCount(0);
});
