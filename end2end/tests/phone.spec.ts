import { expect, test, type Page } from "@playwright/test";
import { ensureSecondOrg } from "./fixtures/orgs";
import { open } from "./fixtures/keys";

// Every page fits a 360 px wide phone: nothing makes the page scroll sideways. Runs in both
// projects, with a key, a token and an invite of long names so rows and tables are really filled.

const PAGES = [
  "/hub",
  "/hub?category=voice",
  "/hub/add",
  "/hub/add?provider=openai",
  "/hub/add?provider=azure-openai",
  "/hub/openai",
  "/experts",
  "/experts/new",
  "/assistants",
  "/assistants/new",
  "/activity",
  "/settings",
  "/profile",
];

// The owner in a second org, so the header holds the org switcher.
test.beforeAll(ensureSecondOrg);

/** The elements that stick out to the right of the viewport, for the failure message. */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 4).join(".")} → ${Math.round(el.getBoundingClientRect().right)}px`)
      .slice(0, 8);
    return { scrollWidth: document.documentElement.scrollWidth, width, wide };
  });
}

test("every page fits a 360 px phone without scrolling sideways", async ({ page, baseURL }, testInfo) => {
  const project = testInfo.project.name;
  const headers = { origin: baseURL! };
  const nickname = `A rather long nickname for the production key ${project}`;
  expect((await page.request.post("/api/keys/add", {
    headers,
    form: { provider: "openai", api_key: `sk-proj-Phone${project}${"x".repeat(30)}9090`, nickname, role: "none", scope: "org" },
  })).status()).toBe(200);
  expect((await page.request.post("/api/tokens/create", {
    headers,
    form: { name: `a-long-token-name-for-the-nightly-export-job-${project}`, keys_read: "on", expires: "30" },
  })).status()).toBe(200);
  expect((await page.request.post("/api/invites/create", {
    headers,
    form: { invite_email: `someone.with.a.very.long.address.${project}@example-company.com`, invite_role: "member" },
  })).status()).toBe(200);

  await page.setViewportSize({ width: 360, height: 740 });
  const problems: string[] = [];
  for (const path of PAGES) {
    await open(page, path, project);
    const measured = await overflow(page);
    if (measured.scrollWidth > measured.width) {
      problems.push(`${path}: ${measured.scrollWidth}px wide in ${measured.width}px: ${measured.wide.join(", ")}`);
    }
  }
  await page.goto("/hub");
  await page.screenshot({ path: testInfo.outputPath("hub-360.png"), fullPage: true });

  // Signed out too.
  const context = await page.context().browser()!.newContext({
    storageState: { cookies: [], origins: [] },
    javaScriptEnabled: project === "hydrated",
    viewport: { width: 360, height: 740 },
  });
  const stranger = await context.newPage();
  for (const path of ["/login", "/setup", "/invite/khi_not-a-real-invite"]) {
    await stranger.goto(path);
    const measured = await overflow(stranger);
    if (measured.scrollWidth > measured.width) {
      problems.push(`${path}: ${measured.scrollWidth}px wide in ${measured.width}px: ${measured.wide.join(", ")}`);
    }
  }
  await context.close();

  // Screenshots to look at: a provider page, an expert, Settings, at laptop and phone widths.
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    for (const [name, path] of [["provider", "/hub/openai"], ["expert", "/experts/new"], ["settings", "/settings"]]) {
      await open(page, path, project);
      await page.screenshot({ path: testInfo.outputPath(`${name}-${width}.png`), fullPage: true });
    }
  }

  // Tidy up: the key, the token and the invite.
  await page.setViewportSize({ width: 1280, height: 900 });
  await open(page, "/hub/openai", project);
  const card = page.getByRole("article", { name: nickname });
  await card.getByText("Delete…").click();
  await card.getByRole("button", { name: /^Delete / }).click();
  await expect(page.getByRole("article", { name: nickname })).toHaveCount(0);
  await open(page, "/settings", project);
  const revoke = page.getByRole("button", { name: `Revoke token a-long-token-name-for-the-nightly-export-job-${project}` });
  await revoke.click();
  await expect(revoke).toHaveCount(0);
  const withdraw = page.getByRole("button", { name: `Revoke the invite for someone.with.a.very.long.address.${project}@example-company.com` });
  await withdraw.click();
  await expect(withdraw).toHaveCount(0);

  // Judged last, so a failure leaves nothing behind for the tests that follow.
  expect(problems).toEqual([]);
});
