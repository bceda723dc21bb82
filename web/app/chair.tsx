/**
 * The subject-commission chair's dashboard: progress by check round, overdue works, each expert's load and
 * figures against the standards (chair-progress.tsx), pulling a batch for an expert and paper protocols,
 * downloads of works (chair-paper.tsx), appeals with their kits, steps and decisions and what is overdue
 * (chair-appeals.tsx), the exam's results (results.tsx), the exam's analytics (chair-analytics.tsx).
 */

import { useEffect, useState } from 'preact/hooks';
import type { ExamRow } from '../../contract/admin.ts';
import type { assignChecks, ExpertStatistics, Progress } from '../../contract/checking.ts';
import type { Answer } from '../../contract/endpoint.ts';
import { failure, json } from './api.ts';
import { Analytics } from './chair-analytics.tsx';
import { Appeals, OverduePanel } from './chair-appeals.tsx';
import { Experts } from './chair-experts.tsx';
import { Batches, WorksDownload } from './chair-paper.tsx';
import { ExpertsTable, ProgressTable } from './chair-progress.tsx';
import { Refusal } from './confirm.tsx';
import { ExamPicker } from './exams.tsx';
import { Results } from './results.tsx';
import { inSentence, say } from './texts.ts';
import { Field, useIsCurrent } from './ui.tsx';

export function ChairStation() {
  const [exams, setExams] = useState<ExamRow[]>([]);
  const [exam, setExam] = useState<ExamRow | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [stats, setStats] = useState<ExpertStatistics[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  // Counts the appeals' steps and decisions recorded here: each asks the overdue panel again.
  const [appealChanges, setAppealChanges] = useState(0);
  const [handOver, setHandOver] = useState({ checkId: '', expertId: '' });

  const guard = async (f: () => Promise<void>) => {
    setError('');
    try {
      await f();
    } catch (err) {
      setError(failure(err));
    }
  };
  useEffect(() => {
    void guard(async () => {
      const list = (await json<ExamRow[]>('GET', '/api/exams')) ?? [];
      setExams(list);
      setExam(list[0] ?? null);
    });
  }, []);
  const isCurrent = useIsCurrent(exam?.id);
  const refresh = () =>
    guard(async () => {
      if (!exam) return;
      const year = exam.date.slice(0, 4);
      const [found, statistics] = await Promise.all([
        json<Progress>('GET', `/api/checking/progress?exam=${encodeURIComponent(exam.id)}`),
        json<ExpertStatistics[]>(
          'GET',
          `/api/checking/statistics?year=${year}&subject=${exam.subjectCode}&kind=${exam.kind}`,
        ),
      ]);
      if (!isCurrent(exam.id)) return;
      setProgress(found);
      setStats(statistics ?? []);
    });
  useEffect(() => {
    void refresh();
  }, [exam?.id]);

  // Hands a check to another expert (within the rules of a pull), or back to the pool with null.
  const reassign = (checkId: number, expertId: string | null) =>
    guard(async () => {
      const r = await json<Answer<typeof assignChecks>>('POST', '/api/checking/assign', {
        checkIds: [checkId],
        expertId,
      });
      // The refresh clears the last error first: the refusal is shown after it, in red, not as a notice.
      await refresh();
      const refused = r?.refused[0];
      setNotice(
        refused
          ? ''
          : `Проверка № ${checkId} ${expertId ? `передана эксперту ${expertId}` : 'возвращена в очередь'}`,
      );
      if (refused) setError(`Проверка № ${checkId} не передана: ${inSentence(say(refused))}`);
    });

  return (
    <section class="chair">
      <ExamPicker exams={exams} exam={exam} onPick={setExam} withDeadline />
      <Refusal text={error} />
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}

      <OverduePanel guard={guard} revision={appealChanges} />
      <ProgressTable progress={progress} onReturn={(checkId) => reassign(checkId, null)} />
      <ExpertsTable stats={stats} progress={progress} />
      <Experts exam={exam} guard={guard} notify={setNotice} />
      <Batches guard={guard} notify={setNotice} onPulled={refresh} />

      <h2>Передать проверку</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void reassign(Number(handOver.checkId), handOver.expertId.trim() || null);
        }}
      >
        <Field
          label="№ проверки"
          value={handOver.checkId}
          onChange={(checkId) => setHandOver({ ...handOver, checkId })}
        />
        <Field
          label="Эксперт (пусто: в очередь)"
          list="expert-users"
          value={handOver.expertId}
          onChange={(expertId) => setHandOver({ ...handOver, expertId })}
        />
        <button type="submit" disabled={!/^\d+$/.test(handOver.checkId)}>
          Передать
        </button>
      </form>

      <WorksDownload guard={guard} />
      <Appeals guard={guard} notify={setNotice} onChanged={() => setAppealChanges((n) => n + 1)} />
      <Results exam={exam} guard={guard} />
      <Analytics exam={exam} guard={guard} />
    </section>
  );
}
