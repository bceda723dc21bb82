/** Small pieces the stations share. */
import { useRef } from 'preact/hooks';

/** Runs a request, showing its failure (the station's). */
export type Guard = (f: () => Promise<void>) => Promise<void>;

/**
 * Whether a key (the exam picked) is still the one on screen. A loader captures the key before it asks and
 * shows the answer only if it still is: answers can arrive out of order, and an earlier exam's results
 * arriving late must not be shown under the exam picked since.
 */
export function useIsCurrent<K>(key: K): (asked: K) => boolean {
  const current = useRef(key);
  current.current = key;
  return (asked) => current.current === asked;
}

/** A text input named by its label (for screen readers and tests) and showing it as its placeholder. */
export function Field(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  title?: string;
  /** A datalist's id: values to pick from while typing. */
  list?: string;
}) {
  return (
    <input
      type="text"
      list={props.list}
      aria-label={props.label}
      placeholder={props.label}
      title={props.title}
      value={props.value}
      onInput={(e) => props.onChange(e.currentTarget.value)}
    />
  );
}
