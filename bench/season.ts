/**
 * `npm run bench:season -- --participants N`: one simulated region's season end to end on the real services
 * (PostgreSQL, Redis, the S3 server, started privately as the tests do), through the service as people use
 * it: `rcoi serve` (API and inbox) and `rcoi worker` processes, every person a script speaking the HTTP API.
 *
 * The world (bench/season-world.ts): N participants of the EGE in mathematics (profile) in region 38, in
 * rooms of 15 at exam points of 300; each a kit of four sheets (registration form, answer sheet 1, answer
 * sheets 2 one and two), scanned at 200 dpi (bench/season-sheets.ts) and sealed per room as a PPE package.
 * The season: the regional system's export imported, the packages dropped into the inbox, recognised,
 * verifiers settling every doubt by the simulation's truth, works assembled and routed, variants entered,
 * experts checking (screening blank works, first and second checks, third checks where the second expert was
 * two points off), appeals re-checked and decided, results computed, exported and printed. Printed: each
 * stage's throughput, the season's wall time, CPU by process, and every participant's result against the one
 * the simulation expects ("results: N participants, M mismatches").
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckView } from '../contract/checking.ts';
import type { ControlSampleRow } from '../contract/verification.ts';
import { loadSubjectRules, type Scores } from '../domain/checking.ts';
import { generatePpeKeys, generateRcoiKeys, pemOf, sealPackage } from '../domain/ppe-package.ts';
import { loadSubjectScoring } from '../domain/scoring.ts';
import { loadSubjectAnswers } from '../forms/answer-types.ts';
import { pageId } from '../intake/ingest.ts';
import { SHEET_NUMBER_TASK } from '../pipeline/result.ts';
import { configFromEnv, openAdapters } from '../platform/config.ts';
import { createThreadPool } from '../workers/pool.ts';
import { cpuSnapshot, cpuSpent } from './cpu.ts';
import { callApi } from './http.ts';
import { DPI, type PoolPage, poolPage, type SheetTask } from './season-sheets.ts';
import {
  EXAM,
  expectedResult,
  makeWorld,
  type Participant,
  ROLES,
  ROOM_SIZE,
  risFiles,
  SHEET_FORMS,
} from './season-world.ts';
import { startServices, stopServices } from './services.ts';

const { values } = parseArgs({
  options: {
    participants: { type: 'string', default: '300' },
    seed: { type: 'string', default: '2026' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '2' },
    verifiers: { type: 'string', default: '8' },
    experts: { type: 'string', default: '12' },
    quality: { type: 'string', default: '70' },
    /**
     * Keep the scans (packages, keys, their index) in this folder and reuse them when it holds this world's:
     * making 20,000 participants' scans takes longer than a tenth of the season.
     */
    scans: { type: 'string' },
  },
});
const N = Number(values.participants);
/** The first failure of a person's loop running beside the main flow: every wait gives it up there. */
let failure: unknown;
const sleep = async (ms: number) => {
  await new Promise((r) => setTimeout(r, ms));
  if (failure !== undefined) throw failure;
};
const beside = <T>(loop: Promise<T>): Promise<T> => {
  loop.catch((err: unknown) => {
    failure ??= err;
  });
  return loop;
};
const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// The year's data the season runs by: the same files the service loads.
const scoring = loadSubjectScoring(2026).find((s) => s.exam === 'EGE' && s.subjectCode === '02')!;
const rules = loadSubjectRules(2026).find((r) => r.exam === 'EGE' && r.subjectCode === '02')!;
const types = loadSubjectAnswers(2026).find((a) => a.exam === 'EGE' && a.subjectCode === '02');
const world = makeWorld(N, values.seed, scoring, rules);
const dir = mkdtempSync(join(tmpdir(), 'rcoi-season-'));
// The services' database runs as the postgres user, who must pass through this directory.
chmodSync(dir, 0o711);
const scansDir = values.scans ?? join(dir, 'scans');
const staging = join(scansDir, 'packages');
const keysDir = join(scansDir, 'keys');
const dataDir = join(dir, 'data');
mkdirSync(join(dataDir, 'inbox'), { recursive: true });

// 1. The scans, before the season's clock: pools, then every sheet stamped and sealed per room.
log(`drawing ${world.pools.length} pool pages …`);
const genStart = performance.now();
const pools: PoolPage[] = [];
for (const spec of world.pools)
  pools.push(
    await poolPage(SHEET_FORMS[spec.role], spec.seed, {
      ...(spec.values && { values: spec.values }),
      ...(spec.blank && { blank: true }),
      links: { additional_sheet: '' },
    }),
  );
