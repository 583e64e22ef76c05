import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { open } from "./fixtures/keys";

// Runs in both projects with the owner's session: the download is a plain form.
test("an owner downloads the organization as an encrypted export from Settings", async ({ page }, testInfo) => {
  const project = testInfo.project.name;
  await open(page, "/settings", project);
  const section = page.getByRole("region", { name: "Export" });
  await expect(section).toContainText("Members' personal keys stay out");
  await section.getByLabel("Passphrase").fill("a long and careful passphrase");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    section.getByRole("button", { name: "Download export" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^acme-\d{4}-\d{2}-\d{2}\.keyhub$/);
  const file = readFileSync(await download.path());
  const header = file.toString("latin1").split("\n").slice(0, 2);
  expect(header[0]).toBe("KEYHUB-EXPORT 1");
  expect(JSON.parse(header[1]).orgs[0].slug).toBe("acme");
  expect(file.toString("latin1")).not.toContain("sk-proj-");
});
