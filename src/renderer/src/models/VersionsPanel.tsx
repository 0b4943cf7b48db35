// The model versions of the project: when, how and on which labels each was trained, and how it scored on test.
// Open one to see its evaluation, make one the active version (the one that scores images and the review queue),
// or tick two to compare them side by side on the same test images; open its thresholds and export, or delete it.
import { Box, Button, Checkbox, Chip, Dialog, DialogActions, DialogContent, DialogTitle, Radio, Stack, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type { ModelVersionSummary, SnapshotCounts } from '../../../shared/models';
import { api } from '../api/transport';
import { CompareView } from './CompareView';
import { METRICS, percent } from './metricMeanings';

const HEADLINE = METRICS.filter((m) => ['image_auroc', 'image_ap', 'pg2', 'pixel_auroc', 'aupro'].includes(m.key));

export function VersionsPanel(props: { onOpenEvaluation(versionId: number): void; onOpenDeploy(versionId: number): void; onDeleted(versionId: number): void; onError(message: string): void }) {
  const { onOpenEvaluation, onOpenDeploy, onDeleted, onError } = props;
  const [versions, setVersions] = useState<ModelVersionSummary[]>([]);
  const [compare, setCompare] = useState<number[]>([]);
  // the version asked about stays named while its dialog closes
  const [deleting, setDeleting] = useState<{ id: number; open: boolean }>({ id: 0, open: false });
  const load = useCallback(() => void api.call('models.list', {}).then((v) => setVersions([...v].sort((a, b) => b.id - a.id))), []);
  useEffect(load, [load]);
  useEffect(() => api.on('training.finished', load), [load]);
  useEffect(() => api.on('evaluation.finished', load), [load]);

  const setActive = async (id: number | null) => {
    try {
      await api.call('models.setActive', { version: id });
      load();
    } catch (e) {
      onError((e as Error).message);
    }
  };

  const remove = async (id: number) => {
    setDeleting({ id, open: false });
    try {
      await api.call('models.delete', { version: id });
      setCompare((c) => c.filter((x) => x !== id));
      onDeleted(id);
      load();
    } catch (e) {
      onError((e as Error).message);
    }
  };

  if (versions.length === 0) {
    return (
      <Typography sx={{ p: 3 }} color="text.secondary">
        No model version yet: train one under Training.
      </Typography>
    );
  }
  const pair = compare.length === 2 ? versions.filter((v) => compare.includes(v.id)) : null;
  return (
    <Box sx={{ p: 2 }} data-testid="versions-panel">
      <Table size="small">
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox">Active</TableCell>
            <TableCell padding="checkbox">Compare</TableCell>
            <TableCell>Version</TableCell>
            <TableCell>Trained</TableCell>
            <TableCell>Preset · backbone · size · epochs</TableCell>
            <TableCell>
              <Tooltip title="Images per split at training time: normal / anomalous with an image label only (weak) / anomalous with a mask (full)">
                <span>Labels (normal/weak/full)</span>
              </Tooltip>
            </TableCell>
            {HEADLINE.map((m) => (
              <TableCell key={m.key} align="right">
                <Tooltip title={m.meaning}>
                  <span>{m.name}</span>
                </Tooltip>
              </TableCell>
            ))}
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {versions.map((v) => (
            <TableRow key={v.id} hover data-testid="version-row" data-version-id={v.id}>
              <TableCell padding="checkbox">
                <Radio size="small" checked={v.active} onChange={() => void setActive(v.id)} data-testid="version-active" />
              </TableCell>
              <TableCell padding="checkbox">
                <Checkbox
                  size="small"
                  checked={compare.includes(v.id)}
                  onChange={(e) => setCompare((c) => (e.target.checked ? [...c, v.id].slice(-2) : c.filter((x) => x !== v.id)))}
                  data-testid="version-compare"
                />
              </TableCell>
              <TableCell>
                {v.id}
                {v.parentId !== null && (
                  <Typography variant="caption" color="text.secondary" component="div">
                    from {v.parentId}
                  </Typography>
                )}
              </TableCell>
              <TableCell>
                {new Date(v.createdAt).toLocaleString()}
                <Typography variant="caption" color="text.secondary" component="div">
                  {v.trainSeconds.toFixed(0)} s on {v.provider}
                </Typography>
              </TableCell>
              <TableCell>
                {v.preset} · {v.backboneName.replace(/\.onnx$/, '')} · {v.size.height}×{v.size.width} · {v.epochs}
                <div>
                  <Chip size="small" variant="outlined" label={v.regime} sx={{ mt: 0.5 }} />
                </div>
              </TableCell>
              <TableCell data-testid="version-counts">
                <Counts counts={v.counts} />
              </TableCell>
              {HEADLINE.map((m) => (
                <TableCell key={m.key} align="right" data-testid={`version-${m.key}`}>
                  {percent(v.testMetrics?.[m.key])}
                </TableCell>
              ))}
              <TableCell>
                <Stack direction="row">
                  <Button size="small" onClick={() => onOpenEvaluation(v.id)} data-testid="version-open">
                    Evaluation
                  </Button>
                  <Button size="small" onClick={() => onOpenDeploy(v.id)} data-testid="version-deploy">
                    Deploy
                  </Button>
                  <Button size="small" color="error" onClick={() => setDeleting({ id: v.id, open: true })} data-testid="version-delete">
                    Delete
                  </Button>
                </Stack>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'center' }}>
        <Typography variant="caption" color="text.secondary">
          The active version scores thumbnails, heat-maps and the review queue{versions.some((v) => v.active) ? '' : ' (none chosen: the newest is used)'}.
        </Typography>
        {versions.some((v) => v.active) && (
          <Button size="small" onClick={() => void setActive(null)}>
            Use the newest
          </Button>
        )}
      </Stack>
      <Dialog open={deleting.open} onClose={() => setDeleting({ ...deleting, open: false })}>
        <DialogTitle>Delete version {deleting.id}?</DialogTitle>
        <DialogContent>
          <Typography variant="body2">
            Its model, evaluations, heat-maps and thresholds are removed from the project; labels and images stay. Files already exported from it keep
            working. This cannot be undone.
          </Typography>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDeleting({ ...deleting, open: false })}>Keep it</Button>
          <Button color="error" onClick={() => void remove(deleting.id)} data-testid="version-delete-confirm">
            Delete version {deleting.id}
          </Button>
        </DialogActions>
      </Dialog>
      {pair && <CompareView a={pair[1]!} b={pair[0]!} />}
      {compare.length === 1 && (
        <Typography variant="body2" sx={{ mt: 2 }} color="text.secondary">
          Tick a second version to compare.
        </Typography>
      )}
    </Box>
  );
}

function Counts({ counts }: { counts: SnapshotCounts }) {
  return (
    <Box component="span" sx={{ fontFamily: 'monospace', fontSize: 12, whiteSpace: 'pre' }}>
      {(['train', 'val', 'test'] as const).map((s) => `${s.padEnd(5)} ${counts[s].normal}/${counts[s].weak}/${counts[s].full}`).join('\n')}
    </Box>
  );
}
