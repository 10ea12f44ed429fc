// How long the dashboard's requests take on a big store (bench/dashboard.sh
// starts serve on it): the API calls the job list makes (page 1 and the five
// tab counts), then the first page in Chromium, from navigation to the
// rendered table and to the filled tab counts. Prints Markdown; asserts
// nothing about speed.
import { launchChromium } from "./launch_chromium.mjs";

const base = process.env.JOBSD_URL;
const reps = Number(process.env.REPS || 5);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const tokenAnswer = await fetch(`${base}/oauth/access_token`, {
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({
    grant_type: "client_credentials",
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
  }),
});
const token = (await tokenAnswer.json()).access_token;

async function timed(target) {
  const start = performance.now();
  const response = await fetch(base + target, { headers: { Authorization: `Bearer ${token}` } });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`${target}: ${response.status}`);
  return { ms: performance.now() - start, total: body.meta.results.total };
}

const requests = [
  ["page 1 (25 jobs)", "/v2/jobs?page[limit]=25&page[offset]=0"],
  ["count: all", "/v2/jobs?page[limit]=1&page[offset]=0"],
  ...["pending", "started", "success", "failed"].map((s) => [
    `count: ${s}`,
    `/v2/jobs?page[limit]=1&page[offset]=0&filter=${encodeURIComponent(`eq(status,${s})`)}`,
  ]),
  ["last page", null],
];
console.log("| request | total | first ms | median ms | max ms |");
console.log("|---|---|---|---|---|");
const first = await timed(requests[0][1]);
const lastOffset = Math.max(0, Math.floor((first.total - 1) / 25) * 25);
requests[requests.length - 1][1] = `/v2/jobs?page[limit]=25&page[offset]=${lastOffset}`;
for (const [name, target] of requests) {
  const runs = [];
  let total = 0;
  for (let i = 0; i < reps; i += 1) {
    const run = await timed(target);
    runs.push(run.ms);
    total = run.total;
  }
  console.log(`| ${name} | ${total} | ${runs[0].toFixed(1)} | ${median(runs).toFixed(1)} | ${Math.max(...runs).toFixed(1)} |`);
}

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${base}/ui/`, { waitUntil: "networkidle0" });
  await page.evaluate((t) => {
    sessionStorage.setItem("jobsd.token", JSON.stringify({ access_token: t, expires: 4102444800 }));
  }, token);
  const lists = [];
  const counts = [];
  for (let i = 0; i < reps; i += 1) {
    const start = performance.now();
    await page.goto(`${base}/ui/#/jobs?run=${i}`, { waitUntil: "domcontentloaded" });
    await page.waitForFunction(() => document.querySelector("main").dataset.loaded === "list", { polling: 5 });
    lists.push(performance.now() - start);
    await page.waitForFunction(() => document.querySelector("main").dataset.countsMs, { polling: 5 });
    counts.push(performance.now() - start);
  }
  console.log("");
  console.log("| in Chromium, from navigation | first ms | median ms | max ms |");
  console.log("|---|---|---|---|");
  console.log(`| first page rendered | ${lists[0].toFixed(0)} | ${median(lists).toFixed(0)} | ${Math.max(...lists).toFixed(0)} |`);
  console.log(`| tab counts filled | ${counts[0].toFixed(0)} | ${median(counts).toFixed(0)} | ${Math.max(...counts).toFixed(0)} |`);
} finally {
  await browser.close();
}
