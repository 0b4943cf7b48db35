// The main screen of an open project: filters and counters on the left, the thumbnail grid (or the viewer) in the
// middle. All keys go through the command registry; labelling updates the grid at once and the store in the
// background.
import { Alert, AppBar, Box, Button, ButtonGroup, Divider, Snackbar, Toolbar, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImageFilter, ImageSummary, ProjectInfo } from '../../../shared/api';
import type { LabelState } from '../../../shared/domain';
import { api } from '../api/transport';
import { findCommand, keyName } from '../commands/registry';
import { WORKSPACE_COMMANDS, type WorkspaceActions } from '../commands/workspaceCommands';
import { ModelDialog } from '../models/ModelDialog';
import { applyScoreView, DEFAULT_SCORE_VIEW, ScoreControls, useScores } from '../models/scores';
import { Viewer, type ViewerHandle } from '../viewer/Viewer';
import { Counters } from './Counters';
import { Filters } from './Filters';
import { ImportDialog } from './ImportDialog';
import { ThumbnailGrid } from './ThumbnailGrid';

export function Workspace({ project, onClose, importFrom }: { project: ProjectInfo; onClose(): void; importFrom?: string }) {
  const [filter, setFilter] = useState<ImageFilter>({});
  const [items, setItems] = useState<ImageSummary[]>([]);
  const [classes, setClasses] = useState<string[]>([]);
  const [selected, setSelected] = useState(-1);
  const [viewerOpen, setViewerOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(Boolean(importFrom));
  const [error, setError] = useState<string | null>(null);
  const [modelOpen, setModelOpen] = useState(false);
  const [scoreView, setScoreView] = useState(DEFAULT_SCORE_VIEW);
  const scores = useScores();
  const pendingOpen = useRef<number | null>(null);
  const columns = useRef(1);
  // a project created from a folder opens with its import ready to start
  useEffect(() => {
    if (importFrom) setImportOpen(true);
  }, [importFrom]);
  const viewer = useRef<ViewerHandle>(null);

  const load = useCallback(async () => {
    const list = await api.call('images.list', { filter });
    const shown = applyScoreView(list.items, scores, scoreView);
    setItems(shown);
    setClasses(list.classes);
    const wanted = pendingOpen.current === null ? -1 : shown.findIndex((i) => i.id === pendingOpen.current);
    pendingOpen.current = null;
    if (wanted >= 0) return (setSelected(wanted), setViewerOpen(true));
    setSelected((s) => (shown.length === 0 ? -1 : Math.min(Math.max(s, 0), shown.length - 1)));
  }, [filter, scores, scoreView]);

  // an image opened from the model screens: shown in the viewer, with the filters cleared if they hide it
  const openImage = useCallback(
    (imageId: number) => {
      const at = items.findIndex((i) => i.id === imageId);
      if (at >= 0) return (setSelected(at), setViewerOpen(true));
      pendingOpen.current = imageId;
      setScoreView(DEFAULT_SCORE_VIEW);
      setFilter({});
      void load();
    },
    [items, load],
  );

  useEffect(() => {
    void load();
  }, [load]);
  // an import that finishes brings new images into the grid
  useEffect(() => api.on('import.finished', () => void load()), [load]);

  const label = useCallback(
    async (state: LabelState) => {
      const image = items[selected];
      if (!image) return;
      setItems((list) => list.map((it, i) => (i === selected ? { ...it, labelState: state, defectClass: state === 'anomalous' ? it.defectClass : null, hasMask: state === 'anomalous' && it.hasMask } : it)));
      try {
        await api.call('images.label', { id: image.id, labelState: state });
      } catch (e) {
        setError(`The label was not saved: ${(e as Error).message}`);
        void load();
      }
    },
    [items, selected, load],
  );

  const actions: WorkspaceActions = useMemo(
    () => ({
      label: (state) => void label(state),
      move: (delta) => setSelected((s) => Math.max(0, Math.min(items.length - 1, s + delta))),
      moveRow: (delta) => setSelected((s) => Math.max(0, Math.min(items.length - 1, s + delta * columns.current))),
      openViewer: () => selected >= 0 && setViewerOpen(true),
      closeViewer: () => setViewerOpen(false),
      fit: () => viewer.current?.fit(),
      actualSize: () => viewer.current?.actualSize(),
    }),
    [label, items.length, selected],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (importOpen || modelOpen || target?.closest('input, textarea, [role="listbox"], [role="dialog"]')) return;
      const command = findCommand(WORKSPACE_COMMANDS, viewerOpen ? 'viewer' : 'grid', keyName(event));
      if (!command) return;
      event.preventDefault();
      command.run(actions);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, viewerOpen, importOpen, modelOpen]);

  const current = items[selected];
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '100vh' }}>
      <AppBar position="static" color="default" elevation={1}>
        <Toolbar variant="dense" sx={{ gap: 2 }}>
          <Typography variant="h6" sx={{ flex: 1 }} noWrap data-testid="project-name">
            {project.name}
            <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 2 }}>
              {project.root}
            </Typography>
          </Typography>
          <Button variant="outlined" onClick={() => setModelOpen(true)} data-testid="open-model">
            Model
          </Button>
          <Button variant="contained" onClick={() => setImportOpen(true)} data-testid="open-import">
            Import images
          </Button>
          <Button onClick={onClose}>Close project</Button>
        </Toolbar>
      </AppBar>
      <Box sx={{ display: 'flex', flex: 1, minHeight: 0 }}>
        <Box sx={{ width: 300, p: 2, borderRight: 1, borderColor: 'divider', overflowY: 'auto' }}>
          <Filters filter={filter} classes={classes} onChange={setFilter} />
          <ScoreControls view={scoreView} onChange={setScoreView} disabled={scores.size === 0} />
          <Divider sx={{ my: 2 }} />
          <Counters stats={project.stats} />
          <Divider sx={{ my: 2 }} />
          <Typography variant="body2" color="text.secondary" data-testid="shown-count">
            {items.length} images shown{current ? ` — selected: ${current.name}` : ''}
          </Typography>
          <ButtonGroup size="small" sx={{ mt: 1 }} disabled={!current} aria-label="label the selected image">
            <Button color="success" variant={current?.labelState === 'normal' ? 'contained' : 'outlined'} onClick={() => void label('normal')} data-testid="label-normal">
              Normal (N)
            </Button>
            <Button color="error" variant={current?.labelState === 'anomalous' ? 'contained' : 'outlined'} onClick={() => void label('anomalous')} data-testid="label-anomalous">
              Anomalous (A)
            </Button>
            <Button variant={current?.labelState === 'unlabeled' ? 'contained' : 'outlined'} onClick={() => void label('unlabeled')} data-testid="label-unlabeled">
              None (U)
            </Button>
          </ButtonGroup>
          <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1, whiteSpace: 'pre-line' }}>
            {WORKSPACE_COMMANDS.map((c) => `${c.keys.map((k) => (k === ' ' ? 'Space' : k.length === 1 ? k.toUpperCase() : k)).join(' / ')}: ${c.label}`).join('\n')}
          </Typography>
        </Box>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          {items.length === 0 ? (
            <Box sx={{ p: 4 }}>
              <Typography variant="h6">{project.stats.images === 0 ? 'This project has no images yet.' : 'No image matches the filters.'}</Typography>
              <Typography color="text.secondary">
                {project.stats.images === 0 ? 'Import a folder of images to start labelling: press “Import images” above.' : 'Choose other filters on the left.'}
              </Typography>
            </Box>
          ) : viewerOpen && current ? (
            <Viewer ref={viewer} image={current} version={0} index={selected} total={items.length} />
          ) : (
            <ThumbnailGrid items={items} selected={selected} onSelect={setSelected} onOpen={(i) => (setSelected(i), setViewerOpen(true))} onColumns={(c) => (columns.current = c)} scores={scores} />
          )}
        </Box>
      </Box>
      <ModelDialog open={modelOpen} onClose={() => setModelOpen(false)} onOpenImage={openImage} />
      <ImportDialog open={importOpen} onClose={() => setImportOpen(false)} initialSource={importFrom ?? ''} />
      <Snackbar open={error !== null} autoHideDuration={8000} onClose={() => setError(null)}>
        <Alert severity="error" onClose={() => setError(null)}>{error}</Alert>
      </Snackbar>
    </Box>
  );
}
