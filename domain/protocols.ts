/**
 * Checking protocols, for experts who mark on paper: which scores a printed protocol's lines hold, and what a
 * filled-in protocol says. The form (forms/definitions/ege-protocol.json) has five cells for the expert's
 * code and ten lines of six one-digit cells (`work.{line}.k{column}`). A check's criteria fill lines six at a
 * time, in the rules' order, and a check never spans two protocols. Reading is strict: a protocol with a
 * missing, extra or unreadable score is refused whole, never guessed at (a spoiled protocol is replaced, not
 * corrected).
 */
import type { Scores } from './checking.ts';

export const PROTOCOL_LINES = 10;
export const PROTOCOL_COLUMNS = 6;
/** One cell per score: a criterion worth more than 9 points cannot be written on this form. */
const MAX_ON_PAPER = 9;

export class ProtocolError extends Error {}

export interface ProtocolCheck {
  checkId: number;
  workCode: string;
  criteria: { id: string; max: number }[];
}

export interface ProtocolLine {
  line: number;
  checkId: number;
  workCode: string;
  /** The criteria whose scores the line's cells hold, in column order. */
  criteria: string[];
}

export const scoreField = (line: number, column: number) => `work.${line}.k${column}`;
export const EXPERT_CODE_FIELD = 'expert_code';

/** Lays checks out on protocols: one array of lines per protocol, in the order the checks were given. */
export function protocolPages(checks: ProtocolCheck[]): ProtocolLine[][] {
  const pages: ProtocolLine[][] = [];
  let page: ProtocolLine[] = [];
  for (const c of checks) {
    if (c.criteria.length === 0) throw new ProtocolError(`check ${c.checkId} has no criteria to score`);
    const over = c.criteria.find((k) => k.max > MAX_ON_PAPER);
    if (over)
      throw new ProtocolError(
        `criterion ${over.id} is worth up to ${over.max} points: one cell holds 0-${MAX_ON_PAPER}`,
      );
    const chunks: string[][] = [];
    for (let i = 0; i < c.criteria.length; i += PROTOCOL_COLUMNS)
      chunks.push(c.criteria.slice(i, i + PROTOCOL_COLUMNS).map((k) => k.id));
    if (chunks.length > PROTOCOL_LINES)
      throw new ProtocolError(
        `check ${c.checkId} needs ${chunks.length} lines; a protocol has ${PROTOCOL_LINES}`,
      );
    if (page.length + chunks.length > PROTOCOL_LINES) {
      pages.push(page);
      page = [];
    }
    for (const criteria of chunks)
      page.push({ line: page.length + 1, checkId: c.checkId, workCode: c.workCode, criteria });
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

export type ProtocolReading = { ok: true; scores: Map<number, Scores> } | { ok: false; reason: string };

/**
 * The scores a filled-in protocol gives each of its checks, from the final values of its fields; or why it
 * cannot be taken. `expertCode` is the code of the expert it was printed for.
 */
export function readProtocol(
  lines: ProtocolLine[],
  expertCode: string,
  values: Record<string, string | undefined>,
): ProtocolReading {
  const refuse = (reason: string): ProtocolReading => ({ ok: false, reason });
  const written = values[EXPERT_CODE_FIELD] ?? '';
  if (written !== expertCode)
    return refuse(
      `the expert code written (${written || 'none'}) is not ${expertCode}, the code of the expert it was printed for`,
    );
  const byLine = new Map(lines.map((l) => [l.line, l]));
  const scores = new Map<number, Scores>();
  for (let line = 1; line <= PROTOCOL_LINES; line++) {
    const l = byLine.get(line);
    for (let column = 1; column <= PROTOCOL_COLUMNS; column++) {
      const v = values[scoreField(line, column)] ?? '';
      const criterion = l?.criteria[column - 1];
      if (criterion === undefined) {
        if (v !== '') return refuse(`line ${line} column K${column} holds "${v}" where no score belongs`);
        continue;
      }
      if (!/^\d$/.test(v))
        return refuse(
          v === ''
            ? `line ${line} (work ${l!.workCode}) has no score for criterion ${criterion}`
            : `line ${line} (work ${l!.workCode}) has "${v}" for criterion ${criterion}, not one digit`,
        );
      const s = scores.get(l!.checkId) ?? {};
      s[criterion] = Number(v);
      scores.set(l!.checkId, s);
    }
  }
  return { ok: true, scores };
}

/** A protocol as printed: its sheet number, the exam, the expert's code and the lines of checks. */
export interface PrintedProtocol {
  sheetNumber: string;
  examId: string;
  expertCode: string;
  lines: ProtocolLine[];
}
