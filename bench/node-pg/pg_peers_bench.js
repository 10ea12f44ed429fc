'use strict';
// The PostgreSQL reference queues for bench/run.sh: pg-boss and graphile-worker (npm) running the
// same workload as build-bench/bench/jobsd_queue_bench on the same PostgreSQL server, with the same
// command line shape so the harness drives all three alike. Prints one line of key=value figures.
//
//   node pg_peers_bench.js enqueue --queue pgboss|graphile --db URI --jobs N --mode single|batch
//   node pg_peers_bench.js drain --queue pgboss|graphile --db URI --processes K --workers W
//
// Enqueue: one awaited call per job (pg-boss send, graphile-worker addJob), or 1,000 jobs per call
// (pg-boss insert, graphile-worker's SQL add_jobs). Drain: K forked processes, each one "node" of
// the peer with W concurrent no-op handlers: graphile-worker run() with concurrency W; pg-boss W
// work() loops, each fetching up to --batch jobs (default 1000) and polling every 0.5 s (its
// minimum) when a fetch comes back short. The drain time runs from the start signal to the first
// poll (every 20 ms) that finds no job left to run in the store.
const { fork } = require('node:child_process');
const { performance } = require('node:perf_hooks');

const kJobType = 'bench_noop';
const kTimeoutSeconds = Number(process.env.BENCH_NODE_TIMEOUT || 600);

const now = () => performance.timeOrigin + performance.now();

function parseArgs(argv) {
  const out = { command: argv[0], batch: 1000, mode: 'single', workers: 1, processes: 1 };
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) usage(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['jobs', 'batch', 'workers', 'processes']) {
    if (out[k] !== undefined) out[k] = Number(out[k]);
  }
  if (!out.db) usage('--db is required');
  if (out.queue !== 'pgboss' && out.queue !== 'graphile') usage('--queue must be pgboss or graphile');
  return out;
}

function usage(why) {
  console.error(`pg_peers_bench: ${why}`);
  process.exit(2);
}

// About 100 bytes of JSON per job, the size the jobsd benchmark uses too.
function payload(i) {
  return { export_id: `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-bench`,
           shop: 1000 + (i % 97), format: 'csv', seq: i };
}

function version(name) {
  return require(`${name}/package.json`).version;
}

// ---- pg-boss ---------------------------------------------------------------------------------
const pgboss = {
  version: () => version('pg-boss'),
  async open(db) {
    const PgBoss = require('pg-boss');
    const boss = new PgBoss({ connectionString: db });
    boss.on('error', (e) => console.error('pg-boss:', e.message || e));
    await boss.start();
    if (!(await boss.getQueue(kJobType))) await boss.createQueue(kJobType);
    return boss;
  },
  async close(boss) { await boss.stop({ graceful: false, wait: true, close: true }); },
  async addOne(boss, data) { await boss.send(kJobType, data); },
  async addMany(boss, list) { await boss.insert(list.map((data) => ({ name: kJobType, data }))); },
  async left(boss) {
    const { rows } = await boss.getDb().executeSql(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')",
      [kJobType]);
    return rows[0].n;
  },
  async startWorkers(boss, a, onDone) {
    for (let w = 0; w < a.workers; w++) {
      await boss.work(kJobType, { batchSize: a.batch, pollingIntervalSeconds: 0.5 },
                      async (jobs) => { onDone(jobs.length); });
    }
  },
  async stopWorkers(boss) { await boss.stop({ graceful: true, wait: true, close: true }); },
};

// ---- graphile-worker -------------------------------------------------------------------------
const quietLogger = () => {
  const { Logger } = require('graphile-worker');
  return new Logger(() => (level, message) => { if (level === 'error') console.error(message); });
};
const graphile = {
  version: () => version('graphile-worker'),
  async open(db) {
    const { makeWorkerUtils } = require('graphile-worker');
    const utils = await makeWorkerUtils({ connectionString: db, logger: quietLogger() });
    await utils.migrate();
    return { db, utils };
  },
  async close(q) { await q.utils.release(); },
  async addOne(q, data) { await q.utils.addJob(kJobType, data); },
  async addMany(q, list) {
    const specs = JSON.stringify(list.map((data) => ({ identifier: kJobType, payload: data })));
    await q.utils.withPgClient((c) => c.query(
      'SELECT graphile_worker.add_jobs(array(SELECT s FROM ' +
      'json_populate_recordset(null::graphile_worker.job_spec, $1::json) s))', [specs]));
  },
  async left(q) {
    const { rows } = await q.utils.withPgClient((c) => c.query(
      'SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = $1', [kJobType]));
    return rows[0].n;
  },
  async startWorkers(q, a, onDone) {
    const { run } = require('graphile-worker');
    q.runner = await run({
      connectionString: q.db, concurrency: a.workers, noHandleSignals: true,
      logger: quietLogger(), taskList: { [kJobType]: async () => { onDone(1); } },
    });
  },
  async stopWorkers(q) { await q.runner.stop(); await q.utils.release(); },
};

