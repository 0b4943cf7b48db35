// Model scores in the grid: the active version's (else the newest's) score and predicted label for every image it
// scored, a badge on each thumbnail, and sorting and filtering the grid by score.
import { FormControl, InputLabel, MenuItem, Select, Stack } from '@mui/material';
import { useEffect, useState } from 'react';
import type { ImageSummary } from '../../../shared/api';
import { api } from '../api/transport';

export interface ImageScore {
  score: number;
  predicted: 'normal' | 'anomalous';
}
export type ScoreMap = ReadonlyMap<number, ImageScore>;

export interface ScoreView {
  sort: 'id' | 'score-desc' | 'score-asc';
  predicted: 'any' | 'anomalous' | 'normal' | 'unscored';
}
export const DEFAULT_SCORE_VIEW: ScoreView = { sort: 'id', predicted: 'any' };

export function useScores(): ScoreMap {
  const [scores, setScores] = useState<ScoreMap>(new Map());
  useEffect(() => {
    let live = true;
    const load = async () => {
      const versions = await api.call('models.list', {});
      const chosen = versions.find((v) => v.active) ?? [...versions].sort((a, b) => b.id - a.id)[0];
      if (!chosen) return;
      const queue = await api.call('review.queue', { version: chosen.id });
      if (live) setScores(new Map(queue.items.map((i) => [i.imageId, { score: i.score, predicted: i.predicted }])));
    };
    void load().catch(() => undefined);
    const offs = [api.on('training.finished', () => void load()), api.on('evaluation.finished', () => void load())];
    return () => {
      live = false;
      offs.forEach((off) => off());
    };
  }, []);
  return scores;
}

export function applyScoreView(items: ImageSummary[], scores: ScoreMap, view: ScoreView): ImageSummary[] {
  let out = items;
  if (view.predicted !== 'any') {
    out = out.filter((i) => (view.predicted === 'unscored' ? !scores.has(i.id) : scores.get(i.id)?.predicted === view.predicted));
  }
  if (view.sort !== 'id') {
    const sign = view.sort === 'score-desc' ? -1 : 1;
    // unscored images last either way
    out = [...out].sort((a, b) => {
      const sa = scores.get(a.id)?.score;
      const sb = scores.get(b.id)?.score;
      if (sa === undefined || sb === undefined) return (sa === undefined ? 1 : 0) - (sb === undefined ? 1 : 0);
      return sign * (sa - sb);
    });
  }
  return out;
}

export function ScoreControls({ view, onChange, disabled }: { view: ScoreView; onChange(view: ScoreView): void; disabled: boolean }) {
  return (
    <Stack spacing={1.5} sx={{ mt: 2 }}>
      <FormControl size="small" disabled={disabled}>
        <InputLabel>Order</InputLabel>
        <Select label="Order" value={view.sort} onChange={(e) => onChange({ ...view, sort: e.target.value as ScoreView['sort'] })} data-testid="score-sort">
          <MenuItem value="id">Import order</MenuItem>
          <MenuItem value="score-desc">Score, most anomalous first</MenuItem>
          <MenuItem value="score-asc">Score, most normal first</MenuItem>
        </Select>
      </FormControl>
      <FormControl size="small" disabled={disabled}>
        <InputLabel>Model says</InputLabel>
        <Select label="Model says" value={view.predicted} onChange={(e) => onChange({ ...view, predicted: e.target.value as ScoreView['predicted'] })} data-testid="score-filter">
          <MenuItem value="any">Any</MenuItem>
          <MenuItem value="anomalous">Anomalous</MenuItem>
          <MenuItem value="normal">Normal</MenuItem>
          <MenuItem value="unscored">Not scored</MenuItem>
        </Select>
      </FormControl>
    </Stack>
  );
}

export function ScoreBadge({ score }: { score: ImageScore | undefined }) {
  if (!score) return null;
  return (
    <span
      data-testid="thumb-score"
      style={{
        position: 'absolute',
        top: 4,
        right: 4,
        padding: '0 5px',
        borderRadius: 3,
        fontSize: 11,
        color: '#fff',
        background: score.predicted === 'anomalous' ? 'rgba(211,47,47,0.9)' : 'rgba(46,125,50,0.9)',
      }}
      title={`model: ${score.predicted}, score ${score.score.toFixed(4)}`}
    >
      {score.predicted === 'anomalous' ? '✗' : '✓'} {score.score.toFixed(2)}
    </span>
  );
}
