import { expect, test, type Response } from "@playwright/test";
import { addKey, open } from "./fixtures/keys";
import { ContainerServer, OwnServer } from "./fixtures/server";

// The "standalone" project only (scripts/test.sh, scripts/release.sh --smoke): a keyhub binary
// built with its site inside, copied alone into an empty folder (KEYHUB_STANDALONE_DIR) or run as
// its container image (KEYHUB_STANDALONE_IMAGE), serves the whole UI hydrated, its bundle
// compressed and cached for good under a versioned path.

const EMAIL = "operator@example.com";
const PASSWORD = "a long and careful passphrase";

test("the binary alone serves the hydrated UI", async ({ browser }, testInfo) => {
  test.slow();
  const folder = process.env.KEYHUB_STANDALONE_DIR;
  const image = process.env.KEYHUB_STANDALONE_IMAGE;
  expect(folder ?? image, "KEYHUB_STANDALONE_DIR or KEYHUB_STANDALONE_IMAGE says what to run").toBeTruthy();
  const server = image ? new ContainerServer(image, 3120) : new OwnServer("data", 3120, folder);
  server.run(["create-admin", "--email", EMAIL, "--org", "alone", "--org-name", "Alone"], `${PASSWORD}\n`);
  await server.start();
  const context = await browser.newContext({ baseURL: server.url, javaScriptEnabled: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  const assets: Response[] = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.startsWith("/pkg/")) assets.push(response);
  });
  try {
    await open(page, "/login", "hydrated");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/hub$/);
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");

    // A hydrated action: the key is added, then switched off in place.
    await addKey(page, "hydrated", "openai", "sk-proj-STANDALONEstandaloneSTAND0001", "Main", "primary");
    await open(page, "/hub/openai", "hydrated");
    const main = page.getByRole("article", { name: "Main" });
    const enabled = main.getByRole("switch");
    await expect(enabled).toHaveAttribute("aria-checked", "true");
    await enabled.click();
    await expect(enabled).toHaveAttribute("aria-checked", "false");
    await page.screenshot({ path: testInfo.outputPath("standalone-provider.png"), fullPage: true });

    // The bundle: under /pkg/<version>/, compressed, kept for good.
    const names = assets.map((response) => new URL(response.url()).pathname);
    for (const file of ["keyhub.wasm", "keyhub.js", "keyhub.css"]) {
      const asset = assets.find((response) => new URL(response.url()).pathname.endsWith(`/${file}`));
      expect(asset, `${file} among ${names.join(", ")}`).toBeTruthy();
      expect(new URL(asset!.url()).pathname).toMatch(new RegExp(`^/pkg/[0-9a-f]{16}/${file.replace(".", "\\.")}$`));
      const headers = await asset!.allHeaders();
      expect(headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(["br", "gzip"]).toContain(headers["content-encoding"]);
    }
    expect(errors, "no errors (CSP, hydration) in the console").toEqual([]);
  } finally {
    await context.close();
    await server.stop();
  }
});
