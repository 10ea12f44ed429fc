// The official Commerce JavaScript SDK (@elasticpath/js-sdk), unchanged, against a real jobsd:
// client_credentials, Jobs.Create, Jobs.Get until done, Jobs.GetFile, the CSV download, Jobs.All.
//
// Environment: JOBSD_URL (http://127.0.0.1:PORT), CLIENT_ID, CLIENT_SECRET; optional FILTER and
// EXPECTED_ROWS (the number of orders FILTER matches). Exits 0 only when every check passed.
import { gateway, MemoryStorageFactory } from '@elasticpath/js-sdk';

const kPollTimeoutMs = 60_000;
const kPollIntervalMs = 100;

function Fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

function Check(condition, message) {
  if (!condition) Fail(message);
  console.log(`  ok: ${message}`);
}

function Required(name) {
  const value = process.env[name];
  if (!value) Fail(`environment variable ${name} is not set`);
  return value;
}

// The SDK rejects with the parsed error body (or an Error): show whichever it is.
function Describe(error) {
  if (error instanceof Error) return error.stack ?? error.message;
  return JSON.stringify(error);
}

async function Step(name, action) {
  console.log(`step: ${name}`);
  try {
    return await action();
  } catch (error) {
    Fail(`${name}: ${Describe(error)}`);
  }
}

// Data records of an RFC 4180 file (CRLF after each, quoted fields may hold CR and LF).
function CountRecords(csv) {
  let records = 0;
  let quoted = false;
  for (let i = 0; i < csv.length; ++i) {
    if (csv[i] === '"') quoted = !quoted;
    else if (!quoted && csv[i] === '\r' && csv[i + 1] === '\n') ++records;
  }
  return records - 1;  // the header
}

const url = new URL(Required('JOBSD_URL'));
const filter = process.env.FILTER ?? 'gt(created_at,2024-01-01)';

// The SDK builds `${protocol}://${host}/v2/...` and `${protocol}://${host}/oauth/access_token`;
// MemoryStorageFactory keeps the token in memory instead of a ./localStorage directory.
const client = gateway({
  client_id: Required('CLIENT_ID'),
  client_secret: Required('CLIENT_SECRET'),
  host: url.host,
  protocol: url.protocol.replace(/:$/, ''),
  storage: new MemoryStorageFactory(),
  fetchMaxAttempts: 1,  // a failure shows at once instead of after retries
});

const auth = await Step('Authenticate (client_credentials)', () => client.Authenticate());
Check(typeof auth.access_token === 'string' && auth.access_token.length > 0, 'access_token');
Check(auth.token_type === 'Bearer', 'token_type is Bearer');
Check(Number.isInteger(auth.expires) && auth.expires > Date.now() / 1000,
      'expires is a future epoch second (the SDK re-authenticates once it has passed)');

const created = await Step(`Jobs.Create order_export with filter ${filter}`,
                           () => client.Jobs.Create({ type: 'job', job_type: 'order_export', filter }));
const id = created?.data?.id;
Check(typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id), `job id ${id}`);
Check(created.data.type === 'job' && created.data.job_type === 'order_export', 'type and job_type');
Check(created.data.status === 'pending', 'created as pending');

let job = created.data;
await Step('Jobs.Get until the job is done', async () => {
  const deadline = Date.now() + kPollTimeoutMs;
  while (job.status === 'pending' || job.status === 'started') {
    if (Date.now() > deadline) throw new Error(`still ${job.status} after ${kPollTimeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, kPollIntervalMs));
    job = (await client.Jobs.Get(id)).data;
  }
});
Check(job.status === 'success', `status success (got ${job.status}${job.error ? `: ${job.error}` : ''})`);
Check(job.id === id, 'Jobs.Get answers the same job');

const file = await Step('Jobs.GetFile', () => client.Jobs.GetFile(id));
const href = file?.data?.href;
Check(typeof href === 'string' && href.length > 0, `href ${href}`);
Check(href === job.link.href, 'href equals link.href of the job');

const csv = await Step('download the href', async () => {
  const response = await fetch(href);
  if (!response.ok) throw new Error(`GET ${href} answered ${response.status}`);
  return response.text();
});
Check(csv.startsWith('id,order_number,'), 'header starts with id,order_number,');
const rows = CountRecords(csv);
const expected = job.meta?.row_count;
if (expected !== undefined) Check(rows === expected, `${rows} rows, as meta.row_count says`);
else Check(rows > 0, `${rows} rows`);
if (process.env.EXPECTED_ROWS) {
  Check(rows === Number(process.env.EXPECTED_ROWS), `${rows} rows, as the filter should match`);
}

const all = await Step('Jobs.All', () => client.Jobs.All());
Check(Array.isArray(all?.data), 'data is an array');
Check(all.data.some((listed) => listed.id === id && listed.status === 'success'),
      'the job is listed as success');

console.log('PASS: the JavaScript SDK flow works against jobsd');
