/**
 * The stations: sign-in with the access key the RCOI issued, then the stations the user's role may use (the
 * first of them is the role's home).
 * Routing is by the URL's hash (#/verify, #/expert/12, …), so a reload keeps the place.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Me } from '../../contract/admin.ts';
import { AdminStation } from './admin.tsx';
import { ApiError, failure, json, token, whenSignedOut } from './api.ts';
import { ChairStation } from './chair.tsx';
import { ExpertStation } from './expert.tsx';
import { OperatorStation } from './operator.tsx';
import { VerifierModes } from './verify-group.tsx';
import './style.css';

interface Station {
  path: string;
  title: string;
  roles: Me['role'][];
  view: (props: { me: Me; rest: string[] }) => preact.JSX.Element;
}

const STATIONS: Station[] = [
  { path: 'operator', title: 'Сканирование', roles: ['operator', 'admin'], view: OperatorStation },
  { path: 'verify', title: 'Верификация', roles: ['verifier', 'senior-verifier'], view: VerifierModes },
  { path: 'chair', title: 'Председатель ПК', roles: ['chair', 'admin'], view: ChairStation },
  { path: 'expert', title: 'Проверка работ', roles: ['expert', 'chair'], view: ExpertStation },
  { path: 'admin', title: 'Администрирование', roles: ['admin'], view: AdminStation },
];

const ROLE_NAMES: Record<Me['role'], string> = {
  operator: 'оператор сканирования',
  verifier: 'верификатор',
  'senior-verifier': 'старший верификатор',
  expert: 'эксперт',
  chair: 'председатель ПК',
  admin: 'администратор РЦОИ',
};

function useHash(): string[] {
  const parts = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [hash, setHash] = useState(parts);
  useEffect(() => {
    const on = () => setHash(parts());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    // Keys are Latin letters and digits: Cyrillic ones mean the keyboard is in the other layout (and could
    // not even be sent in the request's header).
    if (/[^\x21-\x7e]/.test(key.trim())) {
      setError('Ключ доступа не подходит: в нём русские буквы, проверьте раскладку клавиатуры');
      return;
    }
    token.set(key.trim());
    try {
      onSignedIn((await json<Me>('GET', '/api/me'))!);
    } catch (err) {
      token.clear();
      setError(err instanceof ApiError && err.status === 401 ? 'Ключ доступа не подходит' : failure(err));
    }
  };
  return (
    <main>
      <form class="signin" onSubmit={submit}>
        <h1>РЦОИ: обработка бланков</h1>
        <label>
          Ключ доступа
          <input
            name="key"
            ref={input}
            type="password"
            autoComplete="off"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={key.trim() === ''}>
          Войти
        </button>
        {error && <p class="error">{error}</p>}
      </form>
    </main>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(token.get() ? undefined : null);
  const [path, ...rest] = useHash();
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    if (me === undefined)
      json<Me>('GET', '/api/me')
        .then(setMe)
        .catch(() => setMe(null));
  }, []);
  if (me === undefined)
    return (
      <main>
        <p class="muted">Загрузка…</p>
      </main>
    );
  if (me === null) return <SignIn onSignedIn={setMe} />;
  const mine = STATIONS.filter((s) => s.roles.includes(me.role));
  const station = mine.find((s) => s.path === path);
  if (!station && mine[0]) {
    location.hash = `#/${mine[0].path}`;
    return null;
  }
  const signOut = () => {
    token.clear();
    setMe(null);
  };
  return (
    <>
      <header>
        <nav aria-label="Станции">
          {mine.map((s) => (
            <a
              key={s.path}
              href={`#/${s.path}`}
              class={s === station ? 'current' : ''}
              aria-current={s === station ? 'page' : undefined}
            >
              {s.title}
            </a>
          ))}
        </nav>
        <span class="who">
          {me.name} · {ROLE_NAMES[me.role]}
        </span>
        <button type="button" class="link" onClick={signOut}>
          Выйти
        </button>
      </header>
      {/* The station's own heading: where the user is, for screen readers and at a glance. */}
      <main>
        {station && (
          <>
            <h1>{station.title}</h1>
            <station.view me={me} rest={rest} />
          </>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
