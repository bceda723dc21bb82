-- Lookups that scanned whole tables, found by bench:season at 20,000 participants: recognition slowed from 13
-- to under 3 pages/s as the tables grew, with kit assemblies waiting up to 70 s on each other's locks.
-- Assembling a kit finds its exam through the batch items of its pages' images.
create index batch_items_image on batch_items (image_sha256);
-- A recognised or verified page asks which sheet it stands for (sheetToFollow, a verifier's undo).
create index sheets_page on sheets (page_id);
-- An additional AS2 finds its kit back along the links that name it (kitOfSheet).
create index fields_link_value on fields (final_value) where name in ('additional_sheet', 'next_sheet');
