/**
 * bench:season's simulated region, a pure function of (participants, seed): exam points, schools and rooms,
 * participants (some refusing processing of personal data), their kits and sheet numbers, the variant each
 * answered and what they wrote on answer sheet 1, the true points of their extended answers and what each
 * expert will give, who appeals and how it ends; the regional system's export of all that in region 38's
 * layout (calibration/regional/2026/38-ege.json); and each participant's expected result by the regulation.
 */
import { resultScores, type Scores, type SubjectRules, thirdCheckDecision } from '../domain/checking.ts';
import { encodeText } from '../domain/results-export.ts';
import { type ParticipantResult, participantResult, type SubjectScoring } from '../domain/scoring.ts';
import type { SubjectAnswers } from '../forms/answer-types.ts';
import { expandForm, findShippedForm } from '../forms/definitions.ts';
import { sheetBodyDigits, sheetCodeTexts } from '../samples/generate.ts';
import { createRng, type Rng } from '../samples/rng.ts';

export const EXAM = '2026-ege-02';
export const ROOM_SIZE = 15;
const ROOMS_PER_PPE = 20;
const PARTICIPANTS_PER_SCHOOL = 60;
/** Kit roles to the shipped forms the PPEs print. */
export const SHEET_FORMS = {
  registration: 'ege-registration',
  as1: 'ege-as1-2023',
  'as2-1': 'ege-as2-1',
  'as2-2': 'ege-as2-2',
} as const;
export type Role = keyof typeof SHEET_FORMS;
export const ROLES = Object.keys(SHEET_FORMS) as Role[];

/** Pool pages per form: answer sheets 1 per variant, registration forms, written and blank answer sheets 2. */
export const POOL = { as1PerVariant: 40, registration: 30, as2Written: 30, as2Blank: 4 };

export interface Participant {
  index: number;
  code: string;
  ppe: string;
  school: string;
  room: string;
  refused: boolean;
  kit: string;
  variant: string;
  /** Sheet numbers and the digits that make each unique, by role. */
  sheets: Record<Role, { number: string; body: string; pool: number }>;
  /** What is written in answer sheet 1's answer cells, by task ('' when left empty). */
  as1: Record<string, string>;
  /** Both answer sheets 2 left blank: screened, scored 0. */
  blank: boolean;
  /** The true points per criterion, and what the second expert gives (the first and third give the truth). */
  truth: Scores;
  second: Scores;
  /** An appeal: the re-check's scores and the commission's outcome. */
  appeal: { scores: Scores; outcome: 'upheld' | 'rejected' } | null;
}

/** A pool page to draw: its form and how to fill it. */
export interface PoolSpec {
  role: Role;
  seed: number;
  values?: Record<string, string>;
  blank?: boolean;
}

export interface World {
  participants: Participant[];
  pools: PoolSpec[];
  ppes: string[];
}

const SURNAMES = ['Иванов', 'Петров', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов'];
const NAMES = ['Алексей', 'Мария', 'Дмитрий', 'Анна', 'Сергей', 'Елена', 'Иван', 'Ольга'];

/** A wrong answer of the key's kind: one digit of it slipped, or another whole number. */
function wrongAnswer(rng: Rng, key: string): string {
  const digits = [...key].flatMap((c, i) => (/\d/.test(c) ? [i] : []));
  if (digits.length === 0 || rng.chance(0.3)) return String(rng.int(-20, 300));
  const at = rng.pick(digits);
  const slipped = (Number(key[at]) + rng.int(1, 9)) % 10;
  return `${key.slice(0, at)}${slipped}${key.slice(at + 1)}`;
}

/** Answer sheet 1's answer cells for a participant of this ability answering `key`. */
function as1Answers(
  rng: Rng,
  key: Record<string, string>,
  ability: number,
  fields: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    // No replacements: a replaced answer is the recogniser's derived field, measured by bench:recognise.
    const task = /^answer\.(\d+)$/.exec(f)?.[1];
    const k = task === undefined ? undefined : key[task];
    out[f] = k === undefined || rng.chance(0.04) ? '' : rng.chance(ability) ? k : wrongAnswer(rng, k);
  }
  return out;
}

