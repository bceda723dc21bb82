/** Small pieces the stations share. */

/** Runs a request, showing its failure (the station's). */
export type Guard = (f: () => Promise<void>) => Promise<void>;

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
