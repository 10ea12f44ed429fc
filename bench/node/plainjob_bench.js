'use strict';
// The reference queue for bench/run.sh: plainjob (npm, a SQLite job queue for Node) running the
// same workload as build-bench/bench/jobsd_queue_bench, with the same command line shape so the
// harness can drive both alike. Prints one line of key=value figures.
//
//   node plainjob_bench.js enqueue --db PATH --jobs N --mode single|batch [--batch 1000]
//   node plainjob_bench.js drain --db PATH --workers W
//
// Draining uses W forked processes, each with one plainjob worker and a no-op handler: that is
// plainjob's documented way to scale (a worker handles one job at a time). The drain time runs
// from the start signal to the last completion reported by any worker.
// plainjob sets synchronous=NORMAL itself; --sync FULL overrides it afterwards (same level as
// jobsd), --sync default keeps plainjob's own choice.
const { fork } = require('node:child_process');
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');

const kJobType = 'bench_noop';
const kTimeoutSeconds = Number(process.env.BENCH_NODE_TIMEOUT || 600);

// Milliseconds on a clock that is comparable across processes.
const now = () => performance.timeOrigin + performance.now();

function parseArgs(argv) {
  const out = { command: argv[0], batch: 1000, mode: 'single', workers: 1, sync: 'default' };
  for (let i = 1; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) usage(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['jobs', 'batch', 'workers']) if (out[k] !== undefined) out[k] = Number(out[k]);
  if (!out.db) usage('--db is required');
  return out;
}

function usage(why) {
  console.error(`plainjob_bench: ${why}`);
  process.exit(2);
}

// About 100 bytes of JSON per job, the size the jobsd benchmark uses too.
function payload(i) {
  return { export_id: `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-bench`,
           shop: 1000 + (i % 97), format: 'csv', seq: i };
}

const quiet = { error: console.error, warn: console.error, info() {}, debug() {} };

async function openQueue(db, sync) {
  const Database = require('better-sqlite3');
  const { better, defineQueue } = await import('plainjob');
  const raw = new Database(db);
  const queue = defineQueue({ connection: better(raw), logger: quiet });
  if (sync !== 'default') raw.pragma(`synchronous = ${sync}`);
  return { raw, queue };
}

async function enqueue(a) {
  const { raw, queue } = await openQueue(a.db, a.sync);
  const start = now();
  if (a.mode === 'single') {
    for (let i = 0; i < a.jobs; i++) queue.add(kJobType, payload(i));
  } else if (a.mode === 'batch') {
    for (let i = 0; i < a.jobs; i += a.batch) {
      const chunk = [];
      for (let j = i; j < Math.min(a.jobs, i + a.batch); j++) chunk.push(payload(j));
      queue.addMany(kJobType, chunk);
    }
  } else {
    usage(`unknown mode ${a.mode}`);
  }
  const seconds = (now() - start) / 1000;
  const sync = raw.pragma('synchronous', { simple: true });
  queue.close();
  raw.close();
  console.log(`enqueue_jobs_per_s=${(a.jobs / seconds).toFixed(1)} jobs=${a.jobs} mode=${a.mode} ` +
              `synchronous=${sync}`);
}

async function drain(a) {
  const { JobStatus } = await import('plainjob');
  const { raw, queue } = await openQueue(a.db, a.sync);
  const pendingAtStart = queue.countJobs({ status: JobStatus.Pending });
  const kids = [];
  for (let w = 0; w < a.workers; w++) {
    const kid = fork(__filename, ['worker', '--db', a.db, '--sync', a.sync],
                     { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kid.on('exit', (code) => {
      if (code !== 0) { console.error(`plainjob_bench: worker exited with ${code}`); process.exit(1); }
    });
    kids.push(kid);
  }
  const message = (kid, type) => new Promise((resolve) => kid.on('message', (m) => {
    if (m.type === type) resolve(m);
  }));
  await Promise.all(kids.map((k) => message(k, 'ready')));
  const start = now();
  kids.forEach((k) => k.send({ type: 'go' }));
  // Poll the counts every 20 ms; the end time comes from the workers' own stamps, not the poll.
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const left = queue.countJobs({ status: JobStatus.Pending }) +
                 queue.countJobs({ status: JobStatus.Processing });
    if (left === 0) break;
  }
  const reports = kids.map((k) => message(k, 'stopped'));
  kids.forEach((k) => k.send({ type: 'stop' }));
  const done = await Promise.all(reports);
  const handled = done.reduce((sum, r) => sum + r.count, 0);
  const seconds = (Math.max(...done.map((r) => r.lastDone)) - start) / 1000;
  const completed = queue.countJobs({ status: JobStatus.Done });
  queue.close();
  raw.close();
  if (handled !== pendingAtStart || completed < pendingAtStart) {
    console.error(`plainjob_bench: drained ${handled} of ${pendingAtStart} (completed ${completed})`);
    process.exit(1);
  }
  console.log(`drain_jobs_per_s=${(handled / seconds).toFixed(1)} jobs=${handled} ` +
              `workers=${a.workers}`);
  process.exit(0);
}

async function worker(a) {
  const { defineWorker } = await import('plainjob');
  const { raw, queue } = await openQueue(a.db, a.sync);
  let count = 0;
  let lastDone = 0;
  const w = defineWorker(kJobType, async () => {}, {
    queue, logger: quiet, pollIntervall: 1000,
    onCompleted: () => { count++; lastDone = now(); },
  });
  process.on('message', async (m) => {
    if (m.type === 'go') w.start().catch((e) => { console.error(e); process.exit(1); });
    if (m.type === 'stop') {
      await w.stop();
      queue.close();
      raw.close();
      process.send({ type: 'stopped', count, lastDone }, () => process.exit(0));
    }
  });
  process.send({ type: 'ready' });
}

async function main() {
  // Every run ends by itself, even if a worker hangs.
  setTimeout(() => { console.error('plainjob_bench: timed out'); process.exit(3); },
             kTimeoutSeconds * 1000).unref();
  const a = parseArgs(process.argv.slice(2));
  if (a.command === 'enqueue') return enqueue(a);
  if (a.command === 'drain') return drain(a);
  if (a.command === 'worker') return worker(a);
  usage(`unknown command ${a.command}`);
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
