// How good a version is, in the terms of the line: metric tiles with their meaning, ROC and precision–recall
// curves, the score histogram of normal and anomalous test images with the threshold, the confusion counts at that
// threshold (movable), the metrics per defect class, and the defect regions missed at the pixel threshold, each a
// click away from its image.
import { Alert, Box, Button, Card, CardContent, CircularProgress, Slider, Stack, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import type { EvaluationDetail, ModelVersionDetail } from '../../../shared/models';
import type { VersionAnalysis } from '../../../shared/review';
import { api } from '../api/transport';
import { ClassMetricsTable } from './ClassMetricsTable';
import { ContaminationCheck } from './ContaminationCheck';
import { ascendingXY, confusionAt, curves, histogram, type LabelledScore } from './curves';
import { METRICS, percent } from './metricMeanings';
import { SERIES_COLOURS, UPlotChart } from './UPlotChart';

export function EvaluationView({ versionId, onOpenImage }: { versionId: number; onOpenImage(imageId: number): void }) {
  const [version, setVersion] = useState<ModelVersionDetail | null>(null);
  const [evaluation, setEvaluation] = useState<EvaluationDetail | null | undefined>(undefined);
  const [analysis, setAnalysis] = useState<VersionAnalysis | null>(null);
  const [threshold, setThreshold] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEvaluation(undefined);
    setAnalysis(null);
    void api.call('models.get', { version: versionId }).then(setVersion);
    void api.call('models.evaluation', { version: versionId }).then(async (e) => {
      setEvaluation(e);
      if (!e) return;
      try {
        const a = await api.call('models.analysis', { version: versionId });
        setAnalysis(a);
        setThreshold(a.imageThreshold);
      } catch (err) {
        setError((err as Error).message);
      }
    });
  }, [versionId]);

  const scored: LabelledScore[] = useMemo(
    () => (evaluation?.perImage ?? []).filter((i) => i.labelState !== 'unlabeled').map((i) => ({ score: i.score, anomalous: i.labelState === 'anomalous' })),
    [evaluation],
  );

  if (evaluation === undefined) return <CircularProgress sx={{ m: 4 }} />;
  if (evaluation === null) return <Alert severity="info" sx={{ m: 2 }}>Version {versionId} has not been evaluated on the test split yet.</Alert>;
  const t = threshold ?? 0.5;
  const confusion = confusionAt(scored, t);
  return (
    <Stack spacing={2} sx={{ p: 2 }} data-testid="evaluation-view">
      <Typography variant="h6">
        Version {versionId} on the test split — {evaluation.images} images ({evaluation.normal} normal, {evaluation.anomalous} anomalous, {evaluation.masks} with masks),{' '}
        {evaluation.msPerImage.toFixed(0)} ms/image on {evaluation.provider}
      </Typography>
      {error && <Alert severity="warning">{error}</Alert>}
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(4, 1fr)', gap: 1 }} data-testid="metric-tiles">
        {METRICS.map((m) => (
          <Card key={m.key} variant="outlined" data-testid={`metric-${m.key}`}>
            <CardContent sx={{ py: 1, '&:last-child': { pb: 1 } }}>
              <Typography variant="caption" color="text.secondary">
                {m.name}
              </Typography>
              <Typography variant="h5">{percent(evaluation.metrics[m.key])}</Typography>
              <Typography variant="caption" color="text.secondary" component="div" sx={{ lineHeight: 1.3 }}>
                {m.meaning}
              </Typography>
            </CardContent>
          </Card>
        ))}
      </Box>
      {evaluation.byClass && evaluation.byClass.some((c) => c.defectClass !== null) && <ClassMetricsTable classes={evaluation.byClass} normal={evaluation.normal} />}
      <Stack direction="row" spacing={2}>
        <CurvePlot title="ROC" testId="roc-plot" xLabel="false-positive rate" yLabel="true-positive rate" {...rocData(scored)} diagonal />
        <CurvePlot title="Precision–recall" testId="pr-plot" xLabel="recall" yLabel="precision" {...prData(scored)} />
      </Stack>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start' }}>
        <Box sx={{ flex: 2, minWidth: 0 }}>
          <Typography variant="subtitle2">Scores of normal (green) and anomalous (red) test images; the line is the threshold</Typography>
          <ScoreHistogram items={scored} threshold={t} />
          <Stack direction="row" spacing={2} sx={{ alignItems: 'center', px: 1 }}>
            <Typography variant="caption" sx={{ whiteSpace: 'nowrap' }}>
              Threshold {t.toFixed(4)}
            </Typography>
            <Slider size="small" min={0} max={1} step={0.0005} value={t} onChange={(_e, v) => setThreshold(v as number)} data-testid="threshold-slider" />
            {analysis && (
              <Button size="small" onClick={() => setThreshold(analysis.imageThreshold)}>
                Validation's
              </Button>
            )}
          </Stack>
        </Box>
        <Card variant="outlined" sx={{ flex: 1 }} data-testid="confusion">
          <CardContent>
            <Typography variant="subtitle2" gutterBottom>
              At this threshold
            </Typography>
            <Table size="small">
              <TableHead>
                <TableRow>
                  <TableCell />
                  <TableCell>called bad</TableCell>
                  <TableCell>called good</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                <TableRow>
                  <TableCell>bad parts</TableCell>
                  <TableCell data-testid="confusion-tp">{confusion.truePositive}</TableCell>
                  <TableCell sx={{ color: 'error.main' }}>{confusion.falseNegative} missed</TableCell>
                </TableRow>
                <TableRow>
                  <TableCell>good parts</TableCell>
                  <TableCell sx={{ color: 'warning.main' }}>{confusion.falsePositive} false alarms</TableCell>
                  <TableCell>{confusion.trueNegative}</TableCell>
                </TableRow>
              </TableBody>
            </Table>
            <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1 }}>
              The version's own threshold comes from validation, never from these test images.
            </Typography>
          </CardContent>
        </Card>
      </Stack>
      {analysis && <MissedRegions analysis={analysis} onOpenImage={onOpenImage} />}
      {version && <ContaminationCheck version={version} onOpenImage={onOpenImage} />}
    </Stack>
  );
}

