/**
 * `npm run bench:verify -- --copies N`: the verifier station's next-task latency on the embedded default
 * (PGlite, folder store, in-process stages), over loopback HTTP as the station calls it.
 *
 * The committed corpus is ingested N times (each copy with a distinct trailer after its image data, so it is
 * stored and recognised as a new scan) to fill the task pool; then one verifier works through every task as
 * the station does: `POST /api/verification/next`, the field's image, the decision. "Next task" is the first
 * two together: what the station waits for when it has no task loaded ahead (it always has one ahead, so
 * the person sees none of it). Prints p50/p95 of next task and of decisions, and tasks per second.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestBatch } from '../intake/ingest.ts';
import { configFromEnv } from '../platform/config.ts';
import { queueRecognition } from '../platform/queues.ts';
import { issueUser } from '../platform/store/users.ts';
import { corpusFiles } from '../samples/make-corpus.ts';
import { DEMO_EXAM, seedDemo, startService } from '../service/run.ts';
import { quantile } from './stats.ts';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '20' } } });
const copies = Number(values.copies);

const dir = mkdtempSync(join(tmpdir(), 'rcoi-bench-verify-'));
const service = await startService(configFromEnv({ RCOI_DATA_DIR: dir }), {
  pollMs: 3_600_000,
  concurrency: 2,
});
try {
  await seedDemo(service);
  await service.scan();
  const files = corpusFiles();
  for (let c = 1; c < copies; c++) {
    const batch = await ingestBatch(
      service.adapters,
      { batch: `copy-${c}`, station: 'bench', exam: DEMO_EXAM, declared: {} },
      'upload',
      files.map((f) => ({
        name: f.name,
        bytes: new Uint8Array(Buffer.concat([f.bytes, Buffer.from(`\nrcoi-bench-copy-${c}`)])),
      })),
    );
    await queueRecognition(service.queues, batch.newPages);
  }
  console.error(`recognising ${copies} copies of the corpus (${files.length} files each) …`);
  await service.idle();
  const token = await issueUser(service.adapters.db, {
    id: 'bench-verifier',
    name: 'bench',
    role: 'verifier',
  });
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  const headers = { authorization: `Bearer ${token}` };

  const next: number[] = [];
  const decisions: number[] = [];
  const started = performance.now();
  for (;;) {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/verification/next`, { method: 'POST', headers });
    if (res.status === 204) break;
    const task = (await res.json()) as { id: number; value: string };
    const image = await fetch(`${base}/api/verification/tasks/${task.id}/image`, { headers });
    await image.arrayBuffer();
    const t1 = performance.now();
    next.push(t1 - t0);
    // Confirm, or escalate what cannot be confirmed (an unread sheet number): a senior's work, not timed here.
    let decided = await fetch(`${base}/api/verification/tasks/${task.id}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'confirm' }),
    });
    if (decided.status === 422)
      decided = await fetch(`${base}/api/verification/tasks/${task.id}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'escalate' }),
      });
    await decided.arrayBuffer();
    decisions.push(performance.now() - t1);
  }
  const seconds = (performance.now() - started) / 1000;
  const ms = (xs: number[], q: number) => quantile(xs, q).toFixed(1);
  console.log(
    `bench:verify: ${copies} copies of the corpus, embedded default, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}`);
  console.log('');
  console.log('| tasks | next task p50 | next task p95 | decision p50 | decision p95 | tasks/s |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| ${next.length} | ${ms(next, 0.5)} ms | ${ms(next, 0.95)} ms | ${ms(decisions, 0.5)} ms | ${ms(decisions, 0.95)} ms | ${(next.length / seconds).toFixed(1)} |`,
  );
  console.log('');
  console.log('next task = POST /api/verification/next + GET the field image; target p95 <= 150 ms');
} finally {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
