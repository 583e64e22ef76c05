import { expect, test } from "@playwright/test";
import { HubPage } from "./fixtures/hub-page";

// Runs in both projects: with hydration and with JavaScript disabled.

test("the hub shows every provider as a card", async ({ page }) => {
  const hub = new HubPage(page);
  await hub.open();
  await expect(hub.cards).toHaveCount(24);
  for (const name of ["OpenAI", "Anthropic", "ElevenLabs", "Stability AI", "Midjourney"]) {
    await expect(hub.card(name)).toBeVisible();
  }
  await expect(hub.card("Perplexity")).toContainText("Not configured");
  await expect(hub.card("Midjourney")).toContainText("no official public API");
  await expect(hub.tab("All")).toHaveAttribute("aria-current", "page");
});

test("category tabs filter the cards", async ({ page }, testInfo) => {
  const hub = new HubPage(page);
  await hub.open();
  if (testInfo.project.name === "hydrated") await hub.waitForHydration();

  const expected: Record<string, number> = { LLM: 17, Voice: 4, Image: 3, All: 24 };
  for (const [tab, count] of Object.entries(expected)) {
    await hub.tab(tab).click();
    await expect(hub.tab(tab)).toHaveAttribute("aria-current", "page");
    await expect(hub.cards).toHaveCount(count);
  }
  await hub.tab("Voice").click();
  await expect(page).toHaveURL(/\/hub\?category=voice$/);
  await expect(hub.card("ElevenLabs")).toBeVisible();
  await expect(hub.card("OpenAI")).toHaveCount(0);
});

test("a category link opened directly shows only that category", async ({ page }) => {
  const hub = new HubPage(page);
  await hub.open("/hub?category=image");
  await expect(hub.cards).toHaveCount(3);
  await expect(hub.tab("Image")).toHaveAttribute("aria-current", "page");
});

test("the sidebar leads to every section", async ({ page }) => {
  const hub = new HubPage(page);
  await hub.open();
  const nav = page.getByRole("navigation", { name: "Sections" });
  for (const section of ["Experts", "Assistants", "Activity", "Settings", "Provider Hub"]) {
    await nav.getByRole("link", { name: new RegExp(`^${section}`) }).click();
    await expect(page.getByRole("heading", { level: 1, name: section })).toBeVisible();
  }
});

test("health answers with the database backend", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok", database: "sqlite" });
});

test("screenshots of the hub look finished", async ({ page }, testInfo) => {
  const hub = new HubPage(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await hub.open();
  await page.screenshot({ path: testInfo.outputPath("hub-desktop.png"), fullPage: false });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: testInfo.outputPath("hub-mobile.png"), fullPage: false });
});

test("the search finds providers by other names, and says so when nothing matches", async ({ page }) => {
  const hub = new HubPage(page);
  const nothing = page.getByText("No provider matches your search.");
  await hub.open("/hub?q=claude");
  await expect(hub.card("Anthropic")).toBeVisible();
  await expect(hub.card("OpenAI")).toBeHidden();
  await expect(nothing).toBeHidden();
  await hub.open("/hub?q=no-such-provider");
  await expect(hub.cards).toHaveCount(0);
  await expect(nothing).toBeVisible();
  await expect(page.getByRole("link", { name: "show all providers" })).toBeVisible();
});
