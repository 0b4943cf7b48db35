// Project health: the same check as `dwb check`, run from the workspace. Shows whether the catalog is intact and
// every file matches its hash, lists what is wrong with what to do, and repairs what can be repaired.
import {
  Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, LinearProgress, List, ListItem, ListItemText, Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import { REPAIRABLE_PROBLEMS, type CheckProblem, type ProjectCheckReport } from '../../../shared/api';
import { api } from '../api/transport';

const KIND_TITLES: Record<CheckProblem['kind'], string> = {
  'catalog-damaged': 'Catalog damaged',
  'catalog-foreign-key': 'Catalog inconsistent',
  'image-missing': 'Image file missing',
  'image-damaged': 'Image file changed',
  'mask-missing': 'Mask file missing',
  'mask-damaged': 'Mask file changed',
  'thumbnail-missing': 'Thumbnail missing',
  'thumbnail-damaged': 'Thumbnail damaged',
  'model-file-missing': 'Model file missing',
  'model-file-damaged': 'Model file changed',
  'map-missing': 'Anomaly map missing',
  'map-damaged': 'Anomaly map changed',
  'orphan-file': 'File without a catalog entry',
  'partial-file': 'Partial file of an interrupted job',
  'import-interrupted': 'Interrupted import',
};

export function HealthPanel({ open, onClose }: { open: boolean; onClose(): void }) {
  const [report, setReport] = useState<ProjectCheckReport | null>(null);
  const [running, setRunning] = useState<'check' | 'repair' | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (repair: boolean) => {
    setRunning(repair ? 'repair' : 'check');
    setError(null);
    try {
      setReport(await api.call('project.check', { repair }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(null);
    }
  };
  // a check starts when the panel opens: that is what opening it asks for
  useEffect(() => {
    if (open) void run(false);
    else setReport(null);
  }, [open]);

  const left = report?.problems.filter((p) => !p.repaired) ?? [];
  const repairable = left.some((p) => REPAIRABLE_PROBLEMS.has(p.kind));
  return (
    <Dialog open={open} onClose={running ? undefined : onClose} fullWidth maxWidth="md" data-testid="health-panel">
      <DialogTitle>Project health</DialogTitle>
      <DialogContent>
        {running && (
          <Box sx={{ my: 2 }}>
            <LinearProgress />
            <Typography variant="body2" sx={{ mt: 1 }}>
              {running === 'repair' ? 'Repairing…' : 'Checking the catalog and hashing every file…'}
            </Typography>
          </Box>
        )}
        {error && <Alert severity="error">{error}</Alert>}
        {report && !running && (
          <Box data-testid="health-report">
            <Alert severity={report.ok ? 'success' : report.catalogOk ? 'warning' : 'error'}>
              {report.ok
                ? `All is well: the catalog is intact and all ${report.filesHashed} files match their hashes (${report.images} images, ${report.masks} masks; ${report.elapsedSeconds.toFixed(1)} s).`
                : `${left.length} problem${left.length === 1 ? '' : 's'} found${report.catalogOk ? '' : ', and the catalog is damaged: restore project.sqlite from a backup copy of the project'}.`}
              {report.repair && report.problems.length > left.length ? ` ${report.problems.length - left.length} repaired.` : ''}
            </Alert>
            {report.problems.length > 0 && (
              <List dense sx={{ maxHeight: 360, overflow: 'auto' }}>
                {report.problems.slice(0, 500).map((p, i) => (
                  <ListItem key={`${p.kind}:${p.path}:${i}`}>
                    <ListItemText primary={`${p.repaired ? 'Repaired — ' : ''}${KIND_TITLES[p.kind]}${p.imageId ? ` (image ${p.imageId})` : ''}`} secondary={p.message} />
                  </ListItem>
                ))}
              </List>
            )}
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => void run(false)} disabled={running !== null}>
          Check again
        </Button>
        <Button onClick={() => void run(true)} disabled={running !== null || !repairable} color="warning" data-testid="health-repair">
          Repair
        </Button>
        <Button variant="contained" onClick={onClose} disabled={running !== null}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
