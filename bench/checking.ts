/**
 * `npm run bench:checking -- --works N --experts M`: an expert-checking season through the HTTP API the
 * stations use, on the embedded default (or PostgreSQL when DATABASE_URL is set).
 *
 * Seeds N complete works of EGE mathematics (profile) routed to checking, each with a participant in
 * personal.* (names and a document number), and M experts (10% leading, 30% senior, 60% main), registered
 * by a chair over the API. Then 50 sessions at once play the experts: take the next check, score it,
 * again, until no expert is given anything. Each work has true points per task; each expert deviates from
 * them by one point with their own probability (2-10%) and by two with a fifth of that, so disagreement is
 * uneven across experts, as it is in a commission.
 *
 * Prints assignment latency (POST /api/checking/next that returned a check) p50/p95 under the 50
 * sessions, the third-check share, the statistics run time, and the identity leaks found by scanning every
 * response an expert received for the participants' names and document numbers (must be 0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSubjectRules } from '../domain/checking.ts';
import { configFromEnv } from '../platform/config.ts';
import { registerExam } from '../platform/store/exams.ts';
import { issueUser } from '../platform/store/users.ts';
import { createRng } from '../samples/rng.ts';
import { startService } from '../service/run.ts';
import { callApi } from './http.ts';
import { quantile } from './stats.ts';

const { values } = parseArgs({
  options: {
    works: { type: 'string', default: '20000' },
    experts: { type: 'string', default: '200' },
    sessions: { type: 'string', default: '50' },
    seed: { type: 'string', default: '2026' },
  },
});
const WORKS = Number(values.works);
const EXPERTS = Number(values.experts);
const SESSIONS = Number(values.sessions);
const EXAM = 'bench-2026-ege-02';

const rng = createRng(`bench-checking:${values.seed}`);
const rules = loadSubjectRules(2026).find((r) => r.exam === 'EGE' && r.subjectCode === '02')!;

const SURNAMES = [
  'ИВАНОВ',
  'СМИРНОВ',
  'КУЗНЕЦОВ',
  'ПОПОВ',
  'ВАСИЛЬЕВ',
  'ПЕТРОВ',
  'СОКОЛОВ',
  'МИХАЙЛОВ',
  'НОВИКОВ',
  'ФЁДОРОВ',
  'МОРОЗОВ',
  'ВОЛКОВ',
  'АЛЕКСЕЕВ',
  'ЛЕБЕДЕВ',
  'СЕМЁНОВ',
  'ЕГОРОВ',
  'ПАВЛОВ',
  'КОЗЛОВ',
  'СТЕПАНОВ',
  'НИКОЛАЕВ',
];
const NAMES = [
  'АЛЕКСАНДР',
  'МАКСИМ',
  'АРТЁМ',
  'МИХАИЛ',
  'ДАРЬЯ',
  'АННА',
  'ВИКТОРИЯ',
  'ПОЛИНА',
  'ЕЛИЗАВЕТА',
  'ИВАН',
  'ДМИТРИЙ',
  'СОФИЯ',
];
const PATRONYMICS = ['АЛЕКСАНДРОВИЧ', 'СЕРГЕЕВНА', 'ДМИТРИЕВИЧ', 'АНДРЕЕВНА', 'ВЛАДИМИРОВИЧ', 'НИКОЛАЕВНА'];
const pick = <T>(xs: readonly T[]) => xs[rng.int(0, xs.length - 1)]!;

const dataDir = mkdtempSync(join(tmpdir(), 'rcoi-bench-checking-'));
const config = configFromEnv({ ...process.env, RCOI_DATA_DIR: dataDir });
const service = await startService(config, { pollMs: 3_600_000, concurrency: 1 });
const { db } = service.adapters;
console.error(
  `bench:checking: ${WORKS} works, ${EXPERTS} experts, ${SESSIONS} sessions, on ${db.kind === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)'}`,
);

// Seed: the exam, works routed to checking with their first and second checks, participants apart.
await registerExam(db, {
  id: EXAM,
  kind: 'EGE',
  subjectCode: '02',
  date: '2026-06-01',
  region: '77',
  timeZone: 'Europe/Moscow',
});
const workIds = Array.from({ length: WORKS }, (_, i) => `WB${String(i).padStart(7, '0')}`);
const truth = new Map(workIds.map((w) => [w, rules.tasks.map((t) => rng.int(0, t.criteria[0]!.max))]));
const documents = new Set<string>();
const people = workIds.map(() => {
  let doc: string;
  do doc = `${rng.int(1000, 9999)} ${rng.int(100000, 999999)}`;
  while (documents.has(doc));
  documents.add(doc);
  return { surname: pick(SURNAMES), name: pick(NAMES), patronymic: pick(PATRONYMICS), document: doc };
});
const tasks = rules.tasks.map((t) => t.task);
for (let i = 0; i < WORKS; i += 5000) {
  const ids = workIds.slice(i, i + 5000);
  const ps = people.slice(i, i + 5000);
  await db.transaction(async (tx) => {
    await tx.query(
      `insert into works (id, exam_id, status, route, routed_at) select w, $2, 'complete', 'checking', now()
       from unnest($1::text[]) w`,
      [ids, EXAM],
    );
    await tx.query(
      `insert into checks (work_id, exam_id, round, tasks)
       select w, $2, r, $3 from unnest($1::text[]) w cross join unnest(array['first', 'second']) r`,
      [ids, EXAM, tasks],
    );
    await tx.query(
      `with p as (
         insert into personal.participants (surname, name, patronymic, document, registration_sheet)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) returning id, registration_sheet)
       insert into personal.participant_works (participant_id, work_id) select p.id, p.registration_sheet from p`,
      [
        ps.map((p) => p.surname),
        ps.map((p) => p.name),
        ps.map((p) => p.patronymic),
        ps.map((p) => p.document),
        ids,
      ],
    );
  });
}

// Experts and a chair, with tokens, as the stations would have them.
const chairToken = await issueUser(db, { id: 'bench-chair', name: 'Chair', role: 'chair' });
const experts = Array.from({ length: EXPERTS }, (_, i) => ({
  id: `bench-expert-${String(i).padStart(3, '0')}`,
  status: i < EXPERTS * 0.1 ? 'leading' : i < EXPERTS * 0.4 ? 'senior' : 'main',
  slip: 0.02 + 0.08 * rng.next(),
  token: '',
}));
for (const e of experts) e.token = await issueUser(db, { id: e.id, name: e.id, role: 'expert' });

await service.app.listen({ port: 0, host: '127.0.0.1' });
const address = service.app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const api = (token: string, method: string, path: string, body?: unknown) =>
  callApi(base, token, method, path, body);
for (const e of experts) {
  const r = await api(chairToken, 'POST', '/api/checking/experts', {
    userId: e.id,
    year: 2026,
    subjectCode: '02',
    status: e.status,
    trained: true,
    qualified: true,
    briefed: true,
    seminar: true,
  });
  if (r.status !== 201) throw new Error(`registering ${e.id}: ${r.status} ${r.text}`);
}

// The season: 50 sessions, each playing whichever expert is free, until every expert is told there is nothing.
const expertResponses: string[] = [];
const latencies: number[] = [];
let submitted = 0;
let idleInARow = 0;
const free = [...experts];
const started = performance.now();
const deviate = (slip: number) => {
  const r = rng.next();
  if (r < slip / 5) return rng.chance(0.5) ? 2 : -2;
  if (r < slip) return rng.chance(0.5) ? 1 : -1;
  return 0;
};
async function session(): Promise<void> {
  while (idleInARow < experts.length) {
    const expert = free.shift();
    if (!expert) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const t0 = performance.now();
    const next = await api(expert.token, 'POST', '/api/checking/next');
    if (next.status === 204) {
      idleInARow++;
      free.push(expert);
      continue;
    }
    if (next.status !== 200) throw new Error(`next for ${expert.id}: ${next.status} ${next.text}`);
    latencies.push(performance.now() - t0);
    expertResponses.push(next.text);
    const view = JSON.parse(next.text) as {
      id: number;
      workCode: string;
      tasks: { task: string; criteria: { id: string; max: number }[] }[];
    };
    const points = truth.get(view.workCode)!;
    const scores: Record<string, number> = {};
    for (const t of view.tasks) {
      const c = t.criteria[0]!;
      const exact = points[tasks.indexOf(t.task)]!;
      scores[c.id] = Math.max(0, Math.min(c.max, exact + deviate(expert.slip)));
    }
    const done = await api(expert.token, 'POST', `/api/checking/checks/${view.id}/scores`, { scores });
    if (done.status !== 200) throw new Error(`scores for ${view.id}: ${done.status} ${done.text}`);
    expertResponses.push(done.text);
    submitted++;
    idleInARow = 0;
    free.push(expert);
    if (submitted % 5000 === 0) console.error(`  ${submitted} checks scored …`);
  }
}
await Promise.all(Array.from({ length: SESSIONS }, session));
const seasonSeconds = (performance.now() - started) / 1000;

const t1 = performance.now();
const stats = await api(chairToken, 'GET', '/api/checking/statistics?year=2026&subject=02');
const statisticsMs = performance.now() - t1;
if (stats.status !== 200) throw new Error(`statistics: ${stats.status} ${stats.text}`);
const standing = JSON.parse(stats.text) as { qualifiesFor: string | null }[];

const [counts] = await db.query<{ works: number; third: number; results: number; open: number }>(
  `select (select count(*)::int from works where exam_id = $1) as works,
     (select count(*)::int from checks where exam_id = $1 and round = 'third') as third,
     (select count(*)::int from work_results r join works w on w.id = r.work_id where w.exam_id = $1) as results,
     (select count(*)::int from checks where exam_id = $1 and status <> 'submitted') as open`,
  [EXAM],
);

// Identity: every document number and every name a participant has, searched in everything experts got.
const nameWords = new Set([...SURNAMES, ...NAMES, ...PATRONYMICS]);
let leaks = 0;
for (const text of expertResponses) {
  const digits = text.match(/\d{4} \d{6}/g) ?? [];
  const words = text.match(/[А-ЯЁ]{4,}/g) ?? [];
  if (digits.some((d) => documents.has(d)) || words.some((w) => nameWords.has(w))) leaks++;
}

const byStatus = standing.reduce<Record<string, number>>((m, s) => {
  const k = s.qualifiesFor ?? 'none';
  m[k] = (m[k] ?? 0) + 1;
  return m;
}, {});
console.log(`bench:checking, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${db.kind}`);
console.log(`works ${counts!.works}, experts ${EXPERTS}, sessions ${SESSIONS}`);
console.log(
  `checks scored ${submitted} in ${seasonSeconds.toFixed(1)} s (${(submitted / seasonSeconds).toFixed(1)} per s)`,
);
console.log(
  `assignment latency (POST /api/checking/next): p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p95 ${quantile(latencies, 0.95).toFixed(1)} ms`,
);
console.log(
  `third checks: ${counts!.third} of ${counts!.works} works (${((100 * counts!.third) / counts!.works).toFixed(1)}%)`,
);
console.log(`results ${counts!.results}, checks left open ${counts!.open}`);
console.log(
  `statistics for ${standing.length} experts: ${statisticsMs.toFixed(0)} ms; qualify for ${JSON.stringify(byStatus)}`,
);
console.log(`identity leaks in ${expertResponses.length} expert-facing responses: ${leaks}`);

await service.stop();
rmSync(dataDir, { recursive: true, force: true });
if (leaks > 0 || counts!.open > 0) process.exitCode = 1;
