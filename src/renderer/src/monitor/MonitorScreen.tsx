// The line monitor: a folder the camera writes to, watched with a model version. Every new image is scored in the
// background and recorded; the screen shows where it is watching, the pass / review / reject counts, the last parts
// with their scores, the recent scores against the line thresholds, and the drift monitor's verdict, all live.
import {
  Alert,
  AppBar,
  Box,
  Button,
  Card,
  CardContent,
  Checkbox,
  Chip,
  Dialog,
  FormControlLabel,
  IconButton,
  MenuItem,
  Stack,
  TextField,
  Toolbar,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import type { ModelVersionSummary } from '../../../shared/models';
import type { MonitorState, MonitorStatus } from '../../../shared/monitor';
import { api } from '../api/transport';
import { PathField } from '../files/PathField';
import { DriftPanel } from './DriftPanel';
import { adoptMonitorStatus, refreshMonitor, useMonitor } from './monitorStore';
import { RecentParts } from './RecentParts';
import { ScorePlot } from './ScorePlot';

export const STATE_LABELS: Record<MonitorState, { label: string; color: 'default' | 'success' | 'warning' | 'error' }> = {
  stopped: { label: 'Not watching', color: 'default' },
  watching: { label: 'Watching', color: 'success' },
  unavailable: { label: 'Folder unavailable', color: 'warning' },
  failed: { label: 'Stopped by a problem', color: 'error' },
};

export function MonitorScreen({ open, onClose }: { open: boolean; onClose(): void }) {
  const status = useMonitor();
  useEffect(() => {
    if (open) void refreshMonitor();
  }, [open]);
  return (
    <Dialog fullScreen open={open} onClose={onClose} data-testid="monitor-dialog">
      <AppBar position="static" color="default" elevation={1}>
        <Toolbar variant="dense" sx={{ gap: 2 }}>
          <Typography variant="h6" sx={{ flex: 1 }}>
            Line monitor
          </Typography>
          <IconButton onClick={onClose} aria-label="close" data-testid="monitor-close">
            ✕
          </IconButton>
        </Toolbar>
      </AppBar>
      <Box sx={{ flex: 1, minHeight: 0, overflowY: 'auto', p: 2 }}>{status ? <MonitorBody status={status} /> : <Typography>Open a project first.</Typography>}</Box>
    </Dialog>
  );
}

function MonitorBody({ status }: { status: MonitorStatus }) {
  const drift = status.drift;
  return (
    <Stack spacing={2}>
      <WatchSettings status={status} />
      {drift?.warn && (
        <Alert severity="warning" variant="filled" data-testid="monitor-drift-warning">
          <strong>The line may have drifted.</strong> {drift.message}
        </Alert>
      )}
      <Counts status={status} />
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', lg: '2fr 1fr' }, gap: 2 }}>
        <Card variant="outlined">
          <CardContent>
            <Typography variant="subtitle1">Recent scores</Typography>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
              {status.thresholds
                ? `Below ${status.thresholds.review.toFixed(3)} a part passes; from ${status.thresholds.reject.toFixed(3)} it is rejected${status.thresholds.review < status.thresholds.reject ? '; between them it goes to review' : ''}.`
                : 'The chosen version\'s pass / review / reject thresholds show here once watching starts.'}
            </Typography>
            <ScorePlot status={status} />
          </CardContent>
        </Card>
        <DriftPanel drift={drift} />
      </Box>
      <RecentParts status={status} />
    </Stack>
  );
}

function WatchSettings({ status }: { status: MonitorStatus }) {
  const running = status.state === 'watching' || status.state === 'unavailable';
  const [folder, setFolder] = useState(status.folder ?? '');
  const [versions, setVersions] = useState<ModelVersionSummary[]>([]);
  const [version, setVersion] = useState<number | ''>(status.versionId ?? '');
  const [recursive, setRecursive] = useState(status.recursive);
  const [includeExisting, setIncludeExisting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void api.call('models.list', {}).then((list) => {
      const sorted = [...list].sort((a, b) => b.id - a.id);
      setVersions(sorted);
      // default: the version watching now, else the active one, else the newest
      setVersion((v) => (v !== '' && sorted.some((s) => s.id === v) ? v : (sorted.find((s) => s.active) ?? sorted[0])?.id ?? ''));
    });
  }, []);
  useEffect(() => {
    if (status.folder) setFolder((f) => f || status.folder!);
  }, [status.folder]);

  const act = async (what: () => Promise<MonitorStatus>) => {
    setBusy(true);
    setError(null);
    try {
      adoptMonitorStatus(await what());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const start = () => act(() => api.call('monitor.start', { folder, recursive, includeExisting, ...(version !== '' ? { version } : {}) }));
  const stop = () => act(() => api.call('monitor.stop', {}));
  const state = STATE_LABELS[status.state];

  return (
    <Card variant="outlined">
      <CardContent>
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 2 }}>
          <Chip label={state.label} color={state.color} data-testid="monitor-state" />
          <Typography variant="body2" data-testid="monitor-message" sx={{ flex: 1 }}>
            {status.message}
          </Typography>
        </Stack>
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: { md: 'center' } }}>
          <PathField label="Watched folder" value={folder} onChange={setFolder} testId="monitor-folder" disabled={running || busy} sx={{ flex: 1 }} />
          <TextField
            select
            size="small"
            label="Model version"
            value={version}
            onChange={(e) => setVersion(Number(e.target.value))}
            disabled={running || busy || versions.length === 0}
            sx={{ minWidth: 200 }}
            helperText={versions.length === 0 ? 'train a model first' : undefined}
            slotProps={{ htmlInput: { 'data-testid': 'monitor-version' } }}
          >
            {versions.map((v) => (
              <MenuItem key={v.id} value={v.id}>
                v{v.id}
                {v.active ? ' (active)' : ''} — {v.backboneName}
              </MenuItem>
            ))}
          </TextField>
          {running ? (
            <Button variant="contained" color="error" onClick={() => void stop()} disabled={busy} data-testid="monitor-stop">
              Stop watching
            </Button>
          ) : (
            <Button variant="contained" onClick={() => void start()} disabled={busy || !folder.trim() || versions.length === 0} data-testid="monitor-start">
              Start watching
            </Button>
          )}
        </Stack>
        <Stack direction="row" spacing={2} sx={{ mt: 1 }}>
          <FormControlLabel
            control={<Checkbox size="small" checked={recursive} onChange={(e) => setRecursive(e.target.checked)} disabled={running || busy} />}
            label="Include sub-folders"
          />
          <FormControlLabel
            control={<Checkbox size="small" checked={includeExisting} onChange={(e) => setIncludeExisting(e.target.checked)} disabled={running || busy} data-testid="monitor-include-existing" />}
            label="Also score the images already in the folder"
          />
        </Stack>
        <Typography variant="caption" color="text.secondary" component="div">
          The watch is saved with the project: it resumes by itself whenever the project is opened again, until you press Stop watching. Files are scored
          once they have stopped changing; hidden and temporary files (.part, .tmp) wait until they are renamed.
        </Typography>
        {error && (
          <Alert severity="error" sx={{ mt: 1 }} onClose={() => setError(null)} data-testid="monitor-error">
            {error}
          </Alert>
        )}
      </CardContent>
    </Card>
  );
}

