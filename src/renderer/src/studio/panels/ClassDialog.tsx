// The project's defect classes: create, rename, recolour, merge. Imported classes are already here.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import type { WorkbenchApi } from '../../../../shared/api';
import type { DefectClass } from '../../../../shared/labels';

export function ClassDialog(props: { open: boolean; classes: DefectClass[]; onClose(): void; onChanged(): Promise<unknown>; api: WorkbenchApi }) {
  const { open, classes, onClose, onChanged, api } = props;
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [mergeFrom, setMergeFrom] = useState<number | ''>('');
  const [mergeInto, setMergeInto] = useState<number | ''>('');
  const run = async (work: () => Promise<unknown>) => {
    try {
      setError(null);
      await work();
      await onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Dialog open={open} onClose={onClose} maxWidth="sm" fullWidth>
      <DialogTitle>Defect classes</DialogTitle>
      <DialogContent>
        <Stack spacing={1.5} sx={{ mt: 1 }}>
          {classes.map((c) => (
            <Stack key={c.id} direction="row" spacing={1} sx={{ alignItems: 'center' }}>
              <input type="color" value={c.color} aria-label={`colour of ${c.name}`} onChange={(e) => void run(() => api.call('classes.update', { id: c.id, color: e.target.value }))} />
              <TextField
                size="small"
                defaultValue={c.name}
                label={`${c.images} images`}
                onBlur={(e) => e.target.value !== c.name && void run(() => api.call('classes.update', { id: c.id, name: e.target.value }))}
              />
            </Stack>
          ))}
          <Stack direction="row" spacing={1}>
            <TextField size="small" label="New class" value={name} onChange={(e) => setName(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'new-class-name' } }} />
            <Button disabled={!name.trim()} onClick={() => void run(async () => (await api.call('classes.create', { name }), setName('')))} data-testid="create-class">
              Create
            </Button>
          </Stack>
          <Stack direction="row" spacing={1}>
            <TextField select size="small" label="Merge" value={mergeFrom} onChange={(e) => setMergeFrom(Number(e.target.value))} sx={{ minWidth: 140 }}>
              {classes.map((c) => <MenuItem key={c.id} value={c.id}>{c.name}</MenuItem>)}
            </TextField>
            <TextField select size="small" label="into" value={mergeInto} onChange={(e) => setMergeInto(Number(e.target.value))} sx={{ minWidth: 140 }}>
              {classes.map((c) => <MenuItem key={c.id} value={c.id}>{c.name}</MenuItem>)}
            </TextField>
            <Button disabled={mergeFrom === '' || mergeInto === '' || mergeFrom === mergeInto} onClick={() => void run(() => api.call('classes.merge', { from: Number(mergeFrom), into: Number(mergeInto) }))}>
              Merge
            </Button>
          </Stack>
          {error && <Alert severity="error">{error}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
