// What goes to the line for one version: its pass / review / reject thresholds, derived from the line's targets on the
// validation images (with what validation promises, and how sure that is) or edited by hand, and the export of the
// version as one ONNX file that carries them. The same services as `dwb thresholds` and `dwb export`.
import { Alert, Box, Button, Card, CardContent, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { ExportResultView, LineThresholdsView, RateView } from '../../../shared/deploy';
import { api } from '../api/transport';
import { useAttempt } from '../api/useAttempt';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const rate = (r: RateView) => `${pct(r.rate)} (${pct(r.low)}–${pct(r.high)}), ${r.count} of ${r.of}`;

/** A percentage typed by the user as a fraction in [0, 1); null when it is not one. */
function fraction(typed: string): number | null {
  const v = Number(typed.replace(',', '.'));
  return typed.trim() !== '' && Number.isFinite(v) && v >= 0 && v < 100 ? v / 100 : null;
}

/** A score threshold typed by the user, in [0, 1]; null when it is not one. */
function score(typed: string): number | null {
  const v = Number(typed.replace(',', '.'));
  return typed.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : null;
}

export function DeployPanel({ versionId, onError }: { versionId: number; onError(message: string): void }) {
  const [thresholds, setThresholds] = useState<LineThresholdsView | null | undefined>(undefined);
  const [miss, setMiss] = useState('1');
  const [falseReject, setFalseReject] = useState('2');
  const [edit, setEdit] = useState({ review: '', reject: '', pixel: '' });
  const [out, setOut] = useState('');
  const [exported, setExported] = useState<ExportResultView | null>(null);
  const { busy, attempt } = useAttempt<'derive' | 'edit' | 'export'>(onError);

  const show = (t: LineThresholdsView | null) => {
    setThresholds(t);
    if (t) {
      setEdit({ review: t.review.toFixed(4), reject: t.reject.toFixed(4), pixel: t.pixel.toFixed(4) });
      setMiss(String(+(100 * t.targets.maxMissRate).toFixed(2)));
      setFalseReject(String(+(100 * t.targets.maxFalseRejectRate).toFixed(2)));
    }
  };
  useEffect(() => {
    setExported(null);
    void api.call('deploy.thresholds', { version: versionId }).then(show, (e: Error) => onError(e.message));
    void api.call('project.current', {}).then((p) => p && setOut(`${p.root}/export/model-v${versionId}.onnx`));
  }, [versionId]);

  const targets = { maxMissRate: fraction(miss), maxFalseRejectRate: fraction(falseReject) };
  const edits = { review: score(edit.review), reject: score(edit.reject), pixel: score(edit.pixel) };
  const editsValid = edits.review !== null && edits.reject !== null && edits.pixel !== null && edits.review <= edits.reject;

  return (
    <Stack spacing={2} sx={{ p: 2 }} data-testid="deploy-panel">
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h6">Thresholds for the line (version {versionId})</Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
            Parts scoring below the review threshold pass, above the reject threshold are rejected, and between the two go to a person. They are derived
            from the validation images for the targets below (never from the test split), stored with the version and carried by its export, where the line
            can still change them.
          </Typography>
          <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
            <TextField size="small" label="Miss at most (% of defective parts)" value={miss} onChange={(e) => setMiss(e.target.value)} error={targets.maxMissRate === null} slotProps={{ htmlInput: { 'data-testid': 'target-miss' } }} />
            <TextField
              size="small"
              label="Reject at most (% of good parts)"
              value={falseReject}
              onChange={(e) => setFalseReject(e.target.value)}
              error={targets.maxFalseRejectRate === null}
              slotProps={{ htmlInput: { 'data-testid': 'target-false-reject' } }}
            />
            <Button
              variant="contained"
              disabled={busy !== null || targets.maxMissRate === null || targets.maxFalseRejectRate === null}
              onClick={() => void attempt('derive', async () => show(await api.call('deploy.deriveThresholds', { version: versionId, maxMissRate: targets.maxMissRate!, maxFalseRejectRate: targets.maxFalseRejectRate! })))}
              data-testid="derive-thresholds"
            >
              {busy === 'derive' ? 'Deriving…' : thresholds ? 'Derive again' : 'Derive thresholds'}
            </Button>
          </Stack>
          {thresholds === null && (
            <Typography variant="body2" sx={{ mt: 2 }} color="text.secondary">
              None yet for this version. An export without them derives them for the targets above.
            </Typography>
          )}
          {thresholds && <ThresholdsView t={thresholds} />}
          {thresholds && (
            <Stack direction="row" spacing={2} sx={{ mt: 2, alignItems: 'center' }}>
              <TextField size="small" label="Review above" value={edit.review} onChange={(e) => setEdit({ ...edit, review: e.target.value })} error={edits.review === null} slotProps={{ htmlInput: { 'data-testid': 'edit-review' } }} />
              <TextField size="small" label="Reject above" value={edit.reject} onChange={(e) => setEdit({ ...edit, reject: e.target.value })} error={edits.reject === null || !editsValid} slotProps={{ htmlInput: { 'data-testid': 'edit-reject' } }} />
              <TextField size="small" label="Mask: pixels above" value={edit.pixel} onChange={(e) => setEdit({ ...edit, pixel: e.target.value })} error={edits.pixel === null} slotProps={{ htmlInput: { 'data-testid': 'edit-pixel' } }} />
              <Button
                disabled={busy !== null || !editsValid}
                onClick={() => void attempt('edit', async () => show(await api.call('deploy.editThresholds', { version: versionId, review: edits.review!, reject: edits.reject!, pixel: edits.pixel! })))}
                data-testid="save-thresholds"
              >
                Save edits
              </Button>
            </Stack>
          )}
        </CardContent>
      </Card>
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h6">Export for the line</Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
            One ONNX file that takes the camera&apos;s image as it is (any size, 8-bit) and gives the score, the anomaly map, pass / review / reject and the
            mask, with the thresholds as inputs that default to the stored ones. Beside it: its metadata as JSON and golden images with the outputs the
            line&apos;s runtime must reproduce.
          </Typography>
          <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
            <TextField size="small" fullWidth label="ONNX file to write" value={out} onChange={(e) => setOut(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'export-path' } }} />
            <Button
              variant="contained"
              disabled={busy !== null || !out.trim()}
              onClick={() =>
                void attempt('export', async () => {
                  const result = await api.call('deploy.export', { version: versionId, out });
                  setExported(result);
                  show(await api.call('deploy.thresholds', { version: versionId }));
                })
              }
              data-testid="export-model"
            >
              {busy === 'export' ? 'Exporting…' : 'Export'}
            </Button>
          </Stack>
          {exported && (
            <Alert severity="success" sx={{ mt: 2 }} data-testid="export-result">
              Wrote {exported.file} ({(exported.bytes / 1e6).toFixed(1)} MB), its metadata {exported.metadataFile} and golden images in {exported.goldenDir}.
              Checked on {exported.parity.images} images against the workbench: largest score difference {exported.parity.maxScoreDiff.toExponential(1)}, map{' '}
              {exported.parity.maxMapDiff.toExponential(1)} (tolerance {exported.parity.tolerance.toExponential(0)}).
              {exported.thresholds.derivedNow && ' The thresholds were derived now, for the targets above.'}
            </Alert>
          )}
        </CardContent>
      </Card>
    </Stack>
  );
}

