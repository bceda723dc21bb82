/** Where a page's image is and how it was registered: what the page images (platform/images.ts) draw from. */
import type { Matrix3 } from '../../pipeline/geometry.ts';
import type { Queryable } from '../db.ts';

export interface PageSource {
  objectKey: string;
  pageIndex: number;
}

/** The stored file a page is in and its place in it; null for no such page. */
export async function pageSource(db: Queryable, pageId: string): Promise<PageSource | null> {
  const [page] = await db.query<PageSource>(
    `select i.object_key as "objectKey", p.page_index as "pageIndex"
     from pages p join images i on i.sha256 = p.image_sha256 where p.id = $1`,
    [pageId],
  );
  return page ?? null;
}

/** The page's file, its form and the transform registration found (null before or without one). */
export async function pageRegistration(
  db: Queryable,
  pageId: string,
): Promise<(PageSource & { form: string | null; transform: Matrix3 | null }) | null> {
  const [page] = await db.query<PageSource & { form: string | null; transform: Matrix3 | null }>(
    `select i.object_key as "objectKey", p.page_index as "pageIndex", p.form,
       p.recognition->'registration'->'transform' as transform
     from pages p join images i on i.sha256 = p.image_sha256 where p.id = $1`,
    [pageId],
  );
  return page ?? null;
}
