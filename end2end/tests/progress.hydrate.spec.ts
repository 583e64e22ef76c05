import { expect, test } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";

// A form that calls a provider shows progress in place and cannot be sent twice: the pressed
// button says what is happening and stays disabled until the answer (the next page) arrives.

test("validating a key shows progress in place and is sent once", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const name = "Progress check";
  await addKey(page, project, "groq", "gsk_progressInPlace000000000000001", name, "primary");
  await open(page, "/hub/groq", project);
  const card = page.getByRole("article", { name });
  await expect(card.getByRole("button", { name: new RegExp(`^Validate ${name}`) })).toHaveText("Validate");

  let sent = 0;
  page.on("request", (request) => {
    if (request.url().endsWith("/api/keys/validate")) sent += 1;
  });
  // Pressed, looked at and sent again in one go, from the page itself: the next page is on its
  // way from then on, and Playwright would wait for it before looking.
  const seen = await page.evaluate((label) => {
    const button = [...document.querySelectorAll<HTMLButtonElement>("button[data-busy]")].find((b) =>
      b.getAttribute("aria-label")?.startsWith(label),
    );
    if (!button?.form) return null;
    let submitted = 0;
    window.addEventListener("submit", (event) => {
      if (!event.defaultPrevented) submitted += 1;
    });
    button.click();
    const pressed = {
      text: button.textContent,
      busy: button.getAttribute("aria-busy"),
      disabled: button.disabled,
      // Said by the page's polite live region too, for screen readers.
      announced: document.getElementById("progress-announcer")?.textContent,
    };
    // Enter in the form, or a script, while it is being sent.
    button.form.requestSubmit();
    return { pressed, submitted };
  }, `Validate ${name}`);
  expect(seen).toEqual({
    pressed: { text: "Checking…", busy: "true", disabled: true, announced: "Checking…" },
    submitted: 1,
  });

  await expect(page.getByRole("status")).toContainText(`Checked '${name}'`);
  expect(sent).toBe(1);
  await expect(card.getByRole("button", { name: new RegExp(`^Validate ${name}`) })).toHaveText("Validate");

  await card.getByRole("link", { name: new RegExp(`^Delete ${name}`) }).click();
  await page.getByRole("button", { name: new RegExp(`^Delete ${name}`) }).click();
  await expect(page.getByRole("status")).toContainText(`Deleted '${name}'`);
});