function ThresholdsView({ t }: { t: LineThresholdsView }) {
  return (
    <Box sx={{ mt: 2 }} data-testid="thresholds-view">
      <Typography variant="body2">
        Review above <b data-testid="threshold-review">{t.review.toFixed(4)}</b>, reject above <b data-testid="threshold-reject">{t.reject.toFixed(4)}</b>; the mask
        marks pixels above {t.pixel.toFixed(4)}. {t.editedAt ? `Edited by hand ${new Date(t.editedAt).toLocaleString()}.` : `Derived ${new Date(t.derivedAt).toLocaleString()}.`}
      </Typography>
      {t.basis === 'normal-only' && (
        <Alert severity="info" sx={{ mt: 1 }} data-testid="thresholds-normal-only">
          Validation has no defective image, so only the good parts&apos; rates can be promised; how many defects would be missed is not known.
        </Alert>
      )}
      {t.notes.map((n) => (
        <Typography key={n} variant="caption" color="text.secondary" component="p">
          {n}
        </Typography>
      ))}
      <Table size="small" sx={{ mt: 1, maxWidth: 900 }}>
        <TableHead>
          <TableRow>
            <TableCell>Promised by validation (95 % interval, images)</TableCell>
            <TableCell>pass</TableCell>
            <TableCell>review</TableCell>
            <TableCell>reject</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          <TableRow>
            <TableCell>good parts ({t.goodImages})</TableCell>
            <TableCell>{rate(t.promised.good.pass)}</TableCell>
            <TableCell>{rate(t.promised.good.review)}</TableCell>
            <TableCell>{rate(t.promised.good.reject)}</TableCell>
          </TableRow>
          <TableRow>
            <TableCell>defective parts ({t.badImages})</TableCell>
            {t.promised.bad ? (
              <>
                <TableCell>{rate(t.promised.bad.pass)}</TableCell>
                <TableCell>{rate(t.promised.bad.review)}</TableCell>
                <TableCell>{rate(t.promised.bad.reject)}</TableCell>
              </>
            ) : (
              <TableCell colSpan={3}>not known: no defective validation image</TableCell>
            )}
          </TableRow>
        </TableBody>
      </Table>
    </Box>
  );
}
