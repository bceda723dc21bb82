-- Retention of rows (issue 16 item 6): a destruction act lists, beside the files it destroyed, each exam's
-- rows of a material that it erased, anonymised or deleted, by count per table; never the rows' content.
create table destruction_act_records (
  act_id bigint not null references destruction_acts (id),
  exam_id text not null references exams (id),
  material text not null,
  action text not null check (action in ('destroy', 'anonymise')),
  due_day date not null,
  late boolean not null,
  -- Rows changed per table, e.g. {"fields": 12, "corrections": 3}.
  rows jsonb not null,
  primary key (act_id, exam_id, material)
);

-- A training set of AS2 pages for next year's experts (order L207), chosen before the originals' destruction
-- date (order L395): its copies are stored objects of their own ('training-copy'), made from the expert's
-- redacted view. Nothing here names the page, sheet or work a copy came from: the set is depersonalised.
create table training_sets (
  id bigint generated always as identity primary key,
  exam_id text not null references exams (id),
  chosen_by text not null,
  chosen_at timestamptz not null,
  purpose text not null
);

create table training_set_items (
  set_id bigint not null references training_sets (id),
  object_key text not null references stored_objects (object_key),
  primary key (set_id, object_key)
);
