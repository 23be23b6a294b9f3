import { useQuery } from '@tanstack/react-query';
import { ErrorAlert, SearchField } from './forms.tsx';
import { useSearchText } from './hooks.ts';

/**
 * Choose one record by typing part of it: matches appear as buttons under the search box; the
 * choice replaces the box until it is cleared. Used for filters that need an id (item, location).
 */
export function SearchPicker<T>(props: {
  label: string;
  placeholder?: string;
  /** The longest search the server accepts. */
  maxLength?: number;
  selected: T | null;
  onSelect: (value: T | null) => void;
  /** Cache key prefix of the search; the text typed is appended. */
  queryKey: readonly unknown[];
  search: (q: string) => Promise<T[]>;
  keyOf: (value: T) => string;
  describe: (value: T) => string;
}) {
  const {
    label,
    placeholder,
    maxLength = 100,
    selected,
    onSelect,
    queryKey,
    search,
    keyOf,
    describe,
  } = props;
  const [text, setText, q] = useSearchText();
  const results = useQuery({
    queryKey: [...queryKey, q],
    queryFn: () => search(q),
    enabled: selected === null && q !== '',
  });

  if (selected !== null) {
    return (
      <fieldset className="field picked-field">
        <legend className="field-label">{label}</legend>
        <div className="picked">
          <span className="picked-value">{describe(selected)}</span>
          <button
            type="button"
            className="button button-secondary button-small"
            aria-label={`Clear ${label.toLowerCase()}`}
            onClick={() => {
              setText('');
              onSelect(null);
            }}
          >
            Clear
          </button>
        </div>
      </fieldset>
    );
  }

  const matches = q && results.data ? results.data : [];
  return (
    <div className="picker">
      <SearchField
        label={label}
        placeholder={placeholder}
        autoComplete="off"
        maxLength={maxLength}
        value={text}
        onChange={setText}
      />
      <ErrorAlert error={results.error} />
      {q !== '' && results.isSuccess && matches.length === 0 && (
        <p className="muted small" role="status">
          No match for “{q}”.
        </p>
      )}
      {matches.length > 0 && (
        <ul className="picker-results" aria-label={`Matching ${label.toLowerCase()}`}>
          {matches.map((value) => (
            <li key={keyOf(value)}>
              <button type="button" onClick={() => onSelect(value)}>
                {describe(value)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
