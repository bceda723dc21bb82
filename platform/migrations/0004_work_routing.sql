-- Where a complete work goes next: blank-AS2 screening or expert checking (decided once, by the route stage).
alter table works add column route text check (route in ('blank-screening', 'checking'));
alter table works add column routed_at timestamptz;
-- Finding the sheet whose link names a given additional AS2 (the chain walked back to its kit).
create index fields_links on fields (final_value) where name in ('additional_sheet', 'next_sheet');
