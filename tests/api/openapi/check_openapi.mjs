// Checks docs/openapi.json two ways:
//  1. with a real OpenAPI 3.1 validator (@seriousme/openapi-schema-validator);
//  2. against a real `jobsd serve` (JOBSD_URL): the served /openapi.json is the
//     repository's file, and every answer of a walk through the API (token,
//     create, list, get, file, download, errors) has a status the document
//     lists for that operation and, for JSON, a body its schema accepts (ajv,
//     JSON Schema 2020-12, the dialect of OpenAPI 3.1).
// Environment: JOBSD_URL, CLIENT_ID, CLIENT_SECRET, DOCUMENT (the file's path).
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const base = process.env.JOBSD_URL;
const source = readFileSync(process.env.DOCUMENT, "utf8");
const doc = JSON.parse(source);

// 1. The document itself.
const validator = new Validator();
const verdict = await validator.validate(doc);
if (!verdict.valid) {
  console.error(JSON.stringify(verdict.errors, null, 2));
  throw new Error("docs/openapi.json is not a valid OpenAPI 3.1 document");
}
console.log(`valid OpenAPI ${doc.openapi}: ${Object.keys(doc.paths).length} paths`);

// 2. The server's answers against it.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, "openapi.json");

const templates = Object.keys(doc.paths).map((template) => ({
  template,
  regex: new RegExp(
    "^" + template.replace(/[.]/g, "\\.").replace(/\{[a-z_]+\}/g, "[^/]+") + "$",
  ),
}));
function templateOf(path) {
  const match = templates.find((t) => t.regex.test(path));
  assert.ok(match, `no documented path matches ${path}`);
  return match.template;
}
function resolve(object) {
  while (object && object.$ref) {
    object = object.$ref
      .slice(2)
      .split("/")
      .reduce((node, key) => node[key], doc);
  }
  return object;
}

