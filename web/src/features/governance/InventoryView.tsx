import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { formatDateTime } from '../../ui/format.ts';
import { ErrorAlert } from '../../ui/forms.tsx';
import { DATA_CLASSES, type DataClass, getInventory, governanceKeys } from './api.ts';

const CLASS_LABEL: Record<DataClass, string> = {
  PERSONAL: 'Personal',
  SENSITIVE: 'Sensitive',
  OPERATIONAL: 'Operational',
  AUDIT: 'Audit',
};

/** Every table we hold: what its columns are, how many rows, why we keep it and for how long. */
export function InventoryView() {
  const inventory = useQuery({ queryKey: governanceKeys.inventory, queryFn: getInventory });
  const [only, setOnly] = useState<DataClass | ''>('');
  const data = inventory.data;
  const tables = data?.tables.filter((table) => only === '' || table.by_class[only] > 0) ?? [];
  return (
    <section
      className="card"
      aria-labelledby="inventory-heading"
      aria-busy={inventory.isFetching || undefined}
    >
      <h2 id="inventory-heading">Data inventory</h2>
      <ErrorAlert error={inventory.error} />
      {inventory.isPending ? (
        <p className="muted" role="status">
          Loading the inventory…
        </p>
      ) : !data ? null : (
        <>
          <p data-testid="inventory-summary">
            {data.summary.tables} tables, {data.summary.columns} columns:{' '}
            {DATA_CLASSES.map(
              (dataClass) => `${data.summary.by_class[dataClass]} ${CLASS_LABEL[dataClass].toLowerCase()}`,
            ).join(', ')}
            .{' '}
            {data.summary.unclassified.length === 0
              ? 'Every column is classified.'
              : `Not classified: ${data.summary.unclassified.join(', ')}.`}{' '}
            <span className="muted small">As of {formatDateTime(data.generated_at)}.</span>
          </p>
          <label className="field">
            <span>Tables holding</span>
            <select value={only} onChange={(event) => setOnly(event.target.value as DataClass | '')}>
              <option value="">any class</option>
              {DATA_CLASSES.map((dataClass) => (
                <option key={dataClass} value={dataClass}>
                  {CLASS_LABEL[dataClass]} data
                </option>
              ))}
            </select>
          </label>
          <table className="table data-table governance-table">
            <caption className="visually-hidden">
              Tables with their columns' classes, rows and retention
            </caption>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Purpose</th>
                <th scope="col">Rows</th>
                <th scope="col">Columns by class</th>
                <th scope="col">Retention</th>
              </tr>
            </thead>
            <tbody>
              {tables.map((table) => (
                <tr key={table.table} data-testid={`inventory-${table.table}`}>
                  <th scope="row">
                    <code>{table.table}</code>
                  </th>
                  <td>{table.purpose}</td>
                  <td className="num">{table.row_count.toLocaleString()}</td>
                  <td>
                    <details>
                      <summary>
                        {DATA_CLASSES.filter((dataClass) => table.by_class[dataClass] > 0)
                          .map(
                            (dataClass) =>
                              `${table.by_class[dataClass]} ${CLASS_LABEL[dataClass].toLowerCase()}`,
                          )
                          .join(', ')}
                      </summary>
                      <ul className="governance-columns">
                        {table.columns.map((column) => (
                          <li key={column.name}>
                            <code>{column.name}</code>{' '}
                            <span className={`class-badge class-${(column.class ?? 'none').toLowerCase()}`}>
                              {column.class ? CLASS_LABEL[column.class] : 'Unclassified'}
                            </span>
                          </li>
                        ))}
                      </ul>
                    </details>
                  </td>
                  <td>
                    {table.retention.retainable
                      ? `${table.retention.retention_days} days by ${table.retention.age_column} (${
                          table.retention.source === 'policy' ? 'policy' : 'default'
                        }${table.retention.archive_before_delete ? ', archived first' : ''})`
                      : (table.retention.note ?? 'Kept')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
