/**
 * The confirmation every station asks before an irreversible step (sending scores, disabling a user,
 * registering an appeal…): a modal dialog saying what will happen, the step's own button and "Отмена".
 * Esc and "Отмена" do nothing; the focus starts on "Отмена", so an Enter pressed out of habit does no harm.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

interface Question {
  text: string;
  yes: string;
  answer: (yes: boolean) => void;
}

/** The dialog to render and `ask(text, yes)`, which resolves true when the user confirms. */
export function useConfirm(): [preact.JSX.Element | null, (text: string, yes: string) => Promise<boolean>] {
  const [question, setQuestion] = useState<Question | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!question) return;
    dialog.current?.showModal();
    cancel.current?.focus();
  }, [question]);
  const ask = (text: string, yes: string) =>
    new Promise<boolean>((resolve) =>
      setQuestion({
        text,
        yes,
        answer: (ok) => {
          dialog.current?.close();
          setQuestion(null);
          resolve(ok);
        },
      }),
    );
  const view = question && (
    <dialog
      ref={dialog}
      class="confirm"
      role="alertdialog"
      aria-labelledby="confirm-text"
      onCancel={(e) => {
        e.preventDefault();
        question.answer(false);
      }}
    >
      <p id="confirm-text">{question.text}</p>
      <div class="row">
        <button type="button" onClick={() => question.answer(true)}>
          {question.yes}
        </button>
        <button type="button" class="secondary" ref={cancel} onClick={() => question.answer(false)}>
          Отмена
        </button>
      </div>
    </dialog>
  );
  return [view, ask];
}

/** A refusal or failure: red, and announced to screen readers at once. */
export function Refusal({ text }: { text: string }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}