function rocData(items: LabelledScore[]) {
  const c = curves(items);
  const [x, y] = ascendingXY(c.fpr, c.tpr);
  return { x, y };
}

function prData(items: LabelledScore[]) {
  const c = curves(items);
  const [x, y] = ascendingXY(c.recall, c.precision);
  return { x, y };
}

function CurvePlot(props: { title: string; testId: string; xLabel: string; yLabel: string; x: number[]; y: number[]; diagonal?: boolean }) {
  const data = useMemo(() => (props.diagonal ? [props.x, props.y, props.x] : [props.x, props.y]) as uPlot.AlignedData, [props.x, props.y, props.diagonal]);
  return (
    <Box sx={{ flex: 1, minWidth: 0 }}>
      <Typography variant="subtitle2">{props.title}</Typography>
      <UPlotChart
        testId={props.testId}
        height={240}
        structureKey={props.title}
        data={data}
        options={{
          legend: { show: false },
          scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1.02] } },
          axes: [{ label: props.xLabel }, { label: props.yLabel }],
          series: [{}, { stroke: SERIES_COLOURS[0], width: 2, points: { show: false } }, ...(props.diagonal ? [{ stroke: '#999', dash: [4, 4], points: { show: false } }] : [])],
        }}
      />
    </Box>
  );
}

const BINS = 30;

