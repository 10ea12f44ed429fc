// The one way every dashboard script starts the browser: Debian's chromium
// (or $CHROMIUM) through puppeteer-core, which never downloads one. Used by
// tests/ui/dashboard_flow.mjs and bench/dashboard/measure.mjs (copied beside
// each of them into its scratch directory), so the test and the benchmark
// measure the same browser in the same window size.
import puppeteer from "puppeteer-core";

export function launchChromium() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // No sandbox: CI runs as root. /dev/shm is small in containers.
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
    defaultViewport: { width: 1280, height: 800 },
  });
}
