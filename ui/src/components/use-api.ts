import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
  /** Replace the data in place (after an edit whose answer is the new record). */
  setData: (update: (previous: T | undefined) => T | undefined) => void;
}

export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'HF_ERR_UI', error instanceof Error ? error.message : String(error));
}

/** Loads with `load` when `deps` change; a late answer to an older load is dropped. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const sequence = useRef(0);

  useEffect(() => {
    const mine = ++sequence.current;
    setLoading(true);
    load().then(
      (value) => {
        if (mine !== sequence.current) return;
        setDataState(() => value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (mine !== sequence.current) return;
        setError(toApiError(failure));
        setLoading(false);
      },
    );
    // load is a fresh closure each render; deps say when it means something new.
  }, [...deps, round]);

  const reload = useCallback(() => setRound((value) => value + 1), []);
  const setData = useCallback((update: (previous: T | undefined) => T | undefined) => setDataState((previous) => update(previous)), []);
  return { data, error, loading, reload, setData };
}
