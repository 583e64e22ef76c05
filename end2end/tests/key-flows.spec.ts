import { expect, test, type Locator, type Page } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";

// Everyday key flows that once destroyed or replaced a key by accident. Both projects, the owner's
// session, DeepSeek keys of their own (deleted at the end of each test).

const secret = (project: string, n: number) =>
  `sk-${(project === "hydrated" ? "a" : "b").repeat(28)}${String(n).repeat(4)}`;
const hint = (n: number) => `sk-...${String(n).repeat(4)}`;

async function deleteKey(page: Page, name: string, keyHint: string) {
  const card = page.getByRole("article", { name });
  await card.getByText("Delete…").click();
  await card.getByRole("button", { name: `Delete ${name} (${keyHint})` }).click();
  await expect(page.getByRole("status")).toContainText(`Deleted '${name}' (${keyHint})`);
}

test("deleting a key arms no other key, and says what was deleted", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const names = ["One", "Two", "Three"].map((n) => `${n} ${project}`);
  for (const [i, name] of names.entries()) {
    await addKey(page, project, "deepseek", secret(project, i + 1), name, "fallback");
  }
  await open(page, "/hub/deepseek", project);

  const first = page.getByRole("article", { name: names[0] });
  await first.getByText("Delete…").click();
  await first.getByRole("button", { name: `Delete ${names[0]} (${hint(1)})` }).click();

  const status = page.getByRole("status");
  await expect(status).toHaveText(`Deleted '${names[0]}' (${hint(1)}). Its secret is wiped; the activity log keeps its hint.`);
  await expect(page.getByRole("article", { name: names[0] })).toHaveCount(0);
  // No other key's confirmation is open, and a second Enter deletes nothing.
  await expect(page.locator("details[open]")).toHaveCount(0);
  await expect(status).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("article", { name: names[1] })).toBeVisible();
  await expect(page.getByRole("article", { name: names[2] })).toBeVisible();

  await deleteKey(page, names[1], hint(2));
  await deleteKey(page, names[2], hint(3));
});

test("making a key primary moves focus away from the demoted key", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const main = `Main ${project}`;
  const spare = `Spare ${project}`;
  await addKey(page, project, "deepseek", secret(project, 4), main, "primary");
  await addKey(page, project, "deepseek", secret(project, 5), spare, "fallback");

  const spareCard = page.getByRole("article", { name: spare });
  await spareCard.getByLabel(`Role of ${spare} (${hint(5)})`, { exact: true }).selectOption("primary");
  await spareCard.getByRole("button", { name: `Set the role of ${spare} (${hint(5)})` }).click();
  const status = page.getByRole("status");
  await expect(status).toHaveText(`'${spare}' (${hint(5)}) is now the primary: it is used first.`);
  await expect(page.getByRole("article", { name: spare })).toContainText("Primary");
  await expect(page.getByRole("article", { name: main })).toContainText("Fallback 1");
  await expect(status).toBeFocused();
  // A second Enter does not swap the roles back.
  await page.keyboard.press("Enter");
  await expect(page.getByRole("article", { name: spare })).toContainText("Primary");
  await expect(page.getByRole("article", { name: main })).toContainText("Fallback 1");

  await deleteKey(page, main, hint(4));
  await deleteKey(page, spare, hint(5));
});

