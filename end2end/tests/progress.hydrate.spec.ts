import { expect, test } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";

// A form that calls a provider shows progress in place and cannot be sent twice: the pressed
// button says what is happening and stays disabled until the answer (the next page) arrives.

test("validating a key shows progress in place and is sent once", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const name = "Progress check";
  await addKey(page, project, "groq", "gsk_progressInPlace000000000000001", name, "primary");
  await open(page, "/hub/groq", project);

  let sent = 0;
  let answer!: () => void;
  const held = new Promise<void>((resolve) => (answer = resolve));
  await page.route("**/api/keys/validate", async (route) => {
    sent += 1;
    await held;
    await route.continue();
  });

  const card = page.getByRole("article", { name });
  await card.getByRole("button", { name: new RegExp(`^Validate ${name}`) }).click();
  const busy = card.locator("button[aria-busy=true]");
  await expect(busy).toHaveText("Checking…");
  await expect(busy).toBeDisabled();
  // Sending the form again (Enter in it, a script) does nothing while it is on its way.
  await card.locator("form[data-sending]").evaluate((form: HTMLFormElement) => form.requestSubmit());
  await page.waitForTimeout(300);
  expect(sent).toBe(1);

  answer();
  await expect(page.getByRole("status")).toContainText(`Checked '${name}'`);
  expect(sent).toBe(1);
  await expect(card.getByRole("button", { name: new RegExp(`^Validate ${name}`) })).toHaveText("Validate");

  await card.getByRole("link", { name: new RegExp(`^Delete ${name}`) }).click();
  await page.getByRole("button", { name: new RegExp(`^Delete ${name}`) }).click();
  await expect(page.getByRole("status")).toContainText(`Deleted '${name}'`);
});
