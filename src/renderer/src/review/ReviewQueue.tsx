// The review queue: every image the version scored, ranked by how much a human look is worth: nearest the decision
// threshold first (the default: those labels teach a retraining the most), or most anomalous first. One key each:
// N confirm normal, A confirm anomalous (weak), M accept the predicted mask as a pixel label, R reject the prediction
// (label kept); Z undoes the last action.
// Every action is stored with source `review`; retraining from the queue is one button.
import { Alert, Box, Button, Chip, LinearProgress, List, ListItemButton, ListItemText, Stack, Switch, ToggleButton, ToggleButtonGroup, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ModelVersionDetail } from '../../../shared/models';
import { DEFAULT_REVIEW_ORDER, type ReviewAction, type ReviewOrder, type ReviewQueue as Queue } from '../../../shared/review';
import { api } from '../api/transport';
import { MapImage } from './MapImage';

const KEYS: Record<string, ReviewAction> = { n: 'normal', a: 'anomalous', m: 'mask', r: 'reject' };
const ACTION_NAMES: Record<ReviewAction, string> = { normal: 'confirmed normal', anomalous: 'confirmed anomalous (weak)', mask: 'predicted mask accepted', reject: 'prediction rejected' };

export function ReviewQueue({ onRetrained, onError }: { onRetrained(): void; onError(message: string): void }) {
  const [version, setVersion] = useState<ModelVersionDetail | null | undefined>(undefined);
  const [order, setOrder] = useState<ReviewOrder>(DEFAULT_REVIEW_ORDER);
  const [queue, setQueue] = useState<Queue | null>(null);
  const [index, setIndex] = useState(0);
  const [showMap, setShowMap] = useState(true);
  const [busy, setBusy] = useState(false);
  const done = useRef<number[]>([]);
  const [undoable, setUndoable] = useState(0);

  useEffect(() => {
    void api.call('models.list', {}).then(async (list) => {
      const chosen = list.find((v) => v.active) ?? [...list].sort((a, b) => b.id - a.id)[0];
      setVersion(chosen ? await api.call('models.get', { version: chosen.id }) : null);
    });
  }, []);

  const load = useCallback(async () => {
    if (!version) return;
    setQueue(await api.call('review.queue', { version: version.id, order }));
  }, [version, order]);
  useEffect(() => {
    void load();
  }, [load]);

  const items = queue?.items ?? [];
  const current = items[index];

  const nextUnreviewed = useCallback((list: Queue['items'], from: number) => {
    for (let k = 1; k <= list.length; k++) {
      const i = (from + k) % list.length;
      if (!list[i]!.reviewed) return i;
    }
    return from;
  }, []);

  const act = useCallback(
    async (action: ReviewAction) => {
      if (!version || !current || busy) return;
      setBusy(true);
      try {
        await api.call('review.act', { version: version.id, imageId: current.imageId, action });
        done.current.push(current.imageId);
        setUndoable(done.current.length);
        const fresh = await api.call('review.queue', { version: version.id, order });
        setQueue(fresh);
        setIndex(nextUnreviewed(fresh.items, fresh.items.findIndex((i) => i.imageId === current.imageId)));
      } catch (e) {
        onError((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [version, current, busy, order, nextUnreviewed, onError],
  );

  const undo = useCallback(async () => {
    const imageId = done.current.pop();
    setUndoable(done.current.length);
    if (imageId === undefined || !version) return;
    try {
      await api.call('review.undo', { imageId });
      const fresh = await api.call('review.queue', { version: version.id, order });
      setQueue(fresh);
      setIndex(Math.max(0, fresh.items.findIndex((i) => i.imageId === imageId)));
    } catch (e) {
      onError((e as Error).message);
    }
  }, [version, order, onError]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.altKey || (event.target as HTMLElement | null)?.closest('input, textarea')) return;
      const key = event.key.toLowerCase();
      if (key === 'z') void undo();
      else if (event.ctrlKey) return;
      else if (KEYS[key]) void act(KEYS[key]);
      else if (event.key === 'ArrowDown' || event.key === 'ArrowRight') setIndex((i) => Math.min(items.length - 1, i + 1));
      else if (event.key === 'ArrowUp' || event.key === 'ArrowLeft') setIndex((i) => Math.max(0, i - 1));
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [act, undo, items.length]);

  const retrain = async () => {
    if (!version) return;
    try {
      // the same backbone: the shipped file or the project's copy of that name, else where it was taken from
      const choices = await api.call('models.backbones', {});
      const backbone = choices.find((c) => c.name === version.backboneName)?.path ?? version.backboneSource;
      // the run's length follows from the parent's (as many steps) on the service's side
      await api.call('training.start', { backbone, preset: version.preset, size: version.size, seed: version.seed, parentVersion: version.id });
      onRetrained();
    } catch (e) {
      onError(`Retraining did not start: ${(e as Error).message}`);
    }
  };

  const counts = useMemo(() => {
    const c: Record<ReviewAction, number> = { normal: 0, anomalous: 0, mask: 0, reject: 0 };
    for (const i of items) if (i.lastAction) c[i.lastAction]++;
    return c;
  }, [items]);

  if (version === undefined) return <LinearProgress />;
  if (version === null) return <Typography sx={{ p: 3 }}>No model version yet: train one first; its scores fill this queue.</Typography>;
  return (
    <Box sx={{ display: 'flex', height: '100%', minHeight: 0 }} data-testid="review-queue">
      <Box sx={{ width: 330, borderRight: 1, borderColor: 'divider', display: 'flex', flexDirection: 'column', minHeight: 0 }}>
        <Stack spacing={1} sx={{ p: 1.5 }}>
          <ToggleButtonGroup size="small" exclusive value={order} onChange={(_e, v) => v && (setOrder(v), setIndex(0))}>
            <ToggleButton value="uncertain" data-testid="order-uncertain" title="Nearest the image threshold first: the labels that teach a retraining the most">
              Most uncertain
            </ToggleButton>
            <ToggleButton value="anomalous" data-testid="order-anomalous" title="Highest score first: where escaped defects are found">
              Most anomalous
            </ToggleButton>
          </ToggleButtonGroup>
          <Typography variant="subtitle2" data-testid="review-counter">
            {queue ? `${queue.reviewed} of ${items.length} reviewed` : '…'}
          </Typography>
          <LinearProgress variant="determinate" value={items.length ? (100 * (queue?.reviewed ?? 0)) / items.length : 0} />
          <Typography variant="caption" color="text.secondary">
            Version {version.id}; image threshold {queue?.imageThreshold.toFixed(3) ?? '…'}, pixel threshold {queue?.pixelThreshold.toFixed(3) ?? '…'}
          </Typography>
        </Stack>
        <List dense sx={{ overflowY: 'auto', flex: 1 }}>
          {items.map((item, i) => (
            <ListItemButton key={item.imageId} selected={i === index} onClick={() => setIndex(i)} data-testid="review-item" data-image-id={item.imageId} data-reviewed={item.reviewed} data-predicted-area={item.predictedArea}>
              <ListItemText
                primary={`${item.score.toFixed(3)} · ${item.name}`}
                secondary={`${item.split}, labelled ${item.labelState}${item.defectClass ? ` (${item.defectClass})` : ''}${item.hasMask ? ' with mask' : ''} · predicted ${item.predicted}${item.predictedArea > 0 ? ` (${(100 * item.predictedArea).toFixed(1)}% marked)` : ''}`}
                slotProps={{ primary: { sx: { fontWeight: item.reviewed ? 400 : 600 } } }}
              />
              {item.lastAction && <Chip size="small" label={item.lastAction} sx={{ ml: 1 }} />}
            </ListItemButton>
          ))}
        </List>
        <Box sx={{ p: 1.5, borderTop: 1, borderColor: 'divider' }}>
          <Typography variant="caption" color="text.secondary" component="div" gutterBottom>
            Reviewed since version {version.id} scored them: {counts.normal} normal, {counts.anomalous} weak, {counts.mask} masks, {counts.reject} rejected
          </Typography>
          <Button fullWidth variant="contained" onClick={() => void retrain()} data-testid="review-retrain">
            Retrain from version {version.id} with these labels
          </Button>
        </Box>
      </Box>
      <Box sx={{ flex: 1, display: 'flex', flexDirection: 'column', minWidth: 0, p: 1.5, gap: 1 }}>
        {current ? (
          <>
            <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
              <Typography variant="subtitle1" sx={{ flex: 1 }} data-testid="review-current">
                {current.name} — score {current.score.toFixed(3)}, predicted {current.predicted}; labelled {current.labelState}
                {current.lastAction ? ` — ${ACTION_NAMES[current.lastAction]}` : ''}
              </Typography>
              <Typography variant="caption">Map</Typography>
              <Switch size="small" checked={showMap} onChange={(e) => setShowMap(e.target.checked)} />
            </Stack>
            <Stack direction="row" spacing={1}>
              <Button color="success" variant="outlined" disabled={busy} onClick={() => void act('normal')} data-testid="review-normal">Normal (N)</Button>
              <Button color="error" variant="outlined" disabled={busy} onClick={() => void act('anomalous')} data-testid="review-anomalous">Anomalous, weak (A)</Button>
              <Button color="error" variant="contained" disabled={busy || current.predictedArea === 0} onClick={() => void act('mask')} data-testid="review-mask">Accept mask (M)</Button>
              <Button variant="outlined" disabled={busy} onClick={() => void act('reject')} data-testid="review-reject">Reject (R)</Button>
              <Button disabled={busy || undoable === 0} onClick={() => void undo()} data-testid="review-undo">Undo (Z)</Button>
            </Stack>
            {current.predictedArea === 0 && (
              <Alert severity="info" sx={{ py: 0 }}>
                No pixel reaches the pixel threshold here, so there is no predicted mask to accept: confirm it weak (A) or draw its mask in the viewer.
              </Alert>
            )}
            <Box sx={{ flex: 1, minHeight: 0 }}>
              <MapImage imageId={current.imageId} sha256={current.sha256} evaluationId={current.evaluationId} maskThreshold={current.maskThreshold} colourRange={queue!.colourRange} showMap={showMap} width={current.width} height={current.height} />
            </Box>
          </>
        ) : (
          <Typography color="text.secondary">The version has scored no image yet.</Typography>
        )}
      </Box>
    </Box>
  );
}
