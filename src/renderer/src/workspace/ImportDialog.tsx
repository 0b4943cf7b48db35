// Import: choose a folder and its layout, watch progress with counts and time left, cancel, then read what was
// skipped and why.
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress, List, ListItem, ListItemText,
  MenuItem, TextField, Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { ApiEvents } from '../../../shared/api';
import type { ImportLayout, ImportReport } from '../../../shared/domain';
import { api } from '../api/transport';

type Progress = ApiEvents['import.progress'];

function duration(seconds: number | null): string {
  if (seconds === null) return 'estimating…';
  if (seconds < 60) return `${Math.ceil(seconds)} s left`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s left`;
}

export function ImportDialog({ open, onClose, initialSource = '' }: { open: boolean; onClose(): void; initialSource?: string }) {
  const [source, setSource] = useState(initialSource);
  const [layout, setLayout] = useState<ImportLayout | 'auto'>('auto');
  const [jobId, setJobId] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setSource(initialSource);
  }, [initialSource]);
  useEffect(() => {
    const offProgress = api.on('import.progress', (p) => p.jobId === jobId && setProgress(p));
    const offFinished = api.on('import.finished', (f) => {
      if (f.jobId !== jobId) return;
      setJobId(null);
      setReport(f.report);
      setError(f.error);
    });
    return () => {
      offProgress();
      offFinished();
    };
  }, [jobId]);

  const start = async () => {
    setError(null);
    setReport(null);
    setProgress(null);
    try {
      const { jobId: id } = await api.call('import.start', { source, ...(layout === 'auto' ? {} : { layout }) });
      setJobId(id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const running = jobId !== null;
  const fraction = progress && progress.total > 0 ? (100 * progress.processed) / progress.total : 0;

  return (
    <Dialog open={open} onClose={running ? undefined : onClose} fullWidth maxWidth="md">
      <DialogTitle>Import images</DialogTitle>
      <DialogContent>
        <Box sx={{ display: 'flex', gap: 2, mt: 1 }}>
          <TextField
            label="Folder of images"
            placeholder="/path/to/images"
            value={source}
            onChange={(e) => setSource(e.target.value)}
            fullWidth
            disabled={running}
            slotProps={{ htmlInput: { 'data-testid': 'import-source' } }}
          />
          <TextField select label="Layout" value={layout} onChange={(e) => setLayout(e.target.value as ImportLayout | 'auto')} sx={{ width: 220 }} disabled={running}>
            <MenuItem value="auto">Detect</MenuItem>
            <MenuItem value="mvtec">MVTec AD (train/test/ground_truth)</MenuItem>
            <MenuItem value="folders">Labelled folders (good/, defect/)</MenuItem>
            <MenuItem value="flat">Flat (all unlabeled)</MenuItem>
          </TextField>
        </Box>
        {(running || progress) && (
          <Box sx={{ mt: 3 }} data-testid="import-progress">
            <LinearProgress variant="determinate" value={fraction} />
            <Typography variant="body2" sx={{ mt: 1 }}>
              {progress ? `${progress.processed} of ${progress.total} files — ${progress.imported} new, ${progress.duplicates} already there, ${progress.skipped} skipped` : 'starting…'}
              {running && progress ? ` — ${duration(progress.etaSeconds)}` : ''}
            </Typography>
          </Box>
        )}
        {error && <Alert severity="error" sx={{ mt: 2 }}>{error}</Alert>}
        {report && (
          <Box sx={{ mt: 2 }} data-testid="import-report">
            <Alert severity={report.skipped.length ? 'warning' : 'success'}>
              {report.status === 'cancelled' ? 'Cancelled: ' : ''}
              {report.imported} images imported, {report.duplicates} were already in the project, {report.skipped.length} skipped ({report.layout} layout, {report.elapsedSeconds.toFixed(1)} s).
            </Alert>
            {report.skipped.length > 0 && (
              <List dense sx={{ maxHeight: 220, overflow: 'auto' }}>
                {report.skipped.map((s) => (
                  <ListItem key={s.path}>
                    <ListItemText primary={s.path} secondary={s.reason} />
                  </ListItem>
                ))}
              </List>
            )}
            {report.warnings.length > 0 && <Typography variant="body2">{report.warnings.length} warnings, for example: {report.warnings[0]!.reason}</Typography>}
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        {running ? (
          <Button color="warning" onClick={() => jobId && void api.call('import.cancel', { jobId })}>
            Cancel import
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Close</Button>
            <Button variant="contained" onClick={() => void start()} disabled={!source.trim()} data-testid="import-start">
              Import
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
}
