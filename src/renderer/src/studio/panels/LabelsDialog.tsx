// Labels in and out from the app: the same import and export as dwb import-labels / export-labels.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import type { LabelExportReport, LabelImportReport } from '../../../../shared/api';
import { api } from '../../api/transport';
import { useAttempt } from '../../api/useAttempt';
import { PathField } from '../../files/PathField';

/** The label files the import reads: COCO JSON, and CSV / JSON of image-level labels. */
const LABEL_FILES = ['json', 'csv'];

type Format = 'auto' | 'mvtec' | 'coco' | 'csv' | 'json';

export function LabelsDialog({ open, onClose, onImported }: { open: boolean; onClose(): void; onImported(): void }) {
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<Format>('auto');
  const [error, setError] = useState<string | null>(null);
  const [imported, setImported] = useState<LabelImportReport | null>(null);
  const [exported, setExported] = useState<LabelExportReport | null>(null);
  const { busy: running, attempt } = useAttempt<'labels'>(setError, () => {
    setError(null);
    setImported(null);
    setExported(null);
  });
  const busy = running !== null;
  const run = (work: () => Promise<void>) => attempt('labels', work);
  const canExport = format === 'mvtec' || format === 'coco';
  return (
    <Dialog open={open} onClose={onClose} maxWidth="sm" fullWidth data-testid="labels-dialog">
      <DialogTitle>Labels in and out</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <Typography variant="body2" color="text.secondary">
            MVTec layout (a folder with ground_truth/&lt;class&gt;/&lt;stem&gt;_mask.png), COCO JSON (RLE or polygons, as CVAT and Label Studio
            write it), or a CSV/JSON of image-level labels. Images are matched by file name.
          </Typography>
          <PathField label="Folder or file" value={path} onChange={setPath} testId="labels-path" fileExtensions={LABEL_FILES} />
          <TextField select size="small" label="Format" value={format} onChange={(e) => setFormat(e.target.value as Format)}>
            <MenuItem value="auto">detect (import)</MenuItem>
            <MenuItem value="mvtec">MVTec layout</MenuItem>
            <MenuItem value="coco">COCO JSON</MenuItem>
            <MenuItem value="csv">CSV of image labels (import)</MenuItem>
            <MenuItem value="json">JSON of image labels (import)</MenuItem>
          </TextField>
          {error && <Alert severity="error">{error}</Alert>}
          {imported && (
            <Alert severity={imported.unknownImages.length || imported.problems.length ? 'warning' : 'success'} data-testid="labels-report">
              {imported.labelled} images labelled ({imported.masks} with masks)
              {imported.newClasses.length ? `; new classes: ${imported.newClasses.join(', ')}` : ''}.
              {[...imported.unknownImages, ...imported.problems].slice(0, 10).map((p) => (
                <div key={p.item}>
                  {p.item}: {p.reason}
                </div>
              ))}
            </Alert>
          )}
          {exported && (
            <Alert severity="success" data-testid="labels-report">
              Exported the labels of {exported.images} images ({exported.masks} masks) to {exported.out}.
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button
          disabled={busy || !path.trim() || !canExport}
          onClick={() => void run(async () => setExported(await api.call('labels.export', { out: path, format: format as 'mvtec' | 'coco' })))}
        >
          Export
        </Button>
        <Button
          variant="contained"
          disabled={busy || !path.trim()}
          onClick={() =>
            void run(async () => {
              setImported(await api.call('labels.import', { source: path, ...(format === 'auto' ? {} : { format }) }));
              onImported();
            })
          }
          data-testid="labels-import"
        >
          Import
        </Button>
      </DialogActions>
    </Dialog>
  );
}
