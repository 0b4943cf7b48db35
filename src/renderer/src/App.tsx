import { Box, CircularProgress, CssBaseline, ThemeProvider, createTheme } from '@mui/material';
import { useEffect, useState } from 'react';
import type { ProjectInfo } from '../../shared/api';
import { api } from './api/transport';
import { FirstRun } from './screens/FirstRun';
import { Workspace } from './workspace/Workspace';

const theme = createTheme({ palette: { mode: 'light', primary: { main: '#1565c0' } }, typography: { fontSize: 13 } });

export function App() {
  const [project, setProject] = useState<ProjectInfo | null | undefined>(undefined);
  // the folder to import into a project just created, tied to that project: the project.changed event may mount the
  // workspace before onOpened runs, and another project must never inherit it
  const [importFrom, setImportFrom] = useState<{ root: string; source: string } | undefined>();

  useEffect(() => {
    void api.call('project.current', {}).then(setProject);
    // counters and names follow the store: labels, imports and project switches all announce themselves
    return api.on('project.changed', setProject);
  }, []);

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      {project === undefined ? (
        <Box sx={{ display: 'grid', placeItems: 'center', height: '100vh' }}>
          <CircularProgress />
        </Box>
      ) : project === null ? (
        <FirstRun
          onOpened={(p, from) => {
            setImportFrom(from ? { root: p.root, source: from } : undefined);
            setProject(p);
          }}
        />
      ) : (
        <Workspace key={project.root} project={project} importFrom={importFrom?.root === project.root ? importFrom.source : undefined} onClose={() => void api.call('project.close', {})} />
      )}
    </ThemeProvider>
  );
}
