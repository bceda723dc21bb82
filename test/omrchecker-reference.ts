/**
 * OMRChecker's approved readings of its samples (its snapshot file, test_all_samples.ambr): every results table
 * it holds, one entry per image, with the template that reads it. The tables are pandas' text output: cells
 * are right-aligned under their header, so a column runs from the end of the header before it to the end of
 * its own (values may hold spaces: "JEE Mains OMR 1.jpg", and so may headers: "Subject Code").
 */
import { expandLabels } from '../calibration/import-omrchecker.ts';

export interface ReferenceSheet {
  /** The image's path under the corpus folder. */
  image: string;
  template: unknown;
  /** Column name (a field label or a custom label) → OMRChecker's value. */
  values: Record<string, string>;
}

const META = ['file_id', 'input_path', 'output_path', 'score'];

/** Names of a template's output columns: its custom labels and the fields outside them. */
function columnsOf(template: unknown): string[] {
  const t = template as {
    customLabels?: Record<string, string[]>;
    fieldBlocks: Record<string, { fieldLabels: string[] }>;
  };
  const custom = Object.entries(t.customLabels ?? {});
  const inCustom = new Set(custom.flatMap(([, l]) => expandLabels(l)));
  const fields = Object.values(t.fieldBlocks).flatMap((b) => expandLabels(b.fieldLabels));
  return [...custom.map(([name]) => name), ...fields.filter((f) => !inCustom.has(f))];
}

/** End offset of each named column in a header line, matching the longest known name at each step. */
function headerEnds(header: string, names: string[]): Map<string, number> | null {
  const ends = new Map<string, number>();
  const known = [...names].sort((a, b) => b.length - a.length);
  let at = 0;
  while (at < header.length) {
    while (header[at] === ' ') at++;
    if (at >= header.length) break;
    const name = known.find(
      (n) => header.startsWith(n, at) && (at + n.length === header.length || header[at + n.length] === ' '),
    );
    if (!name) return null;
    at += name.length;
    ends.set(name, at);
  }
  return ends;
}

/**
 * Every results table in the snapshot. `templateFor` gives the template that reads an image (OMRChecker takes
 * the nearest template.json up its folder); images outside `corpus` (samples not copied) are left out.
 */
export function parseReference(
  ambr: string,
  templateFor: (image: string) => unknown,
  exists: (image: string) => boolean,
): ReferenceSheet[] {
  const sheets: ReferenceSheet[] = [];
  const tables = ambr.split(/'[^']*Results_[^']*\.csv': '''\n/).slice(1);
  for (const table of tables) {
    const lines = table
      .slice(0, table.indexOf("    '''"))
      .split('\n')
      .filter((l) => l.trim() !== '');
    const [header, ...rows] = lines.map((l) => l.slice(6));
    if (!header) continue;
    for (const row of rows) {
      const path = /samples\/(\S+)/.exec(row)?.[1];
      // A file name with spaces: the input path ends where the output path begins.
      const image = path && /samples\/(.+?)\s+outputs\//.exec(row)?.[1];
      if (!image || !exists(image)) continue;
      const template = templateFor(image);
      const ends = headerEnds(header, [...META, ...columnsOf(template)]);
      if (!ends) throw new Error(`results header of ${image} does not match its template's columns`);
      const values: Record<string, string> = {};
      let start = 0;
      for (const [name, end] of ends) {
        if (!META.includes(name)) values[name] = row.slice(start, end).trim();
        start = end;
      }
      sheets.push({ image, template, values });
    }
  }
  return sheets;
}
