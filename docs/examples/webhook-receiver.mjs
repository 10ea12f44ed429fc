// A receiver of jobsd's completion webhooks (README, "Completion webhooks"),
// with Node alone (node:http, node:crypto): it checks the Standard Webhooks
// signature with the endpoint's secret and answers 204 to a valid delivery,
// 401 to anything else.
//
//   WEBHOOK_SECRET=whsec_... PORT=9000 node docs/examples/webhook-receiver.mjs
//   jobsd webhooks add http://127.0.0.1:9000/hooks/jobsd
//
// Deliveries are sent at least once: the same webhook-id may come again
// (after a lost answer, a restart); act on each id once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.WEBHOOK_SECRET ?? '';
if (!secret.startsWith('whsec_')) {
  console.error('set WEBHOOK_SECRET to the secret `jobsd webhooks add` printed (whsec_...)');
  process.exit(2);
}
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const toleranceSeconds = 5 * 60;  // refuse replays of old deliveries
const maxBodyBytes = 1024 * 1024;

// True when one of the space-separated "v1,<base64>" signatures is the
// HMAC-SHA256 of "<id>.<timestamp>.<body>" under the key.
function verify(id, timestamp, signatures, body) {
  if (!id || !/^\d+$/.test(timestamp ?? '') || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const server = createServer((request, response) => {
  const chunks = [];
  let size = 0;
  request.on('data', (chunk) => {
    size += chunk.length;
    if (size > maxBodyBytes) request.destroy();
    else chunks.push(chunk);
  });
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const id = request.headers['webhook-id'];
    if (request.method !== 'POST' ||
        !verify(id, request.headers['webhook-timestamp'], request.headers['webhook-signature'],
                body)) {
      console.log(`refused ${id ?? '(no webhook-id)'}`);
      response.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body.toString('utf8'));
    // event.type: job.succeeded or job.failed; event.data: the job, as
    // GET /v2/jobs/{id} shows it (event.data.link.href: its file).
    console.log(`accepted ${id} ${event.type} ${event.data.id} ${event.data.status}`);
    response.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
});
