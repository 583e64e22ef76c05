import { expect, test, type Page } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";

// Runs in both projects with the owner's session. Each project uses keys, experts and assistants of
// its own and deletes them at the end, so the other project starts from the same state.

const tag = (project: string) => (project === "hydrated" ? "H" : "N");

async function deleteKey(page: Page, project: string, provider: string, nickname: string) {
  await open(page, `/hub/${provider}`, project);
  const card = page.getByRole("article", { name: nickname });
  await card.getByText("Delete…").click();
  await card.getByRole("button", { name: /^Delete / }).click();
  await expect(page.getByRole("article", { name: nickname })).toHaveCount(0);
}

const slot = (page: Page, name: string) => page.getByRole("group", { name });
const panel = (page: Page) => page.getByRole("region", { name: "Which key will be used?" });

test("experts and assistants choose keys, and the resolution follows the hub", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const t = tag(project);
  const chat = `Chat ${t}`;
  const voiceMain = `Voice main ${t}`;
  const studio = `Voice studio ${t}`;
  const images = `Images ${t}`;
  const expertName = `Support ${t}`;
  const assistantName = `Helper ${t}`;
  await page.setViewportSize({ width: 1280, height: 900 });

  const add = async (provider: string, secret: string, nickname: string, role: string) => {
    await addKey(page, project, provider, secret, nickname, role);
    await expect(page.getByRole("article", { name: nickname })).toBeVisible();
  };
  await add("openai", `sk-proj-${t}chat${"x".repeat(20)}4444`, chat, "primary");
  await add("elevenlabs", `sk_${t}voicemain${"x".repeat(20)}5555`, voiceMain, "primary");
  await add("elevenlabs", `sk_${t}voicestudio${"x".repeat(20)}6666`, studio, "none");
  await add("stability", `sk-${t}images${"x".repeat(30)}7777`, images, "primary");

  // A new expert: OpenAI with "Use main key", ElevenLabs voice output, Stability images.
  await open(page, "/experts", project);
  await page.getByRole("link", { name: "New expert" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New expert" })).toBeVisible();
  if (project === "hydrated") {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
  await page.getByLabel("Name").fill(expertName);
  await page.getByLabel("Description").fill("Answers customers, speaks and draws.");
  const model = slot(page, "Model");
  await expect(model.getByLabel("Provider")).toHaveValue("openai");
  // Before anything is chosen, the panel already says which key the model would use.
  await expect(panel(page)).toContainText(`'${chat}' (sk-proj...4444)`);
  await model.getByLabel("Model id").fill("gpt-4o");
  await expect(model.getByLabel("Key")).toHaveValue("");
  const voice = slot(page, "Voice output (text to speech)");
  await voice.getByLabel("Provider").selectOption("elevenlabs");
  await voice.getByLabel("Voice (optional)").fill("Rachel");
  await slot(page, "Image generation").getByLabel("Provider").selectOption("stability");
  if (project === "hydrated") {
    // The picker follows the provider at once; keys of other providers never appear.
    await expect(voice.getByLabel("Key").locator("option")).toHaveText([
      "Use main key",
      `${voiceMain} · sk_...5555 · Valid · primary`,
      `${studio} · sk_...6666 · Valid`,
    ]);
    await voice.getByLabel("Key").selectOption({ label: `${studio} · sk_...6666 · Valid` });
    // The pickers follow by themselves: no "show keys" round trip is offered.
    await expect(page.getByRole("button", { name: "Show the chosen providers' keys" })).toHaveCount(0);
    // The panel answers before anything is saved.
    await expect(panel(page)).toContainText("As chosen above, not saved yet");
    await expect(panel(page)).toContainText(`'${studio}' (sk_...6666)`);
    await expect(panel(page)).toContainText(`'${chat}' (sk-proj...4444)`);
    await page.getByRole("button", { name: "Create expert" }).click();
  } else {
    // Without JavaScript a button sends the form back to list the chosen providers' keys, keeping
    // what was entered; nothing is saved until "Create expert".
    await page.getByRole("button", { name: "Show the chosen providers' keys" }).click();
    await expect(page.getByRole("status")).toContainText("Nothing is saved yet");
    await expect(page.getByLabel("Name")).toHaveValue(expertName);
    await expect(slot(page, "Voice output (text to speech)").getByLabel("Voice (optional)")).toHaveValue("Rachel");
    await slot(page, "Voice output (text to speech)").getByLabel("Key").selectOption({ label: `${studio} · sk_...6666 · Valid` });
    await page.getByRole("button", { name: "Create expert" }).click();
  }
  await expect(page).toHaveURL(/\/experts\/[^/]+\?saved=1/);
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: expertName })).toBeVisible();
  const expertUrl = page.url().replace("?saved=1", "");

  // The panel resolves every slot now.
  await expect(panel(page)).toContainText(`'${chat}' (sk-proj...4444)`);
  await expect(panel(page)).toContainText("Organization primary");
  await expect(panel(page)).toContainText(`'${studio}' (sk_...6666)`);
  await expect(panel(page)).toContainText("Chosen key");
  await expect(panel(page)).toContainText(`'${images}'`);
  await page.screenshot({ path: testInfo.outputPath("expert-editor-laptop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: testInfo.outputPath("expert-editor-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // The hub names the expert on the key; disabling it moves the resolution on, with a warning.
  await open(page, "/hub/elevenlabs", project);
  const studioCard = page.getByRole("article", { name: studio });
  await expect(studioCard).toContainText(`Used by 1 expert: expert '${expertName}'`);
  await studioCard.getByRole("switch", { name: `Use ${studio} (sk_...6666)` }).click();
  await expect(page.getByRole("article", { name: studio })).toContainText("Disabled");

  await open(page, "/experts", project);
  const card = page.getByRole("article", { name: expertName });
  await expect(card).toContainText("Needs attention");
  await expect(card).toContainText(`the chosen key '${studio}' (sk_...6666) is disabled`);
  await page.screenshot({ path: testInfo.outputPath("experts-list.png"), fullPage: true });
  await card.getByRole("link", { name: expertName }).click();
  await expect(panel(page)).toContainText("Warning: The chosen key is disabled.");
  await expect(panel(page)).toContainText(`'${voiceMain}' (sk_...5555)`);
  // The disabled choice stays visible in its picker instead of vanishing.
  await expect(slot(page, "Voice output (text to speech)").getByLabel("Key")).toHaveValue(/.+/);
  await page.screenshot({ path: testInfo.outputPath("expert-warning.png"), fullPage: true });

  // An assistant on top of the expert, with a key of its own.
  await open(page, "/assistants/new", project);
  await page.getByLabel("Name").fill(assistantName);
  await page.getByLabel("Builds on expert").selectOption({ label: expertName });
  await slot(page, "Model").getByLabel("Key").selectOption({ label: `${chat} · sk-proj...4444 · Valid · primary` });
  await page.getByRole("button", { name: "Create assistant" }).click();
  await expect(page).toHaveURL(/\/assistants\/[^/]+\?saved=1/);
  await expect(panel(page)).toContainText(`'${chat}' (sk-proj...4444)`);
  await expect(panel(page)).toContainText("Chosen key");
  await open(page, "/assistants", project);
  await expect(page.getByRole("article", { name: assistantName })).toContainText(`${chat} · sk-proj...4444`);

  // Clean up: the assistant, the expert, the keys.
  await page.getByRole("article", { name: assistantName }).getByRole("link", { name: assistantName }).click();
  await page.getByText("Delete this assistant…").click();
  await page.getByRole("button", { name: "Delete assistant" }).click();
  await expect(page).toHaveURL(/\/assistants$/);
  await expect(page.getByRole("article", { name: assistantName })).toHaveCount(0);
  await open(page, expertUrl.replace(/^https?:\/\/[^/]+/, ""), project);
  await page.getByText("Delete this expert…").click();
  await page.getByRole("button", { name: "Delete expert" }).click();
  await expect(page).toHaveURL(/\/experts$/);
  for (const [provider, nickname] of [
    ["openai", chat],
    ["elevenlabs", voiceMain],
    ["elevenlabs", studio],
    ["stability", images],
  ]) {
    await deleteKey(page, project, provider, nickname);
  }
});

test("an expert without a usable key says what to do", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  await open(page, "/experts/new", project);
  await page.getByLabel("Name").fill(`Lonely ${tag(project)}`);
  // A provider no other spec adds keys for.
  await slot(page, "Model").getByLabel("Provider").selectOption("together");
  await slot(page, "Model").getByLabel("Model id").fill("meta-llama/Llama-3.3-70B-Instruct-Turbo");
  if (project === "hydrated") {
    await expect(slot(page, "Model")).toContainText("No usable Together AI key to choose");
    // The model's example follows the provider.
    await expect(slot(page, "Model").getByLabel("Model id")).toHaveAttribute("placeholder", "meta-llama/Llama-3.3-70B-Instruct-Turbo");
  }
  await page.getByRole("button", { name: "Create expert" }).click();
  await expect(page).toHaveURL(/\/experts\/[^/]+\?saved=1/);
  await expect(panel(page)).toContainText("No key");
  await expect(panel(page)).toContainText("Add one at /hub/together");
  await expect(panel(page).getByRole("link", { name: "/hub/together" })).toHaveAttribute("href", "/hub/together");
  await expect(slot(page, "Model").getByRole("link", { name: "Add or fix Together AI keys in the Provider Hub" })).toBeVisible();
  // The list flags it with what to do.
  const lonelyUrl = page.url().replace(/^https?:\/\/[^/]+/, "");
  await open(page, "/experts", project);
  const lonely = page.getByRole("article", { name: `Lonely ${tag(project)}` });
  await expect(lonely).toContainText("Needs attention");
  await expect(lonely.getByRole("link", { name: "/hub/together" })).toHaveAttribute("href", "/hub/together");
  await open(page, lonelyUrl, project);

  // Bad input stays on the form, every reason next to its field, what was entered kept.
  await slot(page, "Model").getByLabel("Model id").fill("");
  await page.getByLabel("Name").fill(" ");
  await page.getByLabel("Description").fill("Kept when refused");
  await page.getByRole("button", { name: "Save expert" }).click();
  await expect(page.locator("#field-name-error")).toContainText("Give it a name");
  await expect(page.locator("#field-chat_model-error")).toContainText("Give the model id");
  await expect(page.getByLabel("Description")).toHaveValue("Kept when refused");
  await expect(slot(page, "Model").getByLabel("Provider")).toHaveValue("together");
  await page.getByText("Delete this expert…").click();
  await page.getByRole("button", { name: "Delete expert" }).click();
  await expect(page).toHaveURL(/\/experts$/);
});

test("an assistant that nothing serves is flagged like an expert", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  const name = `Lonely helper ${tag(project)}`;
  await open(page, "/assistants/new", project);
  await page.getByLabel("Name").fill(name);
  await slot(page, "Model").getByLabel("Provider").selectOption("together");
  await page.getByRole("button", { name: "Create assistant" }).click();
  await expect(page).toHaveURL(/\/assistants\/[^/]+\?saved=1/);
  await open(page, "/assistants", project);
  const helper = page.getByRole("article", { name });
  await expect(helper).toContainText("Needs attention");
  await expect(helper).toContainText("Model: No Together AI key");
  await expect(helper.getByRole("link", { name: "/hub/together" })).toHaveAttribute("href", "/hub/together");
  await helper.getByRole("link", { name }).click();
  await page.getByText("Delete this assistant…").click();
  await page.getByRole("button", { name: "Delete assistant" }).click();
  await expect(page).toHaveURL(/\/assistants$/);
});
