import { expect, test } from "@playwright/test";
import { addKey } from "./fixtures/keys";
import { OWNER } from "./fixtures/owner";

// A browser with JavaScript is the attacker's tool here: a signed-in admin opens a link to the
// gateway whose upstream answers with a page that tries to run script as KeyHub, call a server
// function, replace the session cookie and navigate. None of it may happen.

test("a hostile upstream page served through the gateway cannot act as KeyHub", async ({ page, baseURL }, testInfo) => {
  // Groq: a provider no other spec adds keys for; the fake provider turns `hostile` keys hostile.
  await addKey(page, testInfo.project.name, "groq", "gsk_hostileUpstreamPage0000000000001", "Hostile upstream", "primary");
  const created = await page.request.post("/api/tokens/create", {
    headers: { origin: baseURL! },
    form: { name: "hostile link", gateway: "on", expires: "30" },
  });
  expect(created.status()).toBe(200);
  const token: string = (await created.json()).token;
  const sessionBefore = (await page.context().cookies()).find((c) => c.name.endsWith("keyhub_session"));
  expect(sessionBefore).toBeDefined();

  const keyhubCalls: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/api/")) keyhubCalls.push(request.url());
  });
  const link = `/gateway/${OWNER.orgSlug}/groq/hostile-page?key=${token}`;
  const response = await page.goto(link);
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toBe("sandbox; default-src 'none'");
  await page.waitForTimeout(1000);

  expect(new URL(page.url()).pathname).toBe(`/gateway/${OWNER.orgSlug}/groq/hostile-page`);
  expect(await page.title()).toBe("upstream");
  await expect(page.locator("body")).not.toHaveAttribute("data-stolen", /.*/);
  await expect(page.locator("#echo")).not.toContainText("gsk_hostile");
  expect(keyhubCalls).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath("hostile-upstream.png") });

  const sessionAfter = (await page.context().cookies()).find((c) => c.name.endsWith("keyhub_session"));
  expect(sessionAfter?.value).toBe(sessionBefore?.value);
  await page.goto("/hub");
  await expect(page).toHaveURL(/\/hub$/);
});
