// The anomaly map in the viewer: a Konva layer (colour map at an adjustable opacity, and the predicted mask, cut as
// the review cuts it (proposalThreshold), as a white outline traced at image resolution, so it stays smooth however far one zooms) and its controls (toggle with V, opacity slider, the score and the
// predicted label). Both parts share one small store, so any viewer adds them with two lines.
import { Chip, Slider, Stack, ToggleButton, Tooltip, Typography } from '@mui/material';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { Image as KonvaImage, Layer, Line } from 'react-konva';
import type { PredictionResult } from '../../../shared/models';
import { proposalThreshold, type PixelThresholdInfo } from '../../../shared/review';
import { api } from '../api/transport';
import { maskContours } from './contours';
import { colourCanvas, decodeMap } from './heatmap';

export const HEATMAP_KEY = 'v';

interface HeatmapSettings {
  visible: boolean;
  opacity: number;
}
let settings: HeatmapSettings = { visible: false, opacity: 0.5 };
const listeners = new Set<() => void>();
function update(change: Partial<HeatmapSettings>): void {
  settings = { ...settings, ...change };
  listeners.forEach((l) => l());
}
function useSettings(): HeatmapSettings {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => settings,
  );
}

interface Overlay {
  imageId: number;
  prediction: PredictionResult;
  colour: HTMLCanvasElement;
  scores: Float32Array;
  /** Where the predicted mask is cut on this map; null while the version's pixel threshold is unknown. */
  maskThreshold: number | null;
}

const pixelThresholds = new Map<number, Promise<PixelThresholdInfo | null>>();
function pixelThresholdOf(versionId: number): Promise<PixelThresholdInfo | null> {
  let found = pixelThresholds.get(versionId);
  if (!found) {
    found = api
      .call('models.analysis', { version: versionId, split: 'val' })
      .then((a) => a.pixelThreshold)
      .catch(() => null);
    pixelThresholds.set(versionId, found);
  }
  return found;
}

let overlay: Overlay | null = null;
let overlayError: string | null = null;
const overlayListeners = new Set<() => void>();
/** The prediction in flight, and which state of the versions it was asked in. */
let loading: { imageId: number; generation: number } | null = null;
/** Counts the changes of which version scores; a prediction asked before the last one is stale. */
let generation = 0;
let watchingVersions = false;

/**
 * Another version scores now (a new one, another made active, the shown one deleted): the kept map is stale whether or
 * not a viewer is open — reopening the image after switching versions in the Model dialog showed the old version's map.
 */
function watchVersions(): void {
  if (watchingVersions) return;
  watchingVersions = true;
  const forget = () => {
    generation++;
    overlay = null;
    overlayListeners.forEach((l) => l());
  };
  api.on('training.finished', forget);
  api.on('models.changed', forget);
}

async function loadOverlay(imageId: number): Promise<void> {
  if (overlay?.imageId === imageId || (loading?.imageId === imageId && loading.generation === generation)) return;
  const mine = { imageId, generation };
  loading = mine;
  try {
    const prediction = await api.call('models.predict', { imageId });
    const [scores, pixelThreshold] = await Promise.all([decodeMap(prediction.map), pixelThresholdOf(prediction.versionId)]);
    if (loading !== mine) return;
    const { width, height } = prediction.map;
    overlay = {
      imageId,
      prediction,
      colour: colourCanvas(scores, width, height, pixelThreshold?.colourRange ?? [0, 1]),
      scores,
      maskThreshold: pixelThreshold ? proposalThreshold(pixelThreshold, prediction.map.max) : null,
    };
    overlayError = null;
  } catch (e) {
    if (loading !== mine) return;
    overlay = null;
    overlayError = (e as Error).message;
  } finally {
    if (loading === mine) loading = null;
    overlayListeners.forEach((l) => l());
  }
}

function useOverlay(imageId: number, wanted: boolean): Overlay | null {
  const [, tick] = useState(0);
  useEffect(() => {
    // before the effect below subscribes, so that the stale map is forgotten before it is asked for again
    watchVersions();
    const l = () => tick((n) => n + 1);
    overlayListeners.add(l);
    return () => void overlayListeners.delete(l);
  }, []);
  useEffect(() => {
    if (wanted) void loadOverlay(imageId);
  }, [imageId, wanted]);
  // another version scores now: a shown map is predicted again at once (watchVersions has forgotten the old one)
  useEffect(() => {
    const again = () => {
      if (wanted) void loadOverlay(imageId);
    };
    const offs = [api.on('training.finished', again), api.on('models.changed', again)];
    return () => offs.forEach((off) => off());
  }, [imageId, wanted]);
  return overlay?.imageId === imageId ? overlay : null;
}

/** Put inside the viewer's Stage, after the image layer; sized to the image in image pixels. */
export function HeatmapLayer({ imageId, width, height }: { imageId: number; width: number; height: number }) {
  const { visible, opacity } = useSettings();
  const current = useOverlay(imageId, visible);
  // traced once per map and image size; lines of constant screen width (a dark edge under a white one) at any zoom
  const outline = useMemo(
    () => (current && current.maskThreshold !== null ? maskContours(current.scores, current.prediction.map.width, current.prediction.map.height, current.maskThreshold, { width, height }) : []),
    [current, width, height],
  );
  if (!visible || !current) return null;
  return (
    <Layer listening={false}>
      <KonvaImage image={current.colour} width={width} height={height} opacity={opacity} />
      {outline.map((c, i) => (
        <Line key={`dark${i}`} points={c.points} closed={c.closed} stroke="rgba(0,0,0,0.75)" strokeWidth={3.5} strokeScaleEnabled={false} lineJoin="round" perfectDrawEnabled={false} />
      ))}
      {outline.map((c, i) => (
        <Line key={`light${i}`} points={c.points} closed={c.closed} stroke="#ffffff" strokeWidth={1.5} strokeScaleEnabled={false} lineJoin="round" perfectDrawEnabled={false} />
      ))}
    </Layer>
  );
}

/** Put in the viewer's toolbar. */
export function HeatmapControls({ imageId }: { imageId: number }) {
  const { visible, opacity } = useSettings();
  const current = useOverlay(imageId, visible);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.toLowerCase() !== HEATMAP_KEY) return;
      if (target?.closest('input, textarea, [role="dialog"]')) return;
      event.preventDefault();
      update({ visible: !settings.visible });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }} data-testid="heatmap-controls">
      <Tooltip title={`Show the model's anomaly map (${HEATMAP_KEY.toUpperCase()})`}>
        <ToggleButton size="small" value="heat" selected={visible} onChange={() => update({ visible: !visible })} data-testid="heatmap-toggle" sx={{ py: 0.25 }}>
          Heat-map ({HEATMAP_KEY.toUpperCase()})
        </ToggleButton>
      </Tooltip>
      {visible && <Slider size="small" sx={{ width: 90 }} min={0.1} max={1} step={0.05} value={opacity} onChange={(_e, v) => update({ opacity: v as number })} aria-label="heat-map opacity" data-testid="heatmap-opacity" />}
      {visible && current && (
        <Chip
          size="small"
          color={current.prediction.label === 'anomalous' ? 'error' : 'success'}
          label={`${current.prediction.label} · ${current.prediction.score.toFixed(3)} (v${current.prediction.versionId})`}
          data-testid="heatmap-score"
        />
      )}
      {visible && !current && overlayError && (
        <Typography variant="caption" color="error">
          {overlayError}
        </Typography>
      )}
    </Stack>
  );
}
