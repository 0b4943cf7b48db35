// Start, watch, cancel and resume training. The form shows what the current labels will teach before anything
// starts; while a run goes, every progress event updates the figures and the live uPlot curves of each loss term
// and of the validation metrics. Runs left cancelled, failed or interrupted (the app was closed or killed) are
// listed with a Resume button.
import { Alert, Box, Button, Card, CardContent, Chip, FormControl, InputLabel, LinearProgress, MenuItem, Select, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BackboneChoice, TrainingStatus } from '../../../shared/api';
import type { PresetName } from '../../../shared/models';
import { api } from '../api/transport';
import { SERIES_COLOURS, UPlotChart } from '../models/UPlotChart';
import { defaultSize, formatSeconds, regimeSentence } from './regimeText';
import { adoptStatus, useTrainingLog, type TrainingLog } from './trainingStore';
import { logTicks, seriesName } from './seriesNames';

const OTHER = '__other__';

export function TrainingPanel({ onError }: { onError(message: string): void }) {
  const [status, setStatus] = useState<TrainingStatus | null>(null);
  const [backbones, setBackbones] = useState<BackboneChoice[]>([]);
  const [backbone, setBackbone] = useState('');
  const [otherPath, setOtherPath] = useState('');
  const [preset, setPreset] = useState<PresetName>('fast');
  const [height, setHeight] = useState('256');
  const [width, setWidth] = useState('256');
  const [epochs, setEpochs] = useState('');
  const [busy, setBusy] = useState(false);
  const log = useTrainingLog();

  // events can start several refreshes at once; an older answer that arrives last must not win (it would show a
  // finished run as still running and hide it from the unfinished runs)
  const asked = useRef(0);
  const refresh = useCallback(async () => {
    const ask = ++asked.current;
    const s = await api.call('training.status', {});
    if (ask !== asked.current) return;
    adoptStatus(s);
    setStatus(s);
  }, []);

  // the form's defaults: at mount, and again when a run has stored a version (the dialog may be closed and reopened
  // within its transition, which keeps this panel mounted: the form then kept the first run's defaults)
  const loadDefaults = useCallback(() => {
    void Promise.all([api.call('models.backbones', {}), api.call('models.list', {}), api.call('images.list', { filter: { split: 'train' } })]).then(
      ([list, versions, train]) => {
        setBackbones(list);
        // the next run defaults to what the active (else the newest) version was trained with — a backbone made for
        // the line (an int8 copy, say) or a size chosen for the parts must not silently change at the next training;
        // a first run gets ResNet-50, the backbone the presets were designed and measured with
        const previous = versions.find((v) => v.active) ?? versions[0];
        const same = previous && list.find((c) => c.name === previous.backboneName);
        setBackbone((b) => b || (same ?? list.find((c) => c.name.startsWith('resnet50')) ?? list[0])?.path || OTHER);
        const size = previous?.size ?? defaultSize(train.items);
        setHeight(String(size.height));
        setWidth(String(size.width));
      },
    );
  }, []);
  useEffect(() => {
    void refresh();
    loadDefaults();
  }, [refresh, loadDefaults]);
  useEffect(
    () =>
      api.on('training.finished', (e) => {
        void refresh();
        if (e.versionId !== null) loadDefaults();
      }),
    [refresh, loadDefaults],
  );
  useEffect(() => api.on('project.changed', () => void refresh()), [refresh]);

  const running = status?.active ?? null;

  const start = async () => {
    setBusy(true);
    try {
      const path = backbone === OTHER ? otherPath.trim() : backbone;
      if (!path) throw new Error('choose a backbone, or give the path of an ONNX feature extractor');
      await api.call('training.start', {
        backbone: path,
        preset,
        size: { height: Number(height), width: Number(width) },
        ...(epochs.trim() ? { epochs: Number(epochs) } : {}),
      });
      await refresh();
    } catch (e) {
      onError(`Training did not start: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    if (running) await api.call('training.cancel', { runId: running.id });
  };

  const resume = async (runId: string) => {
    try {
      await api.call('training.resume', { runId });
      await refresh();
    } catch (e) {
      onError(`The run did not resume: ${(e as Error).message}`);
    }
  };

  const resumable = (status?.runs ?? []).filter((r) => r.resumable && r.id !== running?.id);
  return (
    <Stack spacing={2} sx={{ p: 2 }} data-testid="training-panel">
      {status && (
        <Alert severity={status.current.counts.train.normal > 0 ? 'info' : 'warning'} data-testid="training-regime">
          {status.current.counts.train.normal > 0
            ? regimeSentence(status.current.regime, status.current.counts)
            : 'The training split has no image labelled normal: label some good parts normal before training.'}
        </Alert>
      )}
      {!running && (
        <Card variant="outlined">
          <CardContent>
            <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap', alignItems: 'center', rowGap: 2 }}>
              <FormControl size="small" sx={{ minWidth: 140 }}>
                <InputLabel>Preset</InputLabel>
                <Select label="Preset" value={preset} onChange={(e) => setPreset(e.target.value as PresetName)} data-testid="train-preset">
                  <MenuItem value="fast">fast (CPU, minutes)</MenuItem>
                  <MenuItem value="paper">paper (GPU, as published)</MenuItem>
                </Select>
              </FormControl>
              <FormControl size="small" sx={{ minWidth: 320 }}>
                <InputLabel>Backbone</InputLabel>
                <Select label="Backbone" value={backbone} onChange={(e) => setBackbone(e.target.value)} data-testid="train-backbone">
                  {backbones.map((b) => (
                    <MenuItem key={b.path} value={b.path}>
                      {b.name} ({(b.sizeBytes / 1e6).toFixed(0)} MB{b.origin === 'project' ? ', in this project' : ''})
                    </MenuItem>
                  ))}
                  <MenuItem value={OTHER}>Another ONNX file…</MenuItem>
                </Select>
              </FormControl>
              {backbone === OTHER && (
                <TextField size="small" label="Path of an ONNX feature extractor" sx={{ minWidth: 360 }} value={otherPath} onChange={(e) => setOtherPath(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'train-backbone-path' } }} />
              )}
              <TextField size="small" label="Height" type="number" sx={{ width: 90 }} value={height} onChange={(e) => setHeight(e.target.value)} slotProps={{ htmlInput: { step: 32, min: 64, 'data-testid': 'train-height' } }} />
              <TextField size="small" label="Width" type="number" sx={{ width: 90 }} value={width} onChange={(e) => setWidth(e.target.value)} slotProps={{ htmlInput: { step: 32, min: 64, 'data-testid': 'train-width' } }} />
              <TextField size="small" label="Epochs" type="number" sx={{ width: 130 }} placeholder="preset's own" value={epochs} onChange={(e) => setEpochs(e.target.value)} slotProps={{ htmlInput: { min: 1, 'data-testid': 'train-epochs' }, inputLabel: { shrink: true } }} />
              <Button variant="contained" disabled={busy || !status || status.current.counts.train.normal === 0} onClick={() => void start()} data-testid="train-start">
                Start training
              </Button>
            </Stack>
            <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1 }}>
              The size is the model input (multiples of 32). Backbone and size start as the last model's; a first model gets a size that keeps the training images' aspect. Training uses the labels as they are now; test images never choose anything.
            </Typography>
          </CardContent>
        </Card>
      )}
      {running && <Progress log={log} status={status!} onCancel={() => void cancel()} />}
      {!running && log.finished && (
        <Alert severity={log.finished.status === 'completed' ? 'success' : log.finished.status === 'cancelled' ? 'warning' : 'error'} data-testid="training-finished">
          {log.finished.status === 'completed'
            ? `Training finished: version ${log.finished.versionId} is stored and evaluated. See it under Versions.`
            : log.finished.status === 'cancelled'
              ? 'Training was cancelled; its checkpoint is kept and it can be resumed below.'
              : `Training failed: ${log.finished.error}`}
        </Alert>
      )}
      {!running && log.x.length > 0 && <LossPlots log={log} />}
      {resumable.length > 0 && (
        <Card variant="outlined" data-testid="resumable-runs">
          <CardContent>
            <Typography variant="subtitle2" gutterBottom>
              Unfinished runs
            </Typography>
            {resumable.slice(0, 5).map((run) => (
              <Stack key={run.id} direction="row" spacing={2} sx={{ alignItems: 'center', py: 0.5 }} data-testid="resumable-run" data-run-id={run.id}>
                <Chip size="small" color={run.status === 'failed' ? 'error' : 'warning'} label={run.status} />
                <Typography variant="body2" sx={{ flex: 1 }}>
                  {new Date(run.createdAt).toLocaleString()} — {run.preset}, {run.backboneName}, {run.size.height}×{run.size.width}, {run.epochs} epochs, {run.regime}
                  {run.status === 'interrupted' ? ' — the process running it stopped (closed or killed) before it finished' : ''}
                  {run.error ? ` — ${run.error}` : ''}
                </Typography>
                <Button size="small" variant="outlined" onClick={() => void resume(run.id)} data-testid="resume-run">
                  Resume
                </Button>
              </Stack>
            ))}
          </CardContent>
        </Card>
      )}
    </Stack>
  );
}

function Progress({ log, status, onCancel }: { log: TrainingLog; status: TrainingStatus; onCancel(): void }) {
  const run = status.active!;
  const p = log.runId === run.id && log.last ? log.last : run.progress;
  const fraction = p?.steps ? p.step / p.steps : 0;
  return (
    <Card variant="outlined" data-testid="training-progress">
      <CardContent>
        <Stack direction="row" spacing={3} sx={{ alignItems: 'baseline', flexWrap: 'wrap' }}>
          <Typography variant="h6">{p ? phaseName(p.phase, p.split) : 'Starting…'}</Typography>
          <Figure label="Epoch" value={p ? `${p.epoch} / ${p.epochs}` : '—'} testId="progress-epoch" />
          <Figure label="Images/s" value={p && p.imagesPerSecond > 0 ? p.imagesPerSecond.toFixed(1) : '—'} />
          <Figure label="Time left" value={formatSeconds(p?.etaSeconds ?? null)} />
          <Figure label="Runs on" value={p?.provider ?? '—'} />
          <Figure label="Events" value={String(log.runId === run.id ? log.events : 0)} testId="progress-events" />
          <Box sx={{ flex: 1 }} />
          <Button color="warning" variant="outlined" onClick={onCancel} data-testid="train-cancel">
            Cancel
          </Button>
        </Stack>
        <LinearProgress variant="determinate" value={Math.min(100, fraction * 100)} sx={{ my: 1.5 }} />
        <Typography variant="caption" color="text.secondary">
          {run.preset}, {run.backboneName}, {run.size.height}×{run.size.width}, {run.regime}. Cancelling keeps a checkpoint; the run can be resumed.
        </Typography>
        {log.runId === run.id && log.x.length > 0 && <LossPlots log={log} />}
      </CardContent>
    </Card>
  );
}

function phaseName(phase: string, split?: string): string {
  if (phase === 'evaluating') return `Evaluating on ${split ?? 'test'}`;
  return { preparing: 'Preparing', features: 'Computing backbone features', fitting: 'Fitting to the normal images', training: 'Training', validating: 'Validating', finishing: 'Writing the version' }[phase] ?? phase;
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="subtitle1" data-testid={testId}>
        {value}
      </Typography>
    </Box>
  );
}

function LossPlots({ log }: { log: TrainingLog }) {
  const names = Object.keys(log.losses).sort((a, b) => (a === 'total' ? -1 : b === 'total' ? 1 : a.localeCompare(b)));
  const lossData = useMemo(() => [log.x, ...names.map((n) => log.losses[n]!)] as uPlot.AlignedData, [log.x, log.losses, names.join()]);
  const valNames = Object.keys(log.validation);
  const valData = useMemo(() => [log.validationX, ...valNames.map((n) => log.validation[n]!)] as uPlot.AlignedData, [log.validationX, log.validation, valNames.join()]);
  return (
    <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
      <Box sx={{ flex: 2, minWidth: 0 }}>
        <Typography variant="subtitle2">Loss per step (each term, log scale)</Typography>
        <UPlotChart
          testId="loss-plot"
          height={220}
          structureKey={names.join()}
          data={lossData}
          options={{
            scales: { x: { time: false }, y: { distr: 3 } },
            axes: [{ label: 'epoch' }, { values: (_u, ticks) => logTicks(ticks) }],
            series: [{ label: 'epoch', value: (_u, v) => (v == null ? '—' : v.toFixed(2)) }, ...names.map((n, i) => ({ label: seriesName(n), stroke: SERIES_COLOURS[i % SERIES_COLOURS.length], width: n === 'total' ? 2 : 1, value: (_u: uPlot, v: number | null) => (v == null ? '—' : v.toPrecision(3)) }))],
          }}
        />
      </Box>
      <Box sx={{ flex: 1, minWidth: 0 }}>
        <Typography variant="subtitle2">Validation (never the test split)</Typography>
        {valNames.length === 0 ? (
          <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
            No validation figures yet: the preset scores the validation images every few epochs and at the end.
          </Typography>
        ) : (
          <UPlotChart
            testId="validation-plot"
            height={220}
            structureKey={valNames.join()}
            data={valData}
            options={{
              scales: { x: { time: false }, y: { range: [0, 1] } },
              axes: [{ label: 'epoch' }, {}],
              series: [
                { label: 'epoch', value: (_u, v) => (v == null ? '—' : String(v)) },
                ...valNames.map((n, i) => ({ label: seriesName(n), stroke: SERIES_COLOURS[i % SERIES_COLOURS.length], points: { show: true }, value: (_u: uPlot, v: number | null) => (v == null ? '—' : v.toFixed(3)) })),
              ],
            }}
          />
        )}
      </Box>
    </Stack>
  );
}
