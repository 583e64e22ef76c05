import AxeBuilder from "@axe-core/playwright";
import { expect, test, type BrowserContext } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";
import { OWNER, OWNER_STATE } from "./fixtures/owner";
import { signInAs } from "./fixtures/sign-in";

// Every page, signed out, as the owner and as a member, at a laptop's and a phone's size, has no
// axe-core violation of WCAG 2.1 A or AA: hydrated, and as the server sends it (what a browser
// without JavaScript shows; axe itself needs scripts, so that look blocks the site's JS and WASM
// instead of turning scripts off, and cannot see `<noscript>` blocks).

const SIZES = [
  { name: "laptop", width: 1280, height: 900 },
  { name: "phone", width: 390, height: 844 },
];
const SIGNED_OUT = ["/login"];
const ADMIN_PAGES = [
  "/hub",
  "/hub/openrouter",
  "/hub/add",
  "/hub/add?provider=openrouter",
  "/experts",
  "/experts/new",
  "/assistants",
  "/activity",
  "/settings",
  "/profile",
];
const MEMBER_PAGES = ["/hub", "/hub/openrouter", "/experts", "/settings", "/profile"];
const LOOKS = ["hydrated", "server HTML"] as const;

/** Each violation on `paths`, in both looks and at every size, as "who, look, size, path: rule". */
async function violations(context: BrowserContext, who: string, paths: string[]) {
  const found: string[] = [];
  const page = await context.newPage();
  for (const look of LOOKS) {
    if (look === "server HTML") {
      await context.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
    }
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const path of paths) {
        await open(page, path, look === "hydrated" ? "hydrated" : "no-js");
        const results = await new AxeBuilder({ page })
          .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
          .analyze();
        for (const violation of results.violations) {
          const targets = violation.nodes.map((node) => node.target.join(" ")).join(", ");
          found.push(`${who}, ${look}, ${size.name}, ${path}: ${violation.id} (${violation.impact}) at ${targets}`);
        }
      }
    }
  }
  await context.close();
  return found;
}

test("every page passes axe-core at WCAG 2.1 A and AA, signed out, as owner and as member, hydrated and as served, laptop and phone", async ({ page, browser }) => {
  test.setTimeout(240_000);
  // A key, so the provider page shows a row with every control, and a member to look with (a
  // provider and a member no other test counts).
  await addKey(page, "hydrated", "openrouter", "sk-or-v1-a11y-checked-0001", "Checked", "fallback");
  const member = "a11y-member@example.com";
  await open(page, "/settings", "hydrated");
  const form = page.getByRole("region", { name: "Add a member" });
  await form.getByLabel("Email").fill(member);
  await form.getByLabel("Initial password").fill(OWNER.password);
  await form.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("cell", { name: member, exact: true })).toBeVisible();

  const owner = await browser.newContext({ storageState: OWNER_STATE });
  const { context: asMember } = await signInAs(
    browser, member, OWNER.password, true, { choosePassword: "an accessible passphrase of mine" },
  );
  const stranger = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const found = [
    ...(await violations(owner, "owner", ADMIN_PAGES)),
    ...(await violations(asMember, "member", MEMBER_PAGES)),
    ...(await violations(stranger, "signed out", SIGNED_OUT)),
  ];
  expect(found, found.join("\n")).toEqual([]);
});
