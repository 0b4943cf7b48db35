// The last parts scored, newest first, each with its picture, score and outcome; and the files that were not
// scored, with why.
import { Box, Card, CardContent, Chip, Table, TableBody, TableCell, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import type { MonitorStatus } from '../../../shared/monitor';
import { OUTCOME_COLOURS } from './ScorePlot';

export function RecentParts({ status }: { status: MonitorStatus }) {
  return (
    <>
      <Card variant="outlined">
        <CardContent>
          <Typography variant="subtitle1" sx={{ mb: 1 }}>
            Last scored parts
          </Typography>
          {status.recent.length === 0 ? (
            <Typography variant="body2" color="text.secondary">
              {status.state === 'watching' ? 'Waiting for new images in the folder…' : 'Nothing scored since watching started.'}
            </Typography>
          ) : (
            <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(128px, 1fr))', gap: 1 }} data-testid="monitor-recent">
              {status.recent.map((part) => (
                <Tooltip key={part.id} title={`${part.path} — scored ${new Date(part.at).toLocaleTimeString()}`}>
                  <Box sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 0.5, borderTop: `4px solid ${OUTCOME_COLOURS[part.outcome!]}` }} data-testid="monitor-part">
                    <Box sx={{ height: 96, display: 'grid', placeItems: 'center', bgcolor: 'grey.100' }}>
                      {part.thumbnail ? (
                        <img src={part.thumbnail} alt={part.name} style={{ maxWidth: '100%', maxHeight: 96 }} />
                      ) : (
                        <Typography variant="caption" color="text.secondary">
                          file gone
                        </Typography>
                      )}
                    </Box>
                    <Typography variant="caption" noWrap component="div" data-testid="monitor-part-name">
                      {part.name}
                    </Typography>
                    <Box sx={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
                      <Typography variant="body2" data-testid="monitor-part-score">
                        {part.score!.toFixed(3)}
                      </Typography>
                      <Chip size="small" label={part.outcome} sx={{ bgcolor: OUTCOME_COLOURS[part.outcome!], color: 'white' }} />
                    </Box>
                  </Box>
                </Tooltip>
              ))}
            </Box>
          )}
        </CardContent>
      </Card>
      {status.problems.length > 0 && (
        <Card variant="outlined">
          <CardContent>
            <Typography variant="subtitle1">Files not scored</Typography>
            <Table size="small" data-testid="monitor-problems">
              <TableHead>
                <TableRow>
                  <TableCell>File</TableCell>
                  <TableCell>Why</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {status.problems.map((p) => (
                  <TableRow key={p.id}>
                    <TableCell>{p.name}</TableCell>
                    <TableCell>{p.status === 'failed' ? `unreadable: ${p.reason}` : p.reason}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </CardContent>
        </Card>
      )}
    </>
  );
}