/** Points per criterion a participant of this ability earns. */
function truePoints(rng: Rng, rules: SubjectRules, ability: number): Scores {
  const out: Scores = {};
  for (const t of rules.tasks)
    for (const c of t.criteria) out[c.id] = rng.chance(ability) ? rng.int(Math.ceil(c.max / 2), c.max) : 0;
  return out;
}

/** One criterion moved by `by` within its range, or the scores unchanged when none can move. */
function moved(rng: Rng, rules: SubjectRules, scores: Scores, by: number): Scores {
  const movable = rules.tasks
    .flatMap((t) => t.criteria)
    .filter((c) => scores[c.id]! + by <= c.max || scores[c.id]! - by >= 0);
  if (movable.length === 0) return scores;
  const c = rng.pick(movable);
  const v = scores[c.id]!;
  return { ...scores, [c.id]: v + by <= c.max ? v + by : v - by };
}

export function makeWorld(count: number, seed: string, scoring: SubjectScoring, rules: SubjectRules): World {
  const rng = createRng(`season:${seed}`);
  const variants = Object.keys(scoring.variants).sort();
  const as1Fields = expandForm(findShippedForm(SHEET_FORMS.as1))
    .fields.map((f) => f.name)
    .filter((n) => /^(answer\.\d+|replacement\.\d+\.(task|answer))$/.test(n));
  const pools: PoolSpec[] = [];
  const poolOf: Record<string, number[]> = {};
  const add = (key: string, spec: PoolSpec) => {
    (poolOf[key] ??= []).push(pools.length);
    pools.push(spec);
  };
  const poolRng = rng.fork('pools');
  const abilities = new Map<number, number>();
  for (const v of variants)
    for (let i = 0; i < POOL.as1PerVariant; i++) {
      const ability = poolRng.range(0.2, 0.95);
      abilities.set(pools.length, ability);
      add(`as1:${v}`, {
        role: 'as1',
        seed: pools.length,
        values: as1Answers(
          poolRng.fork(`as1:${v}:${i}`),
          scoring.variants[v] as Record<string, string>,
          ability,
          as1Fields,
        ),
      });
    }
  for (let i = 0; i < POOL.registration; i++)
    add('registration', { role: 'registration', seed: pools.length });
  for (const role of ['as2-1', 'as2-2'] as const) {
    for (let i = 0; i < POOL.as2Written; i++) add(`${role}:written`, { role, seed: pools.length });
    for (let i = 0; i < POOL.as2Blank; i++) add(`${role}:blank`, { role, seed: pools.length, blank: true });
  }

  const ppes = Array.from({ length: Math.ceil(count / (ROOM_SIZE * ROOMS_PER_PPE)) }, (_, i) =>
    String(101 + i).padStart(4, '0'),
  );
  const participants: Participant[] = [];
  for (let i = 0; i < count; i++) {
    const p = rng.fork(`p${i}`);
    const room = Math.floor(i / ROOM_SIZE);
    const variant = variants[i % variants.length]!;
    const as1Pool = p.pick(poolOf[`as1:${variant}`]!);
    const blank = p.chance(0.02);
    const ability = abilities.get(as1Pool)!;
    const zeros = Object.fromEntries(rules.tasks.flatMap((t) => t.criteria.map((c) => [c.id, 0] as const)));
    const truth = blank ? zeros : truePoints(p, rules, ability);
    const roll = p.next();
    // 15% of second checks differ by a point somewhere (combined by the rule), 4% by two (a third check).
    const second = blank
      ? zeros
      : roll < 0.04
        ? moved(p, rules, truth, 2)
        : roll < 0.19
          ? moved(p, rules, truth, 1)
          : truth;
    const appeal =
      !blank && p.chance(0.01)
        ? p.chance(0.5)
          ? { scores: moved(p, rules, truth, 1), outcome: 'upheld' as const }
          : { scores: truth, outcome: 'rejected' as const }
        : null;
    const sheet = (role: Role, pool: number) => {
      const def = findShippedForm(SHEET_FORMS[role]);
      const body = String(i + 1).padStart(sheetBodyDigits(def), '0');
      return { number: sheetCodeTexts(def, body, () => '').sheetNumber!, body, pool };
    };
    const as2 = (role: 'as2-1' | 'as2-2') => p.pick(poolOf[`${role}:${blank ? 'blank' : 'written'}`]!);
    participants.push({
      index: i,
      code: `P${String(i + 1).padStart(6, '0')}`,
      ppe: ppes[Math.floor(room / ROOMS_PER_PPE)]!,
      school: `38${String(1 + Math.floor(i / PARTICIPANTS_PER_SCHOOL)).padStart(5, '0')}`,
      room: String((room % ROOMS_PER_PPE) + 1).padStart(2, '0'),
      refused: p.chance(0.01),
      kit: `K${String(i + 1).padStart(6, '0')}`,
      variant,
      sheets: {
        registration: sheet('registration', p.pick(poolOf.registration!)),
        as1: sheet('as1', as1Pool),
        'as2-1': sheet('as2-1', as2('as2-1')),
        'as2-2': sheet('as2-2', as2('as2-2')),
      },
      as1: Object.fromEntries(
        Object.entries(pools[as1Pool]!.values!)
          .filter(([k]) => k.startsWith('answer.'))
          .map(([k, v]) => [k.slice('answer.'.length), v]),
      ),
      blank,
      truth,
      second,
      appeal,
    });
  }
  return { participants, pools, ppes };
}