function Counts({ status }: { status: MonitorStatus }) {
  const c = status.counts;
  const share = (n: number) => (c.scored > 0 ? ` (${((100 * n) / c.scored).toFixed(1)}%)` : '');
  const tiles: [string, string, string, string?][] = [
    ['scored', 'Scored', String(c.scored)],
    ['pass', 'Pass', `${c.pass}${share(c.pass)}`, '#009E73'],
    ['review', 'Review', `${c.review}${share(c.review)}`, '#E69F00'],
    ['reject', 'Reject', `${c.reject}${share(c.reject)}`, '#D55E00'],
    ['waiting', 'Waiting', String(c.queued + c.settling)],
    ['problems', 'Ignored / unreadable', `${c.ignored} / ${c.failed}`],
  ];
  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(140px, 1fr))', gap: 1 }}>
      {tiles.map(([key, label, value, colour]) => (
        <Card key={key} variant="outlined" sx={colour ? { borderLeft: `4px solid ${colour}` } : {}}>
          <CardContent sx={{ py: 1, '&:last-child': { pb: 1 } }}>
            <Typography variant="caption" color="text.secondary">
              {label}
            </Typography>
            <Typography variant="h6" data-testid={`monitor-count-${key}`}>
              {value}
            </Typography>
          </CardContent>
        </Card>
      ))}
    </Box>
  );
}