/** What kept scans must have been made from: every sheet's number and pool page, what each pool page holds. */
const fingerprint = createHash('sha256')
  .update(
    JSON.stringify([
      world.participants.map((p) => p.sheets),
      pools.map((p) => p.fields),
      values.quality,
      DPI,
    ]),
  )
  .digest('hex');
interface ScansIndex {
  fingerprint: string;
  sheetBytes: number;
  pages: [string, { pool: number; sheetNumber: string }][];
}
const indexFile = join(scansDir, 'index.json');
const kept = existsSync(indexFile) ? (JSON.parse(readFileSync(indexFile, 'utf8')) as ScansIndex) : null;

/** Each page's truth by page id: its pool page and sheet number. */
const pages = new Map<string, { pool: number; sheetNumber: string }>();
const rooms = new Map<string, Participant[]>();
for (const p of world.participants) {
  const key = `${p.ppe}-${p.room}`;
  rooms.set(key, [...(rooms.get(key) ?? []), p]);
}
let sheetBytes = 0;
const reused = kept?.fingerprint === fingerprint;
if (reused) {
  for (const [id, page] of kept.pages) pages.set(id, page);
  sheetBytes = kept.sheetBytes;
  log(`reusing the ${pages.size} sheets kept in ${scansDir}`);
} else {
  // Only a folder this bench made (its marker) or an empty one is cleared for new scans.
  const marker = join(scansDir, '.bench-season');
  if (existsSync(scansDir) && readdirSync(scansDir).length > 0 && !existsSync(marker))
    throw new Error(`--scans ${scansDir}: not empty, and no bench:season scans`);
  rmSync(scansDir, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(marker, '');
  mkdirSync(join(keysDir, 'ppe'), { recursive: true });
  await makeScans();
  writeFileSync(
    indexFile,
    JSON.stringify({ fingerprint, sheetBytes, pages: [...pages] } satisfies ScansIndex),
  );
}
const genSeconds = (performance.now() - genStart) / 1000;
log(`${pages.size} sheets in ${rooms.size} packages, ${genSeconds.toFixed(0)} s`);

async function makeScans(): Promise<void> {
  const rcoiKeys = generateRcoiKeys();
  writeFileSync(join(keysDir, 'rcoi.key.pem'), pemOf(rcoiKeys.privateKey), { mode: 0o600 });
  const ppeKeys = new Map(world.ppes.map((c) => [c, generatePpeKeys()]));
  for (const [code, k] of ppeKeys) writeFileSync(join(keysDir, 'ppe', `${code}.pem`), pemOf(k.publicKey));
  const threads = createThreadPool<SheetTask, Uint8Array>(
    availableParallelism(),
    new URL('./season-sheets.ts', import.meta.url),
    pools,
  );
  try {
    let done = 0;
    const sealRoom = async ([key, people]: [string, Participant[]]) => {
      const files = await Promise.all(
        people.flatMap((p) =>
          ROLES.map(async (role) => {
            const s = p.sheets[role];
            const jpeg = await threads.run({ pool: s.pool, body: s.body, quality: Number(values.quality) });
            const sha = createHash('sha256').update(jpeg).digest('hex');
            pages.set(pageId(sha, 0), { pool: s.pool, sheetNumber: s.number });
            sheetBytes += jpeg.length;
            return { name: `${p.code}-${role}.jpg`, bytes: jpeg };
          }),
        ),
      );
      const ppe = people[0]!.ppe;
      const manifest = {
        batch: `room-${people[0]!.room}`,
        station: `ppe-${ppe}`,
        exam: EXAM,
        ppe,
        room: people[0]!.room,
        declared: {
          registration: people.length,
          'answer-sheet-1': people.length,
          'answer-sheet-2': 2 * people.length,
        },
      };
      const sealed = sealPackage({
        ppe,
        ppeKey: ppeKeys.get(ppe)!.privateKey,
        rcoiPublicKey: rcoiKeys.publicKey,
        manifest,
        files,
      });
      writeFileSync(join(staging, `${key}.rcoipkg`), sealed);
      done += people.length;
      if (done % 1000 < ROOM_SIZE) log(`  ${done} of ${N} participants' sheets sealed`);
    };
    const queue = [...rooms];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) await sealRoom(r);
      }),
    );
  } finally {
    await threads.close();
  }
}

