-- GVE is sat in grade 9 (GIA-9, beside OGE) and in grade 11 (beside EGE), and the regulation treats them
-- apart: GIA-9's materials are kept half a year (road map L453, L455), GVE-9's results are recalculated by the
-- RCOI and GVE-11's by the federal centre (order L129-131). A GVE exam registered from now on names its grade;
-- ones registered before stay null (unknown) and keep GVE-11's retention, as they did.
alter table exams add column grade int check (grade in (9, 11));
alter table exams add constraint exams_grade_gve check (grade is null or kind = 'GVE');
