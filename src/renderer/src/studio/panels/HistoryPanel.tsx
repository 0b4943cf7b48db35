// One image's label history, newest first: what, when, from where (import, user, review), with restore.
import { Box, Button, IconButton, List, ListItem, ListItemText, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { labelKindOf, type LabelEvent } from '../../../../shared/domain';
import { api } from '../../api/transport';
import { labelSession } from '../session/labelSession';

export function HistoryPanel({ imageId, onClose }: { imageId: number; onClose(): void }) {
  const [events, setEvents] = useState<LabelEvent[]>([]);
  const load = useCallback(async () => setEvents(await api.call('images.history', { id: imageId })), [imageId]);
  useEffect(() => {
    void load();
    return labelSession.onRecord((r) => r.id === imageId && void load());
  }, [imageId, load]);
  const current = events.at(-1)?.id;
  return (
    <Box sx={{ width: 300, borderLeft: 1, borderColor: 'divider', overflowY: 'auto' }} data-testid="history-panel">
      <Box sx={{ display: 'flex', alignItems: 'center', p: 1 }}>
        <Typography variant="subtitle2" sx={{ flex: 1 }}>Label history</Typography>
        <IconButton size="small" onClick={onClose} aria-label="close the history">×</IconButton>
      </Box>
      <List dense>
        {[...events].reverse().map((e) => (
          <ListItem
            key={e.id}
            data-testid="history-entry"
            secondaryAction={
              e.id === current ? (
                <Typography variant="caption">current</Typography>
              ) : (
                <Button size="small" onClick={() => void labelSession.restore(imageId, e.id)}>Restore</Button>
              )
            }
          >
            <ListItemText
              primary={`${labelKindOf(e)}${e.defectClass ? `: ${e.defectClass}` : ''}`}
              secondary={`${new Date(e.at).toLocaleString()} · ${e.source}${e.restoredFrom ? ` · restored #${e.restoredFrom}` : ''}`}
            />
          </ListItem>
        ))}
      </List>
    </Box>
  );
}