let checked = 0;
async function call(method, target, { token, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, redirect: "manual" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) init.body = body;
  const response = await fetch(base + target, init);
  const text = await response.text();
  const path = new URL(base + target).pathname;
  const template = templateOf(path);
  // A method the path does not serve (a 405 probe), or HEAD on a GET route:
  // its answers are documented with the path's GET, else its first operation.
  const item = doc.paths[template];
  const documentedMethod =
    method.toLowerCase() in item ? method.toLowerCase() : "get" in item ? "get" : Object.keys(item)[0];
  const operation = doc.paths[template][documentedMethod];
  const label = `${method} ${target} -> ${response.status}`;
  const documented = resolve(operation.responses[String(response.status)]);
  assert.ok(documented, `${label}: status not documented for ${documentedMethod} ${template}`);
  const type = (response.headers.get("content-type") || "").split(";")[0].trim();
  if (method !== "HEAD" && type === "application/json" && documented.content) {
    const media = documented.content["application/json"];
    assert.ok(media, `${label}: JSON answered, the document names no JSON body`);
    const pointer = media.schema.$ref
      ? media.schema.$ref
      : null;
    const validate = pointer
      ? ajv.getSchema("openapi.json" + pointer)
      : ajv.compile(media.schema);
    const json = JSON.parse(text);
    if (!validate(json)) {
      throw new Error(`${label}: body does not match the schema: ${ajv.errorsText(validate.errors)}\n${text}`);
    }
  }
  checked += 1;
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

const served = await call("GET", "/openapi.json");
assert.equal(served.text, source, "GET /openapi.json differs from docs/openapi.json");

const form = new URLSearchParams({
  grant_type: "client_credentials",
  client_id: process.env.CLIENT_ID,
  client_secret: process.env.CLIENT_SECRET,
}).toString();
const formHeaders = { "Content-Type": "application/x-www-form-urlencoded" };
const token = (await call("POST", "/oauth/access_token", { body: form, headers: formHeaders })).json()
  .access_token;
await call("POST", "/oauth/access_token", {
  body: form.replace(/client_secret=[^&]*/, "client_secret=wrong"),
  headers: formHeaders,
});
await call("POST", "/oauth/access_token", { body: "grant_type=password", headers: formHeaders });

const json = { "Content-Type": "application/json" };
await call("GET", "/v2/jobs");
await call("GET", "/v2/jobs", { token: "not-a-token" });
await call("GET", "/v2/jobs?page[limit]=0", { token });
await call("GET", "/v2/jobs?filter=eq(colour,red)", { token });
await call("DELETE", "/v2/jobs", { token });
await call("POST", "/v2/jobs", { token, body: "{not json", headers: json });
await call("POST", "/v2/jobs", { token, body: "x".repeat(70 * 1024), headers: json });
await call("POST", "/v2/jobs", {
  token,
  headers: json,
  body: JSON.stringify({ data: { type: "job", job_type: "order_export", filter: "eq(colour,red)" } }),
});

const created = await call("POST", "/v2/jobs", {
  token,
  headers: { ...json, "Idempotency-Key": "openapi-check" },
  body: JSON.stringify({ data: { type: "job", job_type: "order_export" } }),
});
assert.equal(created.status, 202);
const id = created.json().data.id;
await call("POST", "/v2/jobs", {
  token,
  headers: { ...json, "Idempotency-Key": "openapi-check" },
  body: JSON.stringify({ data: { type: "job", job_type: "order_export", filter: "eq(status,paid)" } }),
});
await call("GET", `/v2/jobs/${id}/file`, { token });

let job;
for (let i = 0; i < 200; i++) {
  job = (await call("GET", `/v2/jobs/${id}`, { token })).json().data;
  if (job.status === "success" || job.status === "failed") break;
  await new Promise((r) => setTimeout(r, 100));
}
assert.equal(job.status, "success", `the export ended ${job.status}`);
await call("GET", "/v2/jobs?page[limit]=1", { token });
await call("GET", "/v2/jobs?filter=eq(status,success)", { token });
const file = (await call("GET", `/v2/jobs/${id}/file`, { token })).json().data.href;
const exportPath = new URL(file).pathname;
await call("GET", exportPath);
await call("HEAD", exportPath);
await call("GET", exportPath, { headers: { Range: "bytes=0-9" } });
await call("GET", exportPath, { headers: { Range: "bytes=999999999-" } });
await call("GET", "/exports/unknown.csv");
const unknownJob = "/v2/jobs/00000000-0000-4000-8000-000000000000";
assert.equal((await call("POST", `/v2/jobs/${id}/cancel`, { token })).status, 409);
await call("POST", `${unknownJob}/cancel`, { token });
await call("GET", `/v2/jobs/${id}/cancel`, { token });
// A finished job's stream: one event carrying what GET answers, then the end.
const stream = await call("GET", `/v2/jobs/${id}/events`, { token });
assert.equal(stream.status, 200);
assert.equal(stream.headers.get("content-type"), "text/event-stream");
const got = (await call("GET", `/v2/jobs/${id}`, { token })).text;
assert.equal(stream.text, `event: job\nid: 1\ndata: ${got}\n\n`);
await call("GET", `${unknownJob}/events`, { token });
await call("GET", `/v2/jobs/${id}/events`);
await call("GET", "/v2/jobs/00000000-0000-4000-8000-000000000000", { token });
await call("GET", "/v2/jobs/not-an-id/file", { token });
await call("GET", "/healthz");
await call("GET", "/readyz");
await call("GET", "/metrics");
await call("POST", "/metrics");
// The dashboard: the redirect, its files, a 304 and an unknown name.
assert.equal((await call("GET", "/")).status, 302);
const index = await call("GET", "/ui/");
assert.equal(index.status, 200);
await call("GET", "/ui/app.js");
await call("HEAD", "/ui/style.css");
await call("GET", "/ui/app.js", { headers: { "If-None-Match": index.headers.get("etag") } });
await call("GET", "/ui/", { headers: { "If-None-Match": index.headers.get("etag") } });
await call("GET", "/ui/nope.js");
await call("POST", "/ui/app.js");
console.log(`${checked} answers match the document`);
