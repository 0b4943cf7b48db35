// Training-set contamination check: a defect labelled normal silently teaches the model that defects are normal.
// After training, the version scores its own normal training images; the highest-scoring ones are listed here for
// a second look (click one to open it in the viewer).
import { Alert, Box, Button, Card, CardContent, LinearProgress, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type { EvaluatedImage, ModelVersionDetail } from '../../../shared/models';
import { api } from '../api/transport';

const SHOWN = 12;

export function ContaminationCheck({ version, onOpenImage }: { version: ModelVersionDetail; onOpenImage(imageId: number): void }) {
  const [suspects, setSuspects] = useState<EvaluatedImage[] | null>(null);
  const [threshold, setThreshold] = useState<number | null>(null);
  const [progress, setProgress] = useState<{ jobId: string; done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const train = await api.call('models.evaluation', { version: version.id, split: 'train' });
    if (!train) return setSuspects(null);
    const normals = train.perImage.filter((i) => i.labelState === 'normal').sort((a, b) => b.score - a.score);
    setSuspects(normals.slice(0, SHOWN));
    const queue = await api.call('review.queue', { version: version.id });
    setThreshold(queue.imageThreshold);
  }, [version.id]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => api.on('evaluation.progress', (p) => p.versionId === version.id && p.split === 'train' && setProgress({ jobId: p.jobId, done: p.done, total: p.total })), [version.id]);
  useEffect(
    () =>
      api.on('evaluation.finished', (f) => {
        if (f.versionId !== version.id) return;
        setProgress(null);
        if (f.error) setError(f.error);
        else void load();
      }),
    [version.id, load],
  );

  const run = async () => {
    setError(null);
    const { jobId } = await api.call('models.evaluate', { version: version.id, split: 'train' });
    setProgress({ jobId, done: 0, total: 1 });
  };

  return (
    <Card variant="outlined" data-testid="contamination">
      <CardContent>
        <Typography variant="subtitle2">Training-set check: normal training images the model finds most anomalous</Typography>
        <Typography variant="caption" color="text.secondary" component="div" gutterBottom>
          A defect labelled normal teaches the model that defects are normal. Look again at the top of this list; relabel any that are not good parts.
        </Typography>
        {error && <Alert severity="error">{error}</Alert>}
        {progress ? (
          <LinearProgress variant="determinate" value={(100 * progress.done) / Math.max(1, progress.total)} />
        ) : suspects === null ? (
          <Button variant="outlined" size="small" onClick={() => void run()} data-testid="contamination-run">
            Score the training images
          </Button>
        ) : (
          <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
            {suspects.map((s) => (
              <Box key={s.imageId} onClick={() => onOpenImage(s.imageId)} sx={{ cursor: 'pointer', width: 110 }} data-testid="contamination-item" data-image-id={s.imageId}>
                <img src={api.fileUrl('thumbnail', s.imageSha256)} alt="" style={{ width: 110, height: 110, objectFit: 'contain', background: '#222', outline: threshold !== null && s.score >= threshold ? '3px solid #d32f2f' : 'none' }} />
                <Typography variant="caption" component="div">
                  {s.score.toFixed(3)}
                  {threshold !== null && s.score >= threshold ? ' — above the threshold' : ''}
                </Typography>
              </Box>
            ))}
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
