/**
 * The lookups a season repeats for every page or kit are served by an index (migration 0020). bench:season
 * at 20,000 participants found them scanning whole tables: recognition fell from 13 to under 3 pages/s as the
 * tables grew, and kit assemblies waited up to 70 s on each other's locks. Each store function runs here on
 * a database that answers every query with its plan, sequential scans priced out: without an index the plan
 * still scans the table, and the test fails.
 */
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../platform/db.ts';
import { migrate } from '../platform/migrate.ts';
import { sheetToFollow } from '../works/store/sheets.ts';
import { examOfSheets, kitOfSheet } from '../works/store.ts';
import { DATABASES, undoAfterAll } from './services.ts';

const undo = undoAfterAll();

describe.each(DATABASES)('lookups by index on %s', (_name, open) => {
  it('finds a kit’s exam, a page’s sheet and an additional sheet’s kit without scanning a table', async () => {
    const db = await open();
    undo(() => db.close());
    await migrate(db);
    const plans = await db.transaction(async (tx) => {
      await tx.exec('set local enable_seqscan = off');
      const plans: string[] = [];
      const explaining: Queryable = {
        query: async <T extends object>(sql: string, params?: unknown[]) => {
          const rows = await tx.query<Record<string, string>>(`explain ${sql}`, params);
          plans.push(rows.map((r) => Object.values(r).join('')).join('\n'));
          return [] as T[];
        },
        exec: (sql) => tx.exec(sql),
      };
      await examOfSheets(explaining, ['1000000000014', '2000000000011']);
      await sheetToFollow(explaining, 'page-1');
      await kitOfSheet(explaining, '5000000000017');
      return plans;
    });
    expect(plans).toHaveLength(4);
    for (const plan of plans) expect(plan).not.toMatch(/Seq Scan on (batch_items|sheets|fields)\b/);
    // What the plans are made of: the lookups reach their tables by index.
    expect(plans.join('\n')).toMatch(/Index .*batch_items_image/);
    expect(plans.join('\n')).toMatch(/Index .*sheets_page/);
    expect(plans.join('\n')).toMatch(/Index .*fields_link_value/);
  });
});
