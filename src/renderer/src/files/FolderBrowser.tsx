// Browser mode's folder picker: walks the folders the bridge lists (only those this user may read), one level at a
// time, from the typed path or the home folder. Given file extensions, it lists those files too and a click on one
// picks it. In the desktop app the system's own dialogs are used instead.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { FolderListing } from '../../../shared/api';
import { api } from '../api/transport';

export function FolderBrowser(props: { open: boolean; start?: string; title: string; fileExtensions?: string[]; onPick(path: string): void; onClose(): void }) {
  const { open, start, title, fileExtensions, onPick, onClose } = props;
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);

  const go = async (dir?: string) => {
    const files = fileExtensions ? { files: fileExtensions } : {};
    const list = (at?: string) => api.call('fs.list', at ? { dir: at, ...files } : files);
    try {
      setListing(await list(dir));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
      // a typed path that is a file or gone: start from the folder above it, else from home
      const above = dir?.replace(/[\\/]+[^\\/]*$/, '');
      if (dir) setListing(await (above ? list(above) : list()).catch(() => list()));
    }
  };
  useEffect(() => {
    if (open) void go(start?.trim() || undefined);
  }, [open]); // eslint-disable-line react-hooks/exhaustive-deps -- open once per showing, from where the field points

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm" data-testid="folder-browser">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent dividers>
        {error && <Alert severity="warning" sx={{ mb: 1 }}>{error}</Alert>}
        {listing && (
          <>
            <Typography variant="body2" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} data-testid="folder-browser-dir">
              {listing.dir}
            </Typography>
            <Typography variant="caption" color="text.secondary">
              {listing.isProject ? 'a Defect Workbench project — ' : ''}
              {listing.images} image files here, {listing.folders.length} folders
              {listing.files && fileExtensions ? `, ${listing.files.length} ${fileExtensions.map((e) => `.${e}`).join(' / ')} files (click one to choose it)` : ''}
            </Typography>
            <List dense sx={{ height: 360, overflow: 'auto' }}>
              {listing.parent && (
                <ListItemButton onClick={() => void go(listing.parent!)}>
                  <ListItemText primary=".. (up)" />
                </ListItemButton>
              )}
              {listing.folders.map((f) => (
                <ListItemButton key={f.path} onClick={() => void go(f.path)} data-testid="folder-browser-entry">
                  <ListItemText primary={`${f.name}/`} secondary={f.isProject ? 'project' : undefined} />
                </ListItemButton>
              ))}
              {listing.files?.map((f) => (
                <ListItemButton key={f.path} onClick={() => onPick(f.path)} data-testid="folder-browser-file">
                  <ListItemText primary={f.name} slotProps={{ primary: { color: 'primary' } }} />
                </ListItemButton>
              ))}
            </List>
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!listing} onClick={() => listing && onPick(listing.dir)} data-testid="folder-browser-choose">
          Choose this folder
        </Button>
      </DialogActions>
    </Dialog>
  );
}
