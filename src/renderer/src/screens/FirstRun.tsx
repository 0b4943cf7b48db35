// The first screen: what the workbench is, and the three ways to start — open a project, create one from a folder
// of images, or create the demo project to try everything at once.
import { Alert, Box, Button, Card, CardActions, CardContent, IconButton, Link, List, ListItem, ListItemButton, ListItemText, Stack, Tooltip, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import type { AppInfo, ProjectInfo, RecentProject } from '../../../shared/api';
import { api } from '../api/transport';
import { useAttempt } from '../api/useAttempt';
import { PathField } from '../files/PathField';

export function FirstRun({ onOpened }: { onOpened(project: ProjectInfo, importFrom?: string): void }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [recent, setRecent] = useState<RecentProject[]>([]);
  const [openDir, setOpenDir] = useState('');
  const [newDir, setNewDir] = useState('');
  const [imagesDir, setImagesDir] = useState('');
  const [demoDir, setDemoDir] = useState('');
  const [error, setError] = useState<string | null>(null);
  const { busy, attempt } = useAttempt<string>(setError, () => setError(null));

  useEffect(() => {
    void api.call('app.info', {}).then((i) => {
      setInfo(i);
      setDemoDir(i.suggestedDemoDir);
    });
    void api.call('project.recent', {}).then(setRecent);
  }, []);


  return (
    <Box sx={{ maxWidth: 1100, mx: 'auto', p: 4 }}>
      <Typography variant="h4">Defect Workbench</Typography>
      <Typography sx={{ mt: 1, mb: 3 }} color="text.secondary">
        Label surface defects, train a detector on this computer, review what it finds and export it. Everything stays on this machine.
        Start with one of the three below; if you are new, create the demo project and press N (normal) or A (anomalous) on its images.
      </Typography>
      {error && (
        <Alert severity="error" sx={{ mb: 2 }} onClose={() => setError(null)} data-testid="first-run-error">
          {error}
        </Alert>
      )}
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <Card sx={{ flex: 1 }}>
          <CardContent>
            <Typography variant="h6">Open a project</Typography>
            <Typography variant="body2" color="text.secondary">A project is a folder with a project.sqlite in it.</Typography>
            <PathField sx={{ mt: 2 }} label="Project folder" value={openDir} onChange={setOpenDir} testId="open-dir" />
            {recent.length > 0 && (
              <List dense sx={{ mt: 1 }}>
                {recent.map((r) => (
                  <ListItem
                    key={r.root}
                    disablePadding
                    data-testid="recent-project"
                    secondaryAction={
                      <Tooltip title="Remove from this list (the folder is not touched)">
                        <IconButton edge="end" size="small" aria-label={`remove ${r.root} from the list`} onClick={() => void attempt('forget', async () => setRecent(await api.call('project.forgetRecent', { dir: r.root })))} data-testid="forget-recent">
                          ×
                        </IconButton>
                      </Tooltip>
                    }
                  >
                    <ListItemButton disabled={!r.exists} onClick={() => void attempt('open', async () => onOpened(await api.call('project.open', { dir: r.root })))}>
                      <ListItemText primary={r.name} secondary={r.exists ? r.root : `${r.root} (missing: moved or deleted)`} />
                    </ListItemButton>
                  </ListItem>
                ))}
              </List>
            )}
          </CardContent>
          <CardActions>
            <Button disabled={!openDir.trim() || busy !== null} onClick={() => void attempt('open', async () => onOpened(await api.call('project.open', { dir: openDir })))} data-testid="open-project">
              Open
            </Button>
          </CardActions>
        </Card>
        <Card sx={{ flex: 1 }}>
          <CardContent>
            <Typography variant="h6">Create a project from a folder</Typography>
            <Typography variant="body2" color="text.secondary">
              A new, empty folder for the project, and the folder of images to import (plain, good/ + defect folders, or MVTec AD layout).
            </Typography>
            <PathField sx={{ mt: 2 }} label="New project folder" value={newDir} onChange={setNewDir} testId="new-dir" />
            <PathField sx={{ mt: 2 }} label="Images to import (optional)" value={imagesDir} onChange={setImagesDir} testId="images-dir" />
          </CardContent>
          <CardActions>
            <Button
              disabled={!newDir.trim() || busy !== null}
              onClick={() => void attempt('create', async () => onOpened(await api.call('project.create', { dir: newDir }), imagesDir.trim() || undefined))}
              data-testid="create-project"
            >
              Create
            </Button>
          </CardActions>
        </Card>
        <Card sx={{ flex: 1 }}>
          <CardContent>
            <Typography variant="h6">Try the demo project</Typography>
            <Typography variant="body2" color="text.secondary">
              A few hundred generated metal-like surfaces, some with scratches, spots and dents and their masks. Made in seconds on this computer.
            </Typography>
            <PathField sx={{ mt: 2 }} label="Folder for the demo project" value={demoDir} onChange={setDemoDir} testId="demo-dir" />
          </CardContent>
          <CardActions>
            <Button variant="contained" disabled={!demoDir.trim() || busy !== null} onClick={() => void attempt('demo', async () => onOpened(await api.call('project.createDemo', { dir: demoDir })))} data-testid="create-demo">
              {busy === 'demo' ? 'Generating…' : 'Create the demo project'}
            </Button>
          </CardActions>
        </Card>
      </Stack>
      {info && (
        <Typography variant="caption" color="text.secondary" component="p" sx={{ mt: 4 }}>
          Version {info.version}, {info.shell === 'browser' ? 'browser mode (served on 127.0.0.1 only)' : 'desktop'}. The command line does the same from scripts: <Link component="span">dwb --help</Link>.
        </Typography>
      )}
    </Box>
  );
}
