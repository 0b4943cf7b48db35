// The end of every import: what came in, and each file that did not, with the reason.
import { Alert, Box, List, ListItem, ListItemText, Typography } from '@mui/material';
import type { ImportReport, SkippedFile } from '../../../shared/domain';

function FileList({ title, files, testId }: { title: string; files: readonly SkippedFile[]; testId: string }) {
  if (files.length === 0) return null;
  return (
    <Box sx={{ mt: 1 }} data-testid={testId}>
      <Typography variant="subtitle2">{title} ({files.length})</Typography>
      <List dense sx={{ maxHeight: 180, overflow: 'auto' }}>
        {files.slice(0, 500).map((s) => (
          <ListItem key={s.path} disableGutters>
            <ListItemText primary={s.path} secondary={s.reason} slotProps={{ primary: { sx: { wordBreak: 'break-all' } } }} />
          </ListItem>
        ))}
      </List>
      {files.length > 500 && <Typography variant="caption">… and {files.length - 500} more</Typography>}
    </Box>
  );
}

export function ImportReportView({ report }: { report: ImportReport }) {
  const nothing = report.total === 0;
  const summary = `${report.imported} images imported, ${report.duplicates} were already in the project, ${report.skipped.length} skipped (${report.layout} layout, ${report.elapsedSeconds.toFixed(1)} s).`;
  return (
    <Box sx={{ mt: 2 }} data-testid="import-report">
      {nothing ? (
        <Alert severity="warning">
          No images found in {report.source}: it holds no PNG, JPEG, BMP or TIFF files{report.layout === 'mvtec' ? ' in its train/ and test/ folders' : ''}. Choose
          the folder that holds the images.
        </Alert>
      ) : (
        <Alert severity={report.skipped.length ? 'warning' : 'success'}>
          {report.status === 'cancelled' ? 'Cancelled: ' : ''}
          {summary}
        </Alert>
      )}
      <FileList title="Skipped" files={report.skipped} testId="import-skipped" />
      <FileList title="Not images, left out" files={report.ignored ?? []} testId="import-ignored" />
      <FileList title="Warnings" files={report.warnings} testId="import-warnings" />
    </Box>
  );
}
