import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { ImportJob, ImportKind } from '../../api/types.ts';
import { navigate } from '../../router.tsx';
import { CheckboxField, FormFooter, fieldError, SelectField, TextField } from '../../ui/forms.tsx';
import { COLUMNS, importsKeys, KIND_LABELS, type NewImport, uploadImport } from './api.ts';

const ACCEPT = '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function UploadForm() {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<ImportKind>('items');
  const [file, setFile] = useState<File | null>(null);
  const [delimiter, setDelimiter] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [missingFile, setMissingFile] = useState(false);

  const upload = useMutation({
    mutationFn: (input: NewImport) => uploadImport(input),
    onSuccess: (job: ImportJob) => {
      queryClient.setQueryData(importsKeys.detail(job.id), job);
      void queryClient.invalidateQueries({ queryKey: importsKeys.list });
      navigate(`/imports/${job.id}`);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setMissingFile(!file);
    if (file) upload.mutate({ kind, file, delimiter, dryRun });
  }

  return (
    <section className="card" aria-labelledby="upload-heading">
      <h2 id="upload-heading">Upload a file</h2>
      <form onSubmit={submit} noValidate>
        <SelectField
          label="What to import"
          value={kind}
          onChange={(event) => setKind(event.target.value as ImportKind)}
          error={fieldError(upload.error, 'kind')}
        >
          {(Object.keys(KIND_LABELS) as ImportKind[]).map((value) => (
            <option key={value} value={value}>
              {KIND_LABELS[value]}
            </option>
          ))}
        </SelectField>
        <p className="field-hint columns-hint">
          Columns: <span className="mono">{COLUMNS[kind].join(', ')}</span>
          {kind === 'items' && '. Several barcodes are separated by |; CODE*12 is a pack of 12.'}
        </p>
        <TextField
          label="File"
          type="file"
          accept={ACCEPT}
          required
          onChange={(event) => {
            setFile(event.target.files?.[0] ?? null);
            setMissingFile(false);
            upload.reset();
          }}
          hint="CSV (UTF-8, header row first) or Excel .xlsx."
          error={missingFile ? 'is required: choose a CSV or XLSX file' : fieldError(upload.error, 'file')}
        />
        <SelectField
          label="Delimiter (CSV only)"
          value={delimiter}
          onChange={(event) => setDelimiter(event.target.value)}
          error={fieldError(upload.error, 'delimiter')}
        >
          <option value="">Detect automatically</option>
          <option value=",">Comma ( , )</option>
          <option value=";">Semicolon ( ; )</option>
          <option value={'\t'}>Tab</option>
        </SelectField>
        <CheckboxField
          label="Dry run: check the file, save nothing"
          checked={dryRun}
          onChange={(event) => setDryRun(event.target.checked)}
          hint="Every row is validated and counted as if imported; the data is left untouched."
        />
        <FormFooter
          error={upload.error}
          pending={upload.isPending}
          label={dryRun ? 'Upload and check' : 'Upload and import'}
          pendingLabel="Uploading…"
        />
      </form>
    </section>
  );
}
