// Import: choose a folder and its layout, watch progress with counts and time left, cancel or hide it (it goes on,
// shown in the app bar), then read what was skipped and why. The job's state comes from importJobs, which sees
// every event from the start, so an import that ends at once still ends in its report.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress, MenuItem, TextField, Typography } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import type { ImportLayout } from '../../../shared/domain';
import { api } from '../api/transport';
import { PathField } from '../files/PathField';
import { ImportReportView } from './ImportReportView';
import { findRunningImport, trackJob, useImportJob } from './importJobs';

function duration(seconds: number | null): string {
  if (seconds === null) return 'estimating…';
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s left`;
}

export function ImportDialog({ open, onClose, initialSource = '' }: { open: boolean; onClose(): void; initialSource?: string }) {
  const [source, setSource] = useState(initialSource);
  const [layout, setLayout] = useState<ImportLayout | 'auto'>('auto');
  const [jobId, setJobId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  // a second click (double-click) arrives before React re-renders the disabled button: a ref stops it
  const startingNow = useRef(false);
  const job = useImportJob(jobId);

  useEffect(() => {
    setSource(initialSource);
  }, [initialSource]);
  // opened while an import runs (after a reload, or after hiding it): show that one
  useEffect(() => {
    if (!open || starting) return;
    void findRunningImport().then((running) => running && setJobId(running.jobId));
  }, [open]); // eslint-disable-line react-hooks/exhaustive-deps -- once per opening

  const start = async () => {
    if (startingNow.current) return;
    startingNow.current = true;
    setStarting(true);
    setStartError(null);
    setJobId(null);
    try {
      const { jobId: id } = await api.call('import.start', { source, ...(layout === 'auto' ? {} : { layout }) });
      setJobId(id);
      await trackJob({ jobId: id, source, running: true, progress: null, report: null, error: null });
    } catch (e) {
      setStartError((e as Error).message);
    } finally {
      startingNow.current = false;
      setStarting(false);
    }
  };
  const running = starting || Boolean(job?.running);
  const progress = job?.progress ?? null;
  const fraction = progress && progress.total > 0 ? (100 * progress.processed) / progress.total : 0;
  const error = startError ?? job?.error ?? null;

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="md">
      <DialogTitle>Import images</DialogTitle>
      <DialogContent>
        <Box sx={{ display: 'flex', gap: 2, mt: 1 }}>
          <PathField label="Folder of images" value={source} onChange={setSource} testId="import-source" disabled={running} sx={{ flex: 1 }} />
          <TextField select size="small" label="Layout" value={layout} onChange={(e) => setLayout(e.target.value as ImportLayout | 'auto')} sx={{ width: 220 }} disabled={running}>
            <MenuItem value="auto">Detect</MenuItem>
            <MenuItem value="mvtec">MVTec AD (train/test/ground_truth)</MenuItem>
            <MenuItem value="folders">Labelled folders (good/, defect/)</MenuItem>
            <MenuItem value="flat">Flat (all unlabeled)</MenuItem>
          </TextField>
        </Box>
        {running && (
          <Box sx={{ mt: 3 }} data-testid="import-progress">
            <LinearProgress variant={progress ? 'determinate' : 'indeterminate'} value={fraction} />
            <Typography variant="body2" sx={{ mt: 1 }}>
              {progress
                ? `${progress.processed} of ${progress.total} files — ${progress.imported} new, ${progress.duplicates} already there, ${progress.skipped} skipped — ${duration(progress.etaSeconds)}`
                : 'starting…'}
            </Typography>
          </Box>
        )}
        {error && <Alert severity="error" sx={{ mt: 2 }}>{error}</Alert>}
        {job?.report && !running && <ImportReportView report={job.report} />}
      </DialogContent>
      <DialogActions>
        {running ? (
          <>
            <Button color="warning" disabled={!jobId} onClick={() => jobId && void api.call('import.cancel', { jobId })} data-testid="import-cancel">
              Cancel import
            </Button>
            <Button onClick={onClose} data-testid="import-hide">Hide (keeps importing)</Button>
            <Button variant="contained" disabled>
              Importing…
            </Button>
          </>
        ) : (
          <>
            <Button onClick={onClose}>Close</Button>
            <Button variant="contained" onClick={(e) => e.detail <= 1 && void start()} disabled={!source.trim()} data-testid="import-start">
              Import
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}
