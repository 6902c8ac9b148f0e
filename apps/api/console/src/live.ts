/**
 * Live data for a page: loads at once, then again every few seconds while the page is shown
 * (polling keeps the server stateless and works through any proxy), and after an action.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { failureText } from './format';

export const REFRESH_MS = 5_000;

export interface Live<T> {
  data: T | null;
  error: string | null;
  /** Loads now (after an action), without waiting for the next tick. */
  reload: () => void;
}

export function useLive<T>(load: () => Promise<T>, deps: unknown[], everyMs = REFRESH_MS): Live<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = useRef(load);
  current.current = load;
  // Bumped when the page's inputs change: an answer for the old inputs is dropped.
  const epoch = useRef(0);

  const reload = useCallback(() => {
    const mine = epoch.current;
    current
      .current()
      .then((value) => {
        if (mine !== epoch.current) return;
        setData(value);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (mine !== epoch.current) return;
        setError(failureText(failure));
      });
  }, []);

  useEffect(() => {
    epoch.current += 1;
    setData(null);
    reload();
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, deps);

  return { data, error, reload };
}