const queues = { pgboss, graphile };

async function enqueue(a) {
  const impl = queues[a.queue];
  const q = await impl.open(a.db);
  const start = now();
  if (a.mode === 'single') {
    for (let i = 0; i < a.jobs; i++) await impl.addOne(q, payload(i));
  } else if (a.mode === 'batch') {
    for (let i = 0; i < a.jobs; i += a.batch) {
      const chunk = [];
      for (let j = i; j < Math.min(a.jobs, i + a.batch); j++) chunk.push(payload(j));
      await impl.addMany(q, chunk);
    }
  } else {
    usage(`unknown mode ${a.mode}`);
  }
  const seconds = (now() - start) / 1000;
  const stored = await impl.left(q);
  await impl.close(q);
  if (stored !== a.jobs) {
    console.error(`pg_peers_bench: ${a.queue} stored ${stored} of ${a.jobs} jobs`);
    process.exit(1);
  }
  console.log(`enqueue_jobs_per_s=${(a.jobs / seconds).toFixed(1)} jobs=${a.jobs} mode=${a.mode} ` +
              `queue=${a.queue} version=${impl.version()}`);
  process.exit(0);
}

async function drain(a) {
  const impl = queues[a.queue];
  const q = await impl.open(a.db);
  const pendingAtStart = await impl.left(q);
  const kids = [];
  for (let p = 0; p < a.processes; p++) {
    const kid = fork(__filename, ['worker', '--queue', a.queue, '--db', a.db,
                                  '--workers', String(a.workers), '--batch', String(a.batch)],
                     { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kid.on('exit', (code) => {
      if (code !== 0) { console.error(`pg_peers_bench: worker exited with ${code}`); process.exit(1); }
    });
    kids.push(kid);
  }
  const message = (kid, type) => new Promise((resolve) => kid.on('message', (m) => {
    if (m.type === type) resolve(m);
  }));
  await Promise.all(kids.map((k) => message(k, 'ready')));
  const start = now();
  kids.forEach((k) => k.send({ type: 'go' }));
  let end;
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    if ((await impl.left(q)) === 0) { end = now(); break; }
  }
  const reports = kids.map((k) => message(k, 'stopped'));
  kids.forEach((k) => k.send({ type: 'stop' }));
  const done = await Promise.all(reports);
  const handled = done.reduce((sum, r) => sum + r.count, 0);
  await impl.close(q);
  if (handled < pendingAtStart) {
    console.error(`pg_peers_bench: ${a.queue} handled ${handled} of ${pendingAtStart}`);
    process.exit(1);
  }
  const seconds = (end - start) / 1000;
  console.log(`drain_jobs_per_s=${(pendingAtStart / seconds).toFixed(1)} jobs=${pendingAtStart} ` +
              `handled=${handled} processes=${a.processes} workers=${a.workers} queue=${a.queue}`);
  process.exit(0);
}

async function worker(a) {
  const impl = queues[a.queue];
  const q = await impl.open(a.db);
  let count = 0;
  process.on('message', async (m) => {
    try {
      if (m.type === 'go') await impl.startWorkers(q, a, (n) => { count += n; });
      if (m.type === 'stop') {
        await impl.stopWorkers(q);
        process.send({ type: 'stopped', count }, () => process.exit(0));
      }
    } catch (e) {
      console.error(e && e.stack || e);
      process.exit(1);
    }
  });
  process.send({ type: 'ready' });
}

async function main() {
  // Every run ends by itself, even if a worker hangs.
  setTimeout(() => { console.error('pg_peers_bench: timed out'); process.exit(3); },
             kTimeoutSeconds * 1000).unref();
  const a = parseArgs(process.argv.slice(2));
  if (a.command === 'enqueue') return enqueue(a);
  if (a.command === 'drain') return drain(a);
  if (a.command === 'worker') return worker(a);
  usage(`unknown command ${a.command}`);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
