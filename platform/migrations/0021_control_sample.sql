-- A blind control sample: answers read without a doubt, drawn at random by their form's controlShare, verified
-- as any doubt is. Their corrections count the silent errors the thresholds let through; the share they were
-- drawn at (null: not drawn) is what each stands for when a threshold is refitted on verified answers.
alter table verification_tasks add column control_share double precision;
create index verification_tasks_control on verification_tasks (page_id) where control_share is not null;
