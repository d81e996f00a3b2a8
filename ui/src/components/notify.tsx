import { useEffect, useState } from 'preact/hooks';

/** Short confirmations and failures of actions, announced to screen readers (aria-live). */
export interface Note {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

let next = 1;
let notes: Note[] = [];
const listeners = new Set<(notes: Note[]) => void>();

function publish(): void {
  for (const listener of listeners) listener(notes);
}

export function notify(text: string, kind: Note['kind'] = 'ok'): void {
  const note = { id: next++, kind, text };
  notes = [...notes.slice(-3), note];
  publish();
  setTimeout(
    () => {
      notes = notes.filter((item) => item.id !== note.id);
      publish();
    },
    kind === 'error' ? 8000 : 4000,
  );
}

export function Notes() {
  const [current, setCurrent] = useState(notes);
  useEffect(() => {
    listeners.add(setCurrent);
    return () => {
      listeners.delete(setCurrent);
    };
  }, []);
  return (
    <div class="notes" role="status" aria-live="polite">
      {current.map((note) => (
        <p key={note.id} class={`note note-${note.kind}`}>
          {note.text}
        </p>
      ))}
    </div>
  );
}
