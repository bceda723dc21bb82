-- An expert's scores saved before they are sent: restored when the check is opened again, never a submission.
-- One draft per check and expert; a check handed to someone else does not show them another's draft.
create table check_drafts (
  check_id bigint not null references checks (id),
  expert_id text not null references users (id),
  scores jsonb not null,
  saved_at timestamptz not null,
  primary key (check_id, expert_id)
);
