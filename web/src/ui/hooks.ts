import { useEffect, useState } from 'react';

/** The value, once it has stopped changing for `ms` (search boxes: one request per pause, not per key). */
function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/** A search box's text, and the trimmed search to send once typing pauses (250 ms). */
export function useSearchText(): [text: string, setText: (text: string) => void, search: string] {
  const [text, setText] = useState('');
  return [text, setText, useDebounced(text.trim(), 250)];
}
