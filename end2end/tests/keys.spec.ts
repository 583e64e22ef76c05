import { expect, test } from "@playwright/test";
import { OWNER } from "./fixtures/owner";
import { addKey, open } from "./fixtures/keys";
import { signInAs } from "./fixtures/sign-in";

// Runs in both projects with the owner's session. Each project uses keys of its own and deletes
// them at the end, so the other project starts from the same state.

const secretFor = (project: string, n: number) =>
  `sk-proj-${project === "hydrated" ? "Hydr" : "NoJs"}${"x".repeat(20)}${n}${n}${n}${n}`;

test("an admin adds, switches, ranks, rotates and deletes OpenAI keys", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const main = `Main ${project}`;
  const backup = `Backup ${project}`;
  await page.setViewportSize({ width: 1280, height: 900 });

  // A masked paste is refused at the field and nothing is saved.
  await open(page, "/hub/add?provider=openai", project);
  await page.getByLabel("API key").fill("sk-...7xQ2");
  await page.getByRole("button", { name: "Save key" }).click();
  await expect(page.locator("#field-api_key-error")).toContainText("looks like a masked key");
  await page.screenshot({ path: testInfo.outputPath("add-key-laptop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: testInfo.outputPath("add-key-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  await addKey(page, project, "openai", secretFor(project, 1), main, "primary");
  const mainCard = page.getByRole("article", { name: main });
  await expect(mainCard).toContainText("sk-proj...1111");
  await expect(mainCard).toContainText("Primary");
  await expect(page.getByText(secretFor(project, 1))).toHaveCount(0);

  // Off and on again: a disabled key keeps its hint.
  const mainSwitch = mainCard.getByRole("switch", { name: `Use ${main} (sk-proj...1111)` });
  await expect(mainSwitch).toHaveAttribute("aria-checked", "true");
  await mainSwitch.click();
  await expect(page.getByRole("status")).toContainText(`Disabled '${main}' (sk-proj...1111)`);
  await expect(mainCard).toContainText("Disabled");
  await expect(mainCard.getByRole("switch")).toHaveAttribute("aria-checked", "false");
  await expect(mainCard).toContainText("sk-proj...1111");
  await mainCard.getByRole("switch", { name: `Use ${main} (sk-proj...1111)` }).click();
  await expect(mainCard).not.toContainText("Disabled");

  await addKey(page, project, "openai", secretFor(project, 2), backup, "fallback");
  const backupCard = page.getByRole("article", { name: backup });
  await expect(backupCard).toContainText("Fallback 1");

  await backupCard.getByLabel(`Role of ${backup} (sk-proj...2222)`, { exact: true }).selectOption("primary");
  await backupCard.getByRole("button", { name: `Set the role of ${backup} (sk-proj...2222)` }).click();
  await expect(page.getByRole("article", { name: backup })).toContainText("Primary");
  await expect(page.getByRole("article", { name: main })).toContainText("Fallback 1");

  // Rotation keeps the key and its place; the hint follows the new secret.
  const mainAgain = page.getByRole("article", { name: main });
  await mainAgain.getByText("Rotate", { exact: true }).click();
  await mainAgain.getByLabel(`New API key for ${main} (sk-proj...1111)`).fill(secretFor(project, 3));
  await mainAgain.getByRole("button", { name: "Rotate key" }).click();
  await expect(page.getByRole("article", { name: main })).toContainText("sk-proj...3333");
  await expect(page.getByRole("article", { name: main })).toContainText("Fallback 1");
  await page.screenshot({ path: testInfo.outputPath("provider-page-laptop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: testInfo.outputPath("provider-page-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // The hub card shows the primary.
  await open(page, "/hub", project);
  const openai = page.getByRole("article", { name: "OpenAI", exact: true });
  await expect(openai).toContainText("sk-proj...2222");
  await expect(openai).toContainText("2 keys");
  await page.screenshot({ path: testInfo.outputPath("hub-with-keys.png"), fullPage: true });

  // Delete, with the confirmation that says what uses the key.
  await open(page, "/hub/openai", project);
  for (const [name, hint] of [[main, "sk-proj...3333"], [backup, "sk-proj...2222"]]) {
    const card = page.getByRole("article", { name });
    await card.getByText("Delete…").click();
    await expect(card).toContainText("No expert or assistant uses this key.");
    await card.getByRole("button", { name: `Delete ${name} (${hint})` }).click();
    await expect(page.getByRole("article", { name })).toHaveCount(0);
  }

  // The activity log lists it all, by hint.
  await open(page, "/activity?provider=openai", project);
  const log = page.getByRole("table");
  await expect(log).toContainText("key.rotated");
  await expect(log).toContainText("key.deleted");
  await expect(log).not.toContainText(secretFor(project, 1));
});

test("a member sees org keys read-only and adds a personal key", async ({ page, browser, baseURL }, testInfo) => {
  const project = testInfo.project.name;
  const email = `keys-member-${project}@example.com`;
  const orgKey = `Org Anthropic ${project}`;
  const headers = { origin: baseURL! };
  // The owner adds the member and an org key through the same server functions the pages use.
  expect((await page.request.post("/api/members/add", {
    headers, form: { email, password: OWNER.password, role: "member" },
  })).status()).toBe(200);
  expect((await page.request.post("/api/keys/add", {
    headers,
    form: { provider: "anthropic", api_key: `sk-ant-api03-${project}-org-0001`, nickname: orgKey, role: "primary", scope: "org" },
  })).status()).toBe(200);

  const { context: member, page: memberPage } = await signInAs(
    browser, email, OWNER.password, project === "hydrated", { choosePassword: "a passphrase of my very own" },
  );
  const card = memberPage.getByRole("article", { name: "Anthropic", exact: true });
  await expect(card).toContainText("sk-ant-...0001");
  await expect(card.getByRole("switch")).toHaveCount(0);

  await open(memberPage, "/hub/anthropic", project);
  await expect(memberPage.getByRole("article", { name: orgKey })).toBeVisible();
  await expect(memberPage.getByRole("article", { name: orgKey })).toContainText("Primary");
  await expect(memberPage.getByRole("switch")).toHaveCount(0);
  await expect(memberPage.getByRole("button", { name: /Set the role|Delete|Rotate|Validate/ })).toHaveCount(0);

  await open(memberPage, "/hub/add?provider=anthropic", project);
  await expect(memberPage.getByLabel("Whose key")).toHaveValue("personal");
  await memberPage.getByLabel("API key").fill(`sk-ant-api03-${project}-mine-0002`);
  await memberPage.getByLabel("Nickname").fill(`Mine ${project}`);
  await memberPage.getByRole("button", { name: "Save key" }).click();
  await expect(memberPage).toHaveURL(/\/hub\/anthropic/);
  const mine = memberPage.getByRole("article", { name: `Mine ${project}` });
  await expect(mine).toContainText("Personal");
  await expect(mine.getByRole("switch", { name: `Use Mine ${project} (sk-ant-...0002)` })).toBeVisible();
  // Their own key comes first, and the page says it serves them first.
  await expect(memberPage.getByRole("article").first()).toHaveAccessibleName(`Mine ${project}`);
  await expect(memberPage.getByText(`Your personal key 'Mine ${project}' (sk-ant-...0002) is used first`)).toBeVisible();
  await memberPage.screenshot({ path: testInfo.outputPath("member-provider-page.png"), fullPage: true });
  // No section they would only be turned away from.
  const nav = memberPage.getByRole("navigation", { name: "Sections" });
  await expect(nav.getByRole("link", { name: /^Provider Hub/ })).toBeVisible();
  await expect(nav.getByRole("link", { name: /^Activity/ })).toHaveCount(0);
  // Their profile lists it, with its switch.
  await open(memberPage, "/profile", project);
  const listed = memberPage.getByRole("list", { name: "Your personal keys" });
  await expect(listed).toContainText(`Mine ${project}`);
  await expect(listed.getByRole("switch", { name: `Use Mine ${project} (sk-ant-...0002)` })).toHaveAttribute("aria-checked", "true");
  await member.close();

  // The owner never sees the member's personal key, only that one exists.
  await open(page, "/hub/anthropic", project);
  await expect(page.getByRole("article", { name: orgKey })).toBeVisible();
  await expect(page.getByRole("article", { name: `Mine ${project}` })).toHaveCount(0);
  // (The other project's member holds one too.)
  await expect(page.getByText(/^(A member holds a personal Anthropic key|Members hold \d+ personal Anthropic keys)\. Only/)).toBeVisible();
  await expect(page.locator("body")).not.toContainText("sk-ant-...0002");
  await expect(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: /^Activity/ })).toBeVisible();
});
