import { expect, test } from "@playwright/test";
import { HubPage } from "./fixtures/hub-page";

// Hydrated project only: the tabs swap the cards without loading a new page.

test("with hydration, switching tabs does not reload the page", async ({ page }) => {
  const hub = new HubPage(page);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await hub.open();
  await hub.waitForHydration();
  await page.evaluate(() => ((window as unknown as { keyhubMarker: number }).keyhubMarker = 42));

  await hub.tab("Voice").click();
  await expect(hub.cards).toHaveCount(4);
  expect(await page.evaluate(() => (window as unknown as { keyhubMarker?: number }).keyhubMarker)).toBe(42);
  expect(errors, "no errors (CSP, hydration) in the console").toEqual([]);
});