test("adding a key next to a primary makes it a fallback unless told, and says so", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const production = `Production ${project}`;
  const backup = `Backup ${project}`;
  await open(page, "/hub/add?provider=deepseek", project);
  // No primary yet: the first key is the primary.
  await expect(page.getByLabel("Role")).toHaveValue("primary");
  await addKey(page, project, "deepseek", secret(project, 6), production, "primary");
  await expect(page.getByRole("status")).toHaveText(`Saved '${production}' (${hint(6)}), verified with DeepSeek, primary.`);

  await open(page, "/hub/add?provider=deepseek", project);
  const role = page.getByLabel("Role");
  await expect(role).toHaveValue("fallback");
  await expect(role.locator("option[value=primary]")).toHaveText(`Primary: used first, replacing '${production}' (${hint(6)})`);
  if (project === "hydrated") {
    await role.selectOption("primary");
    await expect(page.locator("#field-role-note")).toHaveText(
      `This replaces '${production}' (${hint(6)}) as primary; it becomes fallback 1.`,
    );
    await role.selectOption("fallback");
    await expect(page.locator("#field-role-note")).toHaveText("");
  }
  // Keeping the default keeps the primary.
  await page.getByLabel("API key").fill(secret(project, 7));
  await page.getByLabel("Nickname").fill(backup);
  await page.getByRole("button", { name: "Save key" }).click();
  await expect(page).toHaveURL(/\/hub\/deepseek/);
  await expect(page.getByRole("status")).toHaveText(`Saved '${backup}' (${hint(7)}), verified with DeepSeek, fallback 1.`);
  await expect(page.getByRole("article", { name: production })).toContainText("Primary");

  await deleteKey(page, production, hint(6));
  await deleteKey(page, backup, hint(7));
});

/** Presses Tab until `target` has the focus: the only way this test moves around a page. */
async function tabTo(page: Page, target: Locator) {
  for (let presses = 0; presses < 150; presses++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

test("with the keyboard alone an admin adds a key, makes it primary, disables and deletes it", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const first = `First ${project}`;
  const second = `Second ${project}`;

  async function addWithKeyboard(name: string, n: number) {
    await open(page, "/hub/deepseek", project);
    await tabTo(page, page.getByRole("link", { name: "Add a key" }));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { name: "DeepSeek key", exact: true })).toBeVisible();
    if (project === "hydrated") {
      await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
    }
    await tabTo(page, page.getByLabel("API key"));
    await page.keyboard.type(secret(project, n));
    await tabTo(page, page.getByLabel("Nickname"));
    await page.keyboard.type(name);
    await tabTo(page, page.getByRole("button", { name: "Save key" }));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("status")).toContainText(`Saved '${name}' (${hint(n)})`);
  }

  await addWithKeyboard(first, 8);
  await expect(page.getByRole("status")).toContainText("primary");
  await addWithKeyboard(second, 9);
  await expect(page.getByRole("status")).toContainText("fallback 1");

  const card = () => page.getByRole("article", { name: second });
  // The role menu: type-ahead picks "Primary", Tab goes on to its button.
  await tabTo(page, card().getByLabel(`Role of ${second} (${hint(9)})`, { exact: true }));
  await page.keyboard.type("Primary");
  await expect(card().getByLabel(`Role of ${second} (${hint(9)})`, { exact: true })).toHaveValue("primary");
  await tabTo(page, card().getByRole("button", { name: `Set the role of ${second} (${hint(9)})` }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toContainText(`'${second}' (${hint(9)}) is now the primary`);
  await expect(card()).toContainText("Primary");

  await tabTo(page, card().getByRole("switch", { name: `Use ${second} (${hint(9)})` }));
  await page.keyboard.press("Space");
  await expect(page.getByRole("status")).toContainText(`Disabled '${second}' (${hint(9)})`);
  await expect(card()).toContainText("Disabled");
  await expect(card().getByRole("switch")).toHaveAttribute("aria-checked", "false");

  for (const [name, n] of [[second, 9], [first, 8]] as const) {
    const row = page.getByRole("article", { name });
    await tabTo(page, row.getByText("Delete…"));
    await page.keyboard.press("Enter");
    await tabTo(page, row.getByRole("button", { name: `Delete ${name} (${hint(n)})` }));
    await page.keyboard.press("Enter");
    await expect(page.getByRole("status")).toContainText(`Deleted '${name}' (${hint(n)})`);
    await expect(page.getByRole("article", { name })).toHaveCount(0);
  }
});