// 2. The services, the service, its workers.
const svcDir = join(dir, 'services');
log('starting PostgreSQL, Redis and the S3 server …');
const port = 20000 + Math.floor(Math.random() * 20000);
const serviceEnv = startServices(
  svcDir,
  {
    // A region's scans outgrow the memory store (20,000 participants: about 21 GB): BlueStore on a sparse file.
    SERVICES_S3_DISK_BYTES: String(Math.max(10 * 2 ** 30, Math.round(sheetBytes * 2))),
    SERVICES_S3_LIFECYCLE_DAY_SECONDS: '',
  },
  {
    S3_BUCKET: 'rcoi-season',
    RCOI_QUEUE_PREFIX: 'season',
    RCOI_DATA_DIR: dataDir,
    RCOI_PACKAGE_KEY_FILE: join(keysDir, 'rcoi.key.pem'),
    RCOI_PPE_KEYS_DIR: join(keysDir, 'ppe'),
    PORT: String(port),
    LOG_LEVEL: 'warn',
  },
);
const children: ChildProcess[] = [];
let exitCode = 0;
try {
  const rcoi = (...args: string[]) =>
    execFileSync(process.execPath, ['bin/rcoi.js', ...args], { env: serviceEnv, encoding: 'utf8' });
  // The service migrates the database on start; the first administrator is made on the command line.
  children.push(spawn(process.execPath, ['bin/rcoi.js', 'serve'], { env: serviceEnv, stdio: 'inherit' }));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error('the service did not answer /health in 60 s');
    await sleep(100);
  }
  for (let i = 0; i < Number(values.workers); i++)
    children.push(
      spawn(process.execPath, ['bin/rcoi.js', 'worker', '--concurrency', values.concurrency], {
        env: serviceEnv,
        stdio: 'inherit',
      }),
    );
  const adminKey = rcoi('users', 'add', '--id', 'admin', '--name', 'Администратор', '--role', 'admin')
    .trim()
    .split('\n')
    .at(-1)!;

  /** One person's calls: JSON in, the status and JSON (or nothing) out; a server error stops the bench. */
  const client = (key: string) => async (method: string, path: string, body?: unknown) => {
    const r = await callApi(base, key, method, path, body);
    if (r.status >= 500) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    return { status: r.status, json: r.text && r.json ? JSON.parse(r.text) : r.text };
  };

  type Client = ReturnType<typeof client>;
  const admin = client(adminKey);
  const user = async (id: string, role: string): Promise<Client> => {
    const r = await admin('POST', '/api/users', { id, name: id, role });
    if (r.status !== 201) throw new Error(`user ${id}: ${r.status} ${JSON.stringify(r.json)}`);
    return client((r.json as { token: string }).token);
  };
  const operator = await user('operator', 'operator');
  const chair = await user('chair', 'chair');
  const verifiers = await Promise.all(
    Array.from({ length: Number(values.verifiers) }, (_, i) => user(`verifier-${i + 1}`, 'verifier')),
  );
  const expertCount = Math.max(6, Number(values.experts));
  const experts: { id: string; call: Client; status: string; screening: boolean }[] = [];
  for (let i = 0; i < expertCount; i++) {
    const id = `expert-${i + 1}`;
    // A leading and two senior experts (appeals), one who screens blank works, the rest main experts.
    const status = i === 0 ? 'leading' : i < 3 ? 'senior' : 'main';
    const screening = i === 3;
    experts.push({ id, call: await user(id, 'expert'), status, screening });
    const r = await chair('POST', '/api/checking/experts', {
      userId: id,
      year: 2026,
      subjectCode: '02',
      status,
      trained: true,
      qualified: true,
      briefed: true,
      seminar: true,
      ...(screening && { screening: true }),
    });
    if (r.status !== 201) throw new Error(`expert ${id}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  const adapters = await openAdapters(configFromEnv(serviceEnv));
  /** The bench's own look at the database: progress, and which work is whose (the simulation's oracle). */
  const count = async (sql: string) => (await adapters.db.query<{ n: number }>(sql))[0]!.n;
  const byKit = new Map(world.participants.map((p) => [p.kit, p]));
  const workOwner = new Map<string, Participant>();
  const ownerOf = async (work: string) => {
    if (!workOwner.has(work)) {
      const [w] = await adapters.db.query<{ kit_id: string }>('select kit_id from works where id = $1', [
        work,
      ]);
      workOwner.set(work, byKit.get(w!.kit_id)!);
    }
    return workOwner.get(work)!;
  };

  // 3. The season.
  log(`the season: ${N} participants, ${pages.size} sheets`);
  const stages: { stage: string; items: number; unit: string; from: number; to: number }[] = [];
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  const at = () => (performance.now() - t0) / 1000;
  const stage = (name: string, items: number, unit: string, from: number, to = at()) =>
    stages.push({ stage: name, items, unit, from: Math.min(from, to), to });

  let from = at();
  const exam = {
    id: EXAM,
    kind: 'EGE',
    subjectCode: '02',
    date: '2026-06-01',
    region: '38',
    timeZone: 'Asia/Irkutsk',
  };
  if ((await admin('POST', '/api/exams', exam)).status !== 201)
    throw new Error('the exam was not registered');
  const mapping = JSON.parse(readFileSync('calibration/regional/2026/38-ege.json', 'utf8'));
  const ris = await admin('POST', '/api/ris/import', {
    mapping,
    files: risFiles(world).map((f) => ({ name: f.name, content: Buffer.from(f.bytes).toString('base64') })),
  });
  if (ris.status !== 200)
    throw new Error(`RIS import: ${ris.status} ${JSON.stringify(ris.json).slice(0, 500)}`);
  stage('regional system export imported', N, 'participants', from);

  // Every room's package into the inbox at once, as the PPEs' deliveries of one exam day arrive.
  const ingestFrom = at();
  // Linked, not moved: the inbox moves what it took aside, and kept scans stay whole for the next run.
  for (const f of readdirSync(staging)) linkSync(join(staging, f), join(dataDir, 'inbox', f));

  let recognised = false;
  let verificationFrom = Number.POSITIVE_INFINITY;
  let verificationTo = 0;
  let decisions = 0;
  let refusedDecisions = 0;
  const truthOf = (page: string, field: string): string | undefined => {
    const info = pages.get(page);
    if (!info) return undefined;
    if (field === SHEET_NUMBER_TASK) return info.sheetNumber;
    // Answer sheet 1's result.N is answer.N where no replacement names task N (the world writes none).
    const name = field.replace(/^result\./, 'answer.');
    return pools[info.pool]!.fields[name]?.value;
  };
  const verify = async (call: Client) => {
    for (;;) {
      const next = await call('POST', '/api/verification/next', { holding: [] });
      if (next.status === 204) {
        if (recognised) return;
        await sleep(500);
        continue;
      }
      if (next.status !== 200)
        throw new Error(`verification/next: ${next.status} ${JSON.stringify(next.json)}`);
      const task = next.json as { id: number; pageId: string; field: string; value: string };
      const truth = truthOf(task.pageId, task.field);
      verificationFrom = Math.min(verificationFrom, at());
      const body =
        truth === undefined || truth === task.value
          ? { action: 'confirm' }
          : { action: 'correct', value: truth };
      const r = await call('POST', `/api/verification/tasks/${task.id}`, body);
      if (r.status === 422) {
        refusedDecisions++;
        await call('POST', `/api/verification/tasks/${task.id}`, { action: 'confirm' });
      } else if (r.status !== 200)
        throw new Error(`decision on task ${task.id}: ${r.status} ${JSON.stringify(r.json)}`);
      decisions++;
      verificationTo = at();
    }
  };

  let checked = false;
  let checks = 0;
  const scoresFor = (c: CheckView, p: Participant): Scores => {
    const all = c.round === 'second' ? p.second : c.round === 'appeal' ? p.appeal!.scores : p.truth;
    const ids = c.tasks.flatMap((t) => t.criteria.map((k) => k.id));
    return Object.fromEntries(ids.map((id) => [id, all[id] ?? 0]));
  };
  const check = async (e: (typeof experts)[number], until: () => boolean) => {
    for (;;) {
      const next = await e.call('POST', '/api/checking/next');
      if (next.status === 204) {
        if (until()) return;
        await sleep(1000);
        continue;
      }
      if (next.status !== 200) throw new Error(`checking/next: ${next.status} ${JSON.stringify(next.json)}`);
      const c = next.json as CheckView;
      const p = await ownerOf(c.workCode);
      const r =
        c.round === 'screening'
          ? await e.call('POST', `/api/checking/checks/${c.id}/screening`, { blank: p.blank })
          : await e.call('POST', `/api/checking/checks/${c.id}/scores`, { scores: scoresFor(c, p) });
      if (r.status !== 200)
        throw new Error(`${e.id} on check ${c.id}: ${r.status} ${JSON.stringify(r.json)}`);
      checks++;
    }
  };

  const expectedPages = 4 * N;
  const monitor = beside(
    (async () => {
      let stored = false;
      for (;;) {
        const total = await count('select count(*)::int as n from pages');
        if (!stored && total >= expectedPages) {
          stored = true;
          stage('PPE packages ingested (opened, stored, queued)', total, 'pages', ingestFrom);
        }
        const pending = await count(`select count(*)::int as n from pages where status = 'pending'`);
        if (stored && pending === 0) {
          recognised = true;
          stage('pages recognised', total, 'pages', ingestFrom);
          return;
        }
        await sleep(1000);
      }
    })(),
  );
  const verifying = beside(Promise.all(verifiers.map(verify)));
  const checkingFrom = at();
  const checking = beside(Promise.all(experts.map((e) => check(e, () => checked))));
  await monitor;
  await verifying;
  stage('doubts settled by verifiers', decisions, 'decisions', verificationFrom, verificationTo);

  for (;;) {
    const routed = await count('select count(*)::int as n from works where route is not null');
    if (routed >= N) break;
    await sleep(1000);
  }
  stage('works assembled and routed', N, 'works', ingestFrom);

  from = at();
  const assembled = await operator('POST', '/api/works/assemble');
  const works = (assembled.json as { works: { id: string; kitId: string }[] }).works;
  for (const w of works) {
    const r = await operator('PUT', `/api/works/${w.id}/variant`, { variant: byKit.get(w.kitId)!.variant });
    if (r.status !== 200) throw new Error(`variant of ${w.id}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  stage('variants entered by the operator', works.length, 'works', from);

  for (;;) {
    if ((await count('select count(*)::int as n from work_results')) >= N) break;
    await sleep(1000);
  }
  checked = true;
  await checking;
  const checksDone = checks;
  stage('checks by experts (screening, first, second, third)', checksDone, 'checks', checkingFrom);

  from = at();
  const appealing = world.participants.filter((p) => p.appeal);
  const workOf = new Map(works.map((w) => [w.kitId, w.id]));
  const appeals: { id: number; p: Participant }[] = [];
  for (const p of appealing) {
    const r = await chair('POST', '/api/appeals', {
      workId: workOf.get(p.kit),
      reason: 'не согласен с баллами',
    });
    if (r.status !== 201) throw new Error(`appeal of ${p.code}: ${r.status} ${JSON.stringify(r.json)}`);
    appeals.push({ id: (r.json as { appealId: number }).appealId, p });
  }
  let rechecked = false;
  const appealChecks = beside(Promise.all(experts.map((e) => check(e, () => rechecked))));
  for (;;) {
    const open = await count(
      `select count(*)::int as n from checks where round = 'appeal' and status <> 'submitted'`,
    );
    if (open === 0) break;
    await sleep(1000);
  }
  rechecked = true;
  await appealChecks;
  for (const a of appeals) {
    const r = await chair('POST', `/api/appeals/${a.id}/decision`, { outcome: a.p.appeal!.outcome });
    if (r.status !== 200)
      throw new Error(`decision on appeal ${a.id}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  stage('appeals re-checked and decided', appeals.length, 'appeals', from);

  from = at();
  const computed = await chair('POST', `/api/exams/${EXAM}/results`);
  if (computed.status !== 200) throw new Error(`results: ${computed.status}`);
  stage('results computed', N, 'results', from);
  const results = (await chair('GET', `/api/exams/${EXAM}/results`)).json as {
    workId: string;
    status: string;
    primary: number | null;
    score: number | null;
    tasks: { part: string; task: string; points: number }[];
  }[];

  from = at();
  let exported = 0;
  for (const layout of ['regional', 'federal']) {
    const r = await chair('GET', `/api/exams/${EXAM}/results/export?layout=${layout}`);
    if (r.status !== 200) throw new Error(`export ${layout}: ${r.status}`);
    exported += N;
  }
  stage('results exported (regional and federal layouts)', exported, 'rows', from);
  from = at();
  const protocols = await chair('GET', `/api/exams/${EXAM}/results/protocols?by=ppe`);
  if (protocols.status !== 200) throw new Error(`protocols: ${protocols.status}`);
  stage('results protocols per exam point (PDF)', world.ppes.length, 'protocols', from);
  const seasonSeconds = at();
  const servicePid = children[0]!.pid;
  const workerPids = new Set(children.slice(1).map((c) => c.pid));
  const spent = cpuSpent(cpu0, cpuSnapshot(), (pid, name) => {
    if (pid === process.pid) return 'bench (the people)';
    if (pid === servicePid) return 'rcoi serve (API, inbox)';
    if (workerPids.has(pid)) return 'rcoi worker processes';
    return name === 'node' || name === 'bash' ? `other: ${name}` : name;
  });

  // 4. Every participant's result against the simulation's.
  const owner = new Map(works.map((w) => [w.id, byKit.get(w.kitId)!]));
  const mismatches: string[] = [];
  const kinds = new Map<string, number>();
  for (const r of results) {
    const p = owner.get(r.workId)!;
    const want = expectedResult(scoring, types, rules, p);
    const wrong = want.tasks.filter(
      (t) => r.tasks.find((g) => g.part === t.part && g.task === t.task)?.points !== t.points,
    );
    if (r.status !== 'complete' || r.primary !== want.primary || r.score !== want.score || wrong.length > 0) {
      mismatches.push(
        `${p.code}: ${r.status} primary ${r.primary} (want ${want.primary}), tasks ${wrong.map((t) => `${t.part}/${t.task}`).join(' ')}`,
      );
      for (const t of wrong) kinds.set(t.part, (kinds.get(t.part) ?? 0) + 1);
    }
  }
  const missing = N - results.length;
  // The answers read without doubt that verifiers checked all the same: the silent errors the season let through.
  const control = (await admin('GET', '/api/verification/control')).json as ControlSampleRow[];

  console.log(
    `bench:season: ${N} participants (${pages.size} sheets at ${DPI} dpi in ${rooms.size} PPE packages), ` +
      `${values.workers} rcoi worker processes × ${values.concurrency}, ${verifiers.length} verifiers, ` +
      `${experts.length} experts, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}`);
  console.log(
    `scans made before the season: ${reused ? `kept from an earlier run (${scansDir})` : `${genSeconds.toFixed(0)} s`} (${(sheetBytes / pages.size / 1024).toFixed(0)} KiB a sheet)`,
  );
  console.log('');
  console.log('| stage | items | from s | to s | per second |');
  console.log('|---|---|---|---|---|');
  for (const s of stages)
    console.log(
      `| ${s.stage} | ${s.items} ${s.unit} | ${s.from.toFixed(0)} | ${s.to.toFixed(0)} | ${(s.items / Math.max(0.001, s.to - s.from)).toFixed(2)} |`,
    );
  console.log('');
  console.log(`season wall time: ${seasonSeconds.toFixed(0)} s (${(seasonSeconds / 60).toFixed(1)} min)`);
  console.log(
    `verification: ${decisions} decisions (${(decisions / pages.size).toFixed(2)} a sheet), ${refusedDecisions} corrections refused`,
  );
  const share = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
  console.log(
    `control sample: ${
      control
        .map(
          (c) =>
            `${c.form} ${c.sampled} drawn, ${c.corrected} of ${c.decided} decided corrected ` +
            `(silent errors ${share(c.rate)}, at most ${share(c.upper95)} at 95%)`,
        )
        .join('; ') || 'none drawn'
    }`,
  );
  console.log(
    `CPU seconds by process: ${spent.groups
      .filter((g) => g.seconds >= 1)
      .map((g) => `${g.name} ${g.seconds.toFixed(0)}`)
      .join(', ')}; idle ${(100 * spent.idleShare).toFixed(1)}%`,
  );
  console.log('');
  console.log(
    `results: ${results.length} participants, ${mismatches.length + missing} mismatches` +
      (kinds.size ? ` (tasks off: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})` : '') +
      (missing ? `, ${missing} without a result` : ''),
  );
  for (const m of mismatches.slice(0, 20)) console.log(`  ${m}`);
  exitCode = mismatches.length + missing === 0 ? 0 : 1;
  await adapters.close();
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  stopServices(svcDir);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