function ScoreHistogram({ items, threshold }: { items: LabelledScore[]; threshold: number }) {
  const [lo, hi] = useMemo(() => {
    const scores = items.map((i) => i.score);
    const min = Math.min(...scores, 1);
    const max = Math.max(...scores, 0);
    const pad = (max - min) * 0.05 || 0.01;
    return [min - pad, max + pad];
  }, [items]);
  const thresholdRef = useRef(threshold);
  thresholdRef.current = threshold;
  const data = useMemo(() => {
    const h = histogram(items, BINS, lo, hi);
    return [h.x, h.normal, h.anomalous] as uPlot.AlignedData;
  }, [items, lo, hi]);
  const bars = (colour: string) => ({ stroke: colour, fill: `${colour}88`, width: 1, paths: barsPath, points: { show: false } });
  return (
    <UPlotChart
      testId="histogram-plot"
      height={200}
      structureKey={`hist-${lo}-${hi}`}
      data={data}
      options={{
        scales: { x: { time: false, range: [lo, hi] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{ label: 'score' }, { label: 'images' }],
        series: [{ label: 'score', value: (_u, v) => (v == null ? '—' : v.toFixed(3)) }, { label: 'normal', ...bars('#2e7d32') }, { label: 'anomalous', ...bars('#d32f2f') }],
        hooks: {
          draw: [
            (u) => {
              const x = u.valToPos(thresholdRef.current, 'x', true);
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = '#1565c0';
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      }}
      key={threshold.toFixed(4)}
    />
  );
}

/** Bars centred on each x, one bin wide, drawn as a path (uPlot's bars builder lives in a separate bundle). */
const barsPath: uPlot.Series.PathBuilder = (u, seriesIdx, idx0, idx1) => {
  const xs = u.data[0];
  const ys = u.data[seriesIdx]!;
  const path = new Path2D();
  // the series share each bin side by side: normal on the left half, anomalous on the right
  const bin = xs.length > 1 ? xs[1]! - xs[0]! : 0.01;
  const half = bin * 0.45;
  const start = seriesIdx === 1 ? -half : 0;
  for (let i = idx0; i <= idx1; i++) {
    const y = ys[i];
    if (y == null || y === 0) continue;
    const left = u.valToPos(xs[i]! + start, 'x', true);
    const right = u.valToPos(xs[i]! + start + half, 'x', true);
    const top = u.valToPos(y, 'y', true);
    const bottom = u.valToPos(0, 'y', true);
    path.rect(left, top, right - left, bottom - top);
  }
  return { stroke: path, fill: path };
};

function MissedRegions({ analysis, onOpenImage }: { analysis: VersionAnalysis; onOpenImage(imageId: number): void }) {
  return (
    <Card variant="outlined" data-testid="missed-regions">
      <CardContent>
        <Typography variant="subtitle2">
          Defect regions missed at the pixel threshold {analysis.pixelThreshold.value.toFixed(3)}: {analysis.missed.length} of {analysis.regions}
        </Typography>
        <Typography variant="caption" color="text.secondary" component="div" gutterBottom>
          {analysis.pixelThreshold.note} A region counts as missed when less than half of its pixels reach the threshold.
        </Typography>
        {analysis.missed.length === 0 ? (
          <Typography variant="body2">{analysis.regions === 0 ? 'The test split has no masks to compare with.' : 'Every region is found.'}</Typography>
        ) : (
          <Table size="small">
            <TableHead>
              <TableRow>
                <TableCell>Image</TableCell>
                <TableCell>Region</TableCell>
                <TableCell>Area (px at model size)</TableCell>
                <TableCell>Found</TableCell>
                <TableCell>Highest score inside</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {analysis.missed.slice(0, 50).map((r) => (
                <Tooltip key={`${r.imageId}-${r.region}`} title="Open the image in the viewer" placement="left">
                  <TableRow hover sx={{ cursor: 'pointer' }} onClick={() => onOpenImage(r.imageId)} data-testid="missed-region" data-image-id={r.imageId}>
                    <TableCell>{r.name}</TableCell>
                    <TableCell>{r.region}</TableCell>
                    <TableCell>{r.area}</TableCell>
                    <TableCell>{(100 * r.overlap).toFixed(0)}%</TableCell>
                    <TableCell>{r.maxScore.toFixed(3)}</TableCell>
                  </TableRow>
                </Tooltip>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
