import { expect, test, type Locator, type Page } from "@playwright/test";
import { open } from "./fixtures/keys";

// The add-key flow with the keyboard alone (Tab, Enter, Space and typing), hydrated and without
// JavaScript: every control on the way is reached by Tab, shows where the focus is, and acts on
// Enter or Space; what a change did is announced (a status the focus moves to).

/** What is wrong with the focus indicator of the focused element, or null when it shows. */
function focusProblem(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const focused = document.activeElement as HTMLElement | null;
    if (!focused || focused === document.body) return "nothing has the focus";
    const look = () => {
      const style = getComputedStyle(focused);
      return { outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1, shadow: style.boxShadow };
    };
    const withFocus = look();
    focused.blur();
    const without = look();
    focused.focus();
    if (withFocus.outline || withFocus.shadow !== without.shadow) return null;
    return `${focused.outerHTML.slice(0, 160)} looks the same with and without the focus`;
  });
}

/** Presses Tab until `target` has the focus (at most `limit` times), checking on every stop that
 *  the focus can be seen. */
async function tabTo(page: Page, target: Locator, limit = 80) {
  for (let presses = 0; presses < limit; presses++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120) ?? "");
    if (stop && !stop.startsWith("<body")) expect(await focusProblem(page), stop).toBeNull();
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

/** Presses `key` on what has the focus and waits for the page it leads to. */
async function pressTo(page: Page, key: string, url: RegExp) {
  await Promise.all([page.waitForURL(url), page.keyboard.press(key)]);
}

/** The announced outcome of the last change: a status that has the focus. */
async function expectAnnounced(page: Page, words: string | RegExp) {
  const status = page.getByRole("status");
  await expect(status).toContainText(words);
  await expect(status).toBeFocused();
}

test("a key is added, switched off, checked and deleted with the keyboard alone", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const name = `Keyboard ${project}`;
  const secret = `pplx-KeyboardWalk${project === "hydrated" ? "H" : "N"}${"0".repeat(35)}`;
  await open(page, "/hub", project);

  await tabTo(page, page.getByRole("searchbox", { name: "Search providers" }));
  await page.keyboard.type("Perplexity");
  await pressTo(page, "Enter", /q=Perplexity/);
  await tabTo(page, page.getByRole("link", { name: "Add a key for Perplexity" }));
  await pressTo(page, "Enter", /\/hub\/add\?provider=perplexity/);
  if (project === "hydrated") await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");

  await tabTo(page, page.getByLabel("API key"));
  await page.keyboard.type(secret);
  await tabTo(page, page.getByLabel("Nickname"));
  await page.keyboard.type(name);
  const role = page.getByLabel("Role");
  await tabTo(page, role);
  await expect(role).toHaveValue("primary");
  await tabTo(page, page.locator("summary", { hasText: "Advanced" }));
  await page.keyboard.press("Space");
  await expect(page.getByLabel("API base URL")).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: "Save key" }));
  await pressTo(page, "Enter", /\/hub\/perplexity\?done=added/);
  await expectAnnounced(page, `Saved '${name}'`);

  const card = page.getByRole("article", { name });
  const toggle = card.getByRole("switch", { name: new RegExp(`^Use ${name} \\(`) });
  await expect(toggle).toHaveAttribute("aria-checked", "true");
  await tabTo(page, toggle);
  await pressTo(page, "Space", /done=disabled/);
  await expectAnnounced(page, `Disabled '${name}'`);
  await expect(toggle).toHaveAttribute("aria-checked", "false");

  await tabTo(page, card.getByRole("button", { name: new RegExp(`^Validate ${name} \\(`) }));
  await pressTo(page, "Enter", /done=validated/);
  await expectAnnounced(page, `Checked '${name}'`);

  await tabTo(page, card.getByRole("link", { name: new RegExp(`^Delete ${name} \\(`) }));
  await pressTo(page, "Enter", /delete=/);
  await tabTo(page, page.getByRole("button", { name: new RegExp(`^Delete ${name} \\(`) }));
  await pressTo(page, "Enter", /done=deleted/);
  await expectAnnounced(page, `Deleted '${name}'`);
});