/** The scores the experts' checks must come to, by the subject's rules, then the appeal's outcome. */
export function expectedScores(rules: SubjectRules, p: Participant): Scores {
  if (p.blank) return p.truth;
  const third = thirdCheckDecision(rules, p.truth, p.second);
  const checked = resultScores(
    rules,
    p.truth,
    p.second,
    third.due ? { scores: p.truth, tasks: third.tasks } : undefined,
  );
  return p.appeal?.outcome === 'upheld' ? p.appeal.scores : checked;
}

/** The participant's result as the regulation makes it from what they wrote and what the experts gave. */
export function expectedResult(
  scoring: SubjectScoring,
  types: SubjectAnswers | undefined,
  rules: SubjectRules,
  p: Participant,
): ParticipantResult {
  return participantResult(scoring, types, rules, {
    workComplete: true,
    variant: p.variant,
    as1: { state: 'final', values: p.as1 },
    as2: expectedScores(rules, p),
    appealPending: false,
  });
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** The regional system's export in region 38's layout: exam points (Windows-1251), participants (XML), kits. */
export function risFiles(world: World): { name: string; bytes: Uint8Array }[] {
  const ppes = [
    'Код ППЭ;Наименование;Адрес',
    ...world.ppes.map((c) => `${c};МБОУ СОШ № ${Number(c)};г. Иркутск, ул. Ленина, ${Number(c)}`),
  ].join('\r\n');
  const people = world.participants.map((p) => {
    const surname = SURNAMES[p.index % SURNAMES.length]!;
    const name = NAMES[(p.index >> 3) % NAMES.length]!;
    const person = p.refused
      ? '<PDRefused>Да</PDRefused>'
      : `<PDRefused>Нет</PDRefused><Surname>${xmlText(surname)}</Surname><Name>${xmlText(name)}</Name>` +
        `<Document Series="25${String(p.index % 100).padStart(2, '0')}" Number="${String(100000 + p.index)}"/>` +
        '<BirthDay>12.05.2008</BirthDay>';
    return (
      `<Participant ParticipantID="${p.code}"><Exam SubjectCode="02" Date="2026-06-01"/><PPE>${p.ppe}</PPE>` +
      `<SchoolCode>${p.school}</SchoolCode>${person}</Participant>`
    );
  });
  const kits = [
    'Комплект;Предмет;Участник;Бланк регистрации;Бланк ответов 1;Бланк ответов 2 лист 1;Бланк ответов 2 лист 2',
    ...world.participants.map((p) =>
      [p.kit, '02', p.code, ...ROLES.map((r) => p.sheets[r].number)].join(';'),
    ),
  ].join('\r\n');
  return [
    { name: 'ppe-38.csv', bytes: encodeText(ppes, 'windows-1251') },
    {
      name: 'participants-38.xml',
      bytes: encodeText(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Participants region="38">\n${people.join('\n')}\n</Participants>\n`,
        'utf-8',
      ),
    },
    { name: 'kits-38.csv', bytes: encodeText(kits, 'utf-8') },
  ];
}
