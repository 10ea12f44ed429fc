// The dashboard in a real browser: Debian's Chromium driven by
// puppeteer-core (which never downloads a browser) against a real
// `jobsd serve` (run_dashboard_flow.sh starts it). Signs in, reads the list,
// filters (good and bad), pages, opens a job by id, creates an export and
// watches it reach 100 %, downloads the file and compares it byte for byte
// with the export of the same filter submitted by the CLI, cancels a long
// export, meets a refused token, signs out. Screenshots of the main pages go
// to SCREENSHOT_DIR (and docs/screenshots with JOBSD_UPDATE_SCREENSHOTS=1).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { launchChromium } from "./launch_chromium.mjs";

const base = process.env.JOBSD_URL;
const jobsd = process.env.JOBSD_BINARY;
const screenshotDirs = [process.env.SCREENSHOT_DIR, process.env.UPDATE_SCREENSHOTS_DIR].filter(Boolean);
// Matches the example orders only (not the seeded ones): a small file.
const compareFilter = process.env.COMPARE_FILTER;
const started = Date.now();
const step = (text) => console.log(`step (${((Date.now() - started) / 1000).toFixed(1)} s): ${text}`);

// The API from node, to set the stage and to check what the page shows.
async function token() {
  const response = await fetch(`${base}/oauth/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
    }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
}
const apiToken = await token();
async function api(method, target, body) {
  const response = await fetch(base + target, {
    method,
    headers: { Authorization: `Bearer ${apiToken}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}
async function waitForJob(id, statuses, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api("GET", `/v2/jobs/${id}`);
    if (statuses.includes(json.data.status)) return json.data;
    assert.ok(Date.now() < deadline, `job ${id} still ${json.data.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
async function download(href) {
  const response = await fetch(href);
  assert.equal(response.status, 200, `GET ${href}`);
  return Buffer.from(await response.arrayBuffer());
}

const browser = await launchChromium();
const failures = [];
try {
  const page = await browser.newPage();
  page.on("pageerror", (error) => failures.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // A CSP violation or a script error is a failure; 4xx answers the page
    // expects (the bad filter, the refused token) are logged by Chromium too.
    const text = message.text();
    if (message.type() === "error" && !/status of 4\d\d/.test(text)) failures.push(`console: ${text}`);
  });
  const shot = async (name) => {
    for (const dir of screenshotDirs) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: path.join(dir, `${name}.png`) });
    }
  };
  const text = (selector) => page.$eval(selector, (element) => element.textContent.trim());
  const waitForText = (selector, wanted) =>
    page.waitForFunction(
      (s, w) => {
        const element = document.querySelector(s);
        return element && element.textContent.includes(w);
      },
      { timeout: 20000 },
      selector,
      wanted,
    );
  const waitForList = async () => {
    await page.waitForFunction(() => ["list", "error"].includes(document.querySelector("main").dataset.loaded), {
      timeout: 20000,
    });
  };
  const goToList = async (hash) => {
    await page.evaluate(() => delete document.querySelector("main").dataset.loaded);
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
    await waitForList();
  };

  step("GET / redirects to the dashboard, served with its CSP");
  const first = await page.goto(`${base}/`, { waitUntil: "networkidle0" });
  assert.equal(new URL(page.url()).pathname, "/ui/");
  assert.match(first.headers()["content-security-policy"], /script-src 'self'/);
  await page.waitForSelector("#sign-in-form");

  step("a wrong secret is refused on the page");
  await page.type("#client-id", process.env.CLIENT_ID);
  await page.type("#client-secret", "wrong-secret");
  await page.click("#sign-in-form button[type=submit]");
  await waitForText("#sign-in-error", "Wrong client id or client secret");
  await page.$eval("#client-secret", (input) => {
    input.value = "";
  });
  await page.$eval("#client-id", (input) => {
    input.value = "";
  });
  await shot("sign-in");

  step("sign in");
  await page.type("#client-id", process.env.CLIENT_ID);
  await page.type("#client-secret", process.env.CLIENT_SECRET);
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector("#jobs-table");
  await waitForList();
  const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem("jobsd.token")));
  assert.ok(stored.access_token, "the token is in sessionStorage");
  assert.equal(await page.evaluate(() => document.cookie), "", "no cookie");
  assert.ok(!page.url().includes(stored.access_token), "no token in the URL");

  step("26 jobs through the API (they fail fast: no order matches), then the list pages by its links");
  const made = [];
  for (let i = 0; i < 26; i += 1) {
    const { status, json } = await api("POST", "/v2/jobs", {
      data: { type: "job", job_type: "order_export", filter: `eq(order_number,none-${i})` },
    });
    assert.equal(status, 202);
    made.push(json.data.id);
  }
  for (const id of made) await waitForJob(id, ["failed"]);
  await goToList("#/jobs?refresh=1");
  assert.equal(await page.$$eval("#jobs-table tbody tr", (rows) => rows.length), 25);
  assert.equal(await text("#jobs-table tbody tr:first-child td.mono"), made[25], "newest first");
  assert.equal(await text("#page-info"), "Page 1 of 2 · 26 jobs");
  await page.waitForFunction(() => document.querySelector("[data-count=failed]").textContent === "26");
  assert.equal(await text("[data-count=all]"), "26");
  assert.equal(await text("[data-count=success]"), "0");
  await page.evaluate(() => delete document.querySelector("main").dataset.loaded);
  await page.click("#next");
  await waitForList();
  assert.equal(await text("#page-info"), "Page 2 of 2 · 26 jobs");
  assert.equal(await text("#jobs-table tbody tr td.mono"), made[0], "the oldest on page 2");
  assert.equal(await page.$eval("#next", (a) => a.getAttribute("aria-disabled")), "true");

  step("a good filter, then a bad one shows meta.reason as the API sent it");
  await goToList("#/jobs");
  await page.type("#filter", "eq(job_type,order_export):ge(created_at,2020-01-01)");
  await page.evaluate(() => delete document.querySelector("main").dataset.loaded);
  await page.click("#filter-form button[type=submit]");
  await waitForList();
  assert.equal(await text("#filter-reason"), "");
  assert.equal(await text("#page-info"), "Page 1 of 2 · 26 jobs");
  const bad = "eq(colour,red)";
  const expected = await api("GET", `/v2/jobs?filter=${encodeURIComponent(bad)}`);
  assert.equal(expected.status, 400);
  await page.$eval("#filter", (input) => {
    input.value = "";
  });
  await page.type("#filter", bad);
  await page.evaluate(() => delete document.querySelector("main").dataset.loaded);
  await page.click("#filter-form button[type=submit]");
  await waitForList();
  assert.equal(await text("#filter-reason .reason"), expected.json.errors[0].meta.reason);
  assert.ok((await text("#filter-reason")).startsWith("Could not parse the supplied filter"));
  assert.equal(await page.$eval("#filter", (input) => input.value), bad, "the box keeps what was typed");

  step("open a job by its id");
  await goToList("#/jobs");
  await page.type("#job-id", made[3]);
  await page.click("#id-form button[type=submit]");
  await waitForText("#job-id-title", made[3]);
  await page.waitForSelector("#job-view[data-status=failed]");
  assert.equal(await text("#job-error"), "No results matched the supplied filter");

  step("new export: the helpers write the filter; create it and watch it reach 100 %");
  await page.evaluate(() => {
    location.hash = "#/new";
  });
  await page.waitForSelector("#new-export-form");
  await page.select("#payment", "paid");
  await page.select("#order-status", "complete");
  assert.equal(await page.$eval("#export-filter", (t) => t.value), "eq(status,complete):eq(payment,paid)");
  await shot("new-export");
  await page.$eval("#export-filter", (t) => {
    t.value = "";
  });
  await page.type("#export-filter", "eq(payment,payed)");
  await page.click("#create-export");
  await waitForText("#export-filter-reason", "Could not parse the supplied filter");
  assert.match(await text("#export-filter-reason .reason"), /payed/);
  await page.$eval("#export-filter", (t) => {
    t.value = "";
  });
  await page.type("#export-filter", compareFilter);
  await page.click("#create-export");
  await page.waitForFunction(() => /^#\/jobs\/[0-9a-f-]{36}$/.test(location.hash), { timeout: 10000 });
  const exportId = (await page.evaluate(() => location.hash)).split("/")[2];
  await page.waitForSelector("#job-view[data-status=success]", { timeout: 30000 });
  assert.equal(await text("#progress-percent"), "100%");
  assert.equal(await text("#job-filter"), compareFilter);
  const href = await page.$eval("#download", (a) => a.href);
  const fromDashboard = await download(href);
  assert.ok(fromDashboard.length > 0);
  await shot("job");

  step("the same filter submitted by the CLI exports the same bytes");
  const cliId = JSON.parse(
    execFileSync(jobsd, ["jobs", "submit", "--type", "order_export", "--filter", compareFilter, "--json"]),
  ).data.id;
  const cliJob = await waitForJob(cliId, ["success", "failed"]);
  assert.equal(cliJob.status, "success", cliJob.error);
  const fromCli = await download(cliJob.link.href);
  assert.ok(fromDashboard.equals(fromCli), `the dashboard's export ${exportId} differs from the CLI's ${cliId}`);
  console.log(`  ${fromDashboard.length} bytes, identical`);

  step("two exports of every order keep both workers busy; the page follows one live");
  const everyOrder = { data: { type: "job", job_type: "order_export" } };
  const blockers = [];
  for (let i = 0; i < 2; i += 1) blockers.push((await api("POST", "/v2/jobs", everyOrder)).json.data.id);

  step("an export created meanwhile waits (pending) and is cancelled from its page");
  await page.evaluate(() => {
    location.hash = "#/new";
  });
  await page.waitForSelector("#new-export-form");
  await page.click("#create-export");
  await page.waitForFunction(() => /^#\/jobs\/[0-9a-f-]{36}$/.test(location.hash), { timeout: 10000 });
  const cancelledId = (await page.evaluate(() => location.hash)).split("/")[2];
  // Clicked inside the page, in one go: the job's page re-renders on every
  // event of its stream, so a handle to the button may be detached by the
  // time a click through the protocol reaches it.
  await page.waitForFunction(() => {
    const button = document.querySelector("#cancel");
    if (!button) return false;
    button.click();
    return true;
  });
  await page.waitForSelector("#job-view[data-status=failed]", { timeout: 10000 });
  assert.equal(await text("#job-error"), "Cancelled by request");
  assert.equal((await waitForJob(cancelledId, ["failed"])).error, "Cancelled by request");
  assert.equal(await page.$("#download"), null);
  assert.equal(await page.$("#cancel"), null, "no cancel button on a finished job");

  step("a running export's page shows its progress live, up to 100 %");
  await page.evaluate((id) => {
    location.hash = `#/jobs/${id}`;
  }, blockers[1]);
  await waitForText("#job-id-title", blockers[1]);
  // Every percent the page showed, sampled as the event stream updates it.
  const seen = new Set();
  let screenshotTaken = false;
  for (const deadline = Date.now() + 40000; ; ) {
    const state = await page.evaluate(() => ({
      status: document.querySelector("#job-view").dataset.status,
      percent: (document.querySelector("#progress-percent") || {}).textContent,
    }));
    if (state.percent) seen.add(state.percent);
    if (!screenshotTaken && state.status === "started" && parseInt(state.percent, 10) >= 20) {
      await shot("job-progress");
      screenshotTaken = true;
    }
    if (state.status === "success") break;
    assert.ok(Date.now() < deadline, `the export did not finish: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  assert.equal(await text("#progress-percent"), "100%");
  console.log(`  percents shown: ${[...seen].join(" ")}`);
  for (const id of blockers) await waitForJob(id, ["success"]);

  step("the list with every status, for the README");
  await goToList("#/jobs");
  await page.waitForFunction(() => document.querySelector("[data-count=success]").textContent === "4");
  await shot("jobs");

  step("a refused token sends the person back to sign in with a message");
  await page.evaluate(() => {
    sessionStorage.setItem("jobsd.token", JSON.stringify({ access_token: "revoked", expires: 4102444800 }));
    location.hash = "#/jobs?again=1";
  });
  await page.waitForSelector("#sign-in-form");
  assert.match(await text("#sign-in-notice"), /refused your access token/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("jobsd.token")), null);

  step("sign in again, then sign out");
  await page.type("#client-id", process.env.CLIENT_ID);
  await page.type("#client-secret", process.env.CLIENT_SECRET);
  await page.click("#sign-in-form button[type=submit]");
  await page.waitForSelector("#jobs-table");
  await page.click("#sign-out");
  await page.waitForSelector("#sign-in-form");
  assert.equal(await text("#sign-in-notice"), "You have signed out.");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("jobsd.token")), null);
  assert.equal(await page.$eval("#topnav", (nav) => nav.hidden), true);
} finally {
  await browser.close();
}
assert.deepEqual(failures, [], "the page logged errors");
step("PASS");
