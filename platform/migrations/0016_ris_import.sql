-- Participants, exam points and kits from the regional information system (RIS import, issue 16.2).

-- Exam points (PPE) as the RIS names them; a batch's ppe_code names one of these.
create table ppes (
  code text primary key,
  name text not null,
  address text
);

-- A participant registered in the RIS is known by its code per exam, with its exam point and school. One who
-- refused processing of personal data (order L21, L561-562, L693) is kept under that code only: the database
-- itself refuses a name, document or birth date on such a row.
alter table personal.participants
  add column code text,
  add column ppe_code text references ppes (code),
  add column school text,
  add column birth_date date,
  add column refused_processing boolean not null default false,
  add constraint participants_code_per_exam unique (exam_id, code),
  add constraint participants_refused_under_code_only check (
    not refused_processing
    or (code is not null and surname is null and name is null and patronymic is null and document is null
        and birth_date is null)
  );
