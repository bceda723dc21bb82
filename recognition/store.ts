/**
 * What recognition reads and writes of a page: where its image is, its result and fields (once: only a page
 * still pending is taken), and the counts and times the metrics report.
 */
import type { PageResult } from '../pipeline/page-job.ts';
import type { RecognisedField } from '../pipeline/result.ts';
import type { Queryable } from '../platform/db.ts';

export interface PageToRecognise {
  status: string;
  /** The page's file by content and the page in it: what a control sample draws by. */
  imageSha256: string;
  pageIndex: number;
  objectKey: string;
  examYear: number | null;
}

/** The page's status and where its image is; null for no such page. */
export async function pageToRecognise(db: Queryable, pageId: string): Promise<PageToRecognise | null> {
  // The exam year of the batch the file came in: its answers are read by that year's answer types.
  const [page] = await db.query<PageToRecognise>(
    `select p.status, p.image_sha256 as "imageSha256", p.page_index as "pageIndex", i.object_key as "objectKey",
       (select min(e.year) from batch_items bi join batches b on b.id = bi.batch_id
          join exams e on e.id = b.exam_id where bi.image_sha256 = p.image_sha256) as "examYear"
     from pages p join images i on i.sha256 = p.image_sha256 where p.id = $1`,
    [pageId],
  );
  return page ?? null;
}

/**
 * Writes a page's result and fields (a field without doubt final at once, unless it is in the control sample:
 * `control`), only if the page is still pending. Whether it was: a job run twice writes nothing the second
 * time.
 */
export async function recordResult(
  tx: Queryable,
  pageId: string,
  r: PageResult,
  control: readonly string[] = [],
): Promise<boolean> {
  const taken = await tx.query(
    `update pages set status = $2, form = $3, reason = $4, detail = $5, sheet_number = $6,
       recognition = $7, recognised_at = now()
     where id = $1 and status = 'pending' returning id`,
    [
      pageId,
      r.status,
      r.form,
      r.reason ?? null,
      r.detail ?? null,
      r.sheetNumber ?? null,
      JSON.stringify({
        barcodes: r.barcodes,
        doubt: r.doubt,
        registration: r.registration ?? null,
        ms: r.ms,
        // Which characters of each doubtful field are doubtful and why, for the verifier's task.
        cells: Object.fromEntries(
          Object.entries(r.fields).flatMap(([name, f]) => (f.cells ? [[name, f.cells]] : [])),
        ),
      }),
    ],
  );
  if (taken.length === 0) return false;
  const entries: [string, RecognisedField][] = Object.entries(r.fields);
  if (entries.length > 0) {
    await tx.query(
      `insert into fields (page_id, name, value, confidence, doubt, final_value, status)
       select $1, t.name, t.value, t.confidence, string_to_array(t.doubt, ','),
         case when t.settled then t.value end, case when t.settled then 'accepted' else 'doubtful' end
       from (select *, doubt = '' and not name = any($6::text[]) as settled
             from unnest($2::text[], $3::text[], $4::real[], $5::text[]) as u(name, value, confidence, doubt)) t`,
      [
        pageId,
        entries.map(([n]) => n),
        entries.map(([, f]) => f.value),
        entries.map(([, f]) => f.confidence),
        entries.map(([, f]) => f.doubt.join(',')),
        control,
      ],
    );
  }
  return true;
}

/** Pages still waiting for recognition, by id. */
export async function pendingPages(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ id: string }>(`select id from pages where status = 'pending' order by id`);
  return rows.map((r) => r.id);
}

/** How many pages there are by status. */
export async function pageCounts(db: Queryable): Promise<{ status: string; n: number }[]> {
  return db.query('select status, count(*)::int as n from pages group by status order by status');
}

/** Recognition time per page over the last hour (median, 95th percentile, ms) and how many pages. */
export async function recentRecognitionTimes(
  db: Queryable,
): Promise<{ p50: number | null; p95: number | null; n: number }> {
  const [ms] = await db.query<{ p50: number | null; p95: number | null; n: number }>(
    `select percentile_cont(0.5) within group (order by (recognition->'ms'->>'total')::float) as p50,
            percentile_cont(0.95) within group (order by (recognition->'ms'->>'total')::float) as p95,
            count(*)::int as n
     from pages where recognised_at > now() - interval '1 hour' and recognition->'ms'->>'total' is not null`,
  );
  return ms ?? { p50: null, p95: null, n: 0 };
}
