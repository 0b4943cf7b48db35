// The app bar's sign that an import is running, also after a reload or with the dialog hidden; a click shows it.
import { Button, CircularProgress } from '@mui/material';
import { useEffect } from 'react';
import { findRunningImport, useRunningImport } from './importJobs';

export function RunningImport({ onOpen }: { onOpen(): void }) {
  const job = useRunningImport();
  useEffect(() => {
    void findRunningImport();
  }, []);
  if (!job) return null;
  const p = job.progress;
  return (
    <Button color="inherit" onClick={onOpen} startIcon={<CircularProgress size={14} />} data-testid="import-running">
      Importing{p && p.total > 0 ? ` ${p.processed} of ${p.total}` : '…'}
    </Button>
  );
}
