// The main screen of an open project: filters and counters on the left, the thumbnail grid (or the viewer) in the
// middle. All keys go through the command registry; labelling updates the grid at once and the store in the
// background.
import { Alert, AppBar, Box, Button, ButtonGroup, Divider, MenuItem, Snackbar, TextField, Toolbar, Typography } from '@mui/material';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImageFilter, ImageSummary, ProjectInfo } from '../../../shared/api';
import { SPLITS, type LabelState, type Split } from '../../../shared/domain';
import { api } from '../api/transport';
import { focusTakesKey } from '../commands/focus';
import { findCommand, keyName } from '../commands/registry';
import { WORKSPACE_COMMANDS, type WorkspaceActions } from '../commands/workspaceCommands';
import { DropMaskDialog } from '../studio/panels/DropMaskDialog';
import { LabelKindPanel } from '../studio/panels/LabelKindPanel';
import { LabelsDialog } from '../studio/panels/LabelsDialog';
import { labelSession } from '../studio/session/labelSession';
import { useLabelSession } from '../studio/session/useLabelSession';
import { Studio } from '../studio/Studio';
import type { ViewerHandle } from '../viewer/viewerHandle';
import { ModelDialog } from '../models/ModelDialog';
import { MonitorButton } from '../monitor/MonitorButton';
import { filterByScore, ScoreFilterControl, useScores, type ScoreFilter } from '../models/scores';
import { Filters } from './Filters';
import { DEFAULT_GRID_ORDER, GRID_ORDERS, orderItems, storeSort, type GridOrder } from './gridOrder';
import { HealthPanel } from './HealthPanel';
import { ImportDialog } from './ImportDialog';
import { RunningImport } from './RunningImport';
import { ThumbnailGrid, type PickModifiers } from './ThumbnailGrid';

export function Workspace({ project, onClose, importFrom }: { project: ProjectInfo; onClose(): void; importFrom?: string }) {
  const [filter, setFilter] = useState<ImageFilter>({});
  /** One order for the grid, whether the store sorts (import, name) or the model's scores do. */
  const [order, setOrder] = useState<GridOrder>(DEFAULT_GRID_ORDER);
  /** Images picked with Ctrl/Shift+click: labels and split moves apply to all of them. */
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const anchor = useRef(-1);
  const [items, setItems] = useState<ImageSummary[]>([]);
  const [classes, setClasses] = useState<string[]>([]);
  const [selected, setSelected] = useState(-1);
  const [viewerOpen, setViewerOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(Boolean(importFrom));
  const [labelsOpen, setLabelsOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // what opening the project changed (an older project fitted to this version): said once, when it opens
  const [notice, setNotice] = useState<string | null>(project.notices?.length ? project.notices.join(' ') : null);
  const [healthOpen, setHealthOpen] = useState(false);
  const [modelOpen, setModelOpen] = useState(false);
  const [scoreFilter, setScoreFilter] = useState<ScoreFilter>('any');
  const scores = useScores();
  const pendingOpen = useRef<number | null>(null);
  const columns = useRef(1);
  // a project created from a folder opens with its import ready to start
  useEffect(() => {
    if (importFrom) setImportOpen(true);
  }, [importFrom]);
  const viewer = useRef<ViewerHandle>(null);

  const load = useCallback(async () => {
    const list = await api.call('images.list', { filter, sort: storeSort(order) });
    // a score order with nothing scored (the last version deleted) falls back to import order
    const usable = scores.size > 0 || !GRID_ORDERS.find((o) => o.value === order)!.needsScores ? order : DEFAULT_GRID_ORDER;
    const shown = orderItems(filterByScore(list.items, scores, scoreFilter), scores, usable);
    setItems(shown);
    setClasses(list.classes);
    const wanted = pendingOpen.current === null ? -1 : shown.findIndex((i) => i.id === pendingOpen.current);
    pendingOpen.current = null;
    if (wanted >= 0) return (setSelected(wanted), setViewerOpen(true));
    setSelected((s) => (shown.length === 0 ? -1 : Math.min(Math.max(s, 0), shown.length - 1)));
  }, [filter, order, scores, scoreFilter]);

  // an image opened from the model screens: shown in the viewer, with the filters cleared if they hide it
  const openImage = useCallback(
    (imageId: number) => {
      const at = items.findIndex((i) => i.id === imageId);
      if (at >= 0) return (setSelected(at), setViewerOpen(true));
      pendingOpen.current = imageId;
      setScoreFilter('any');
      setFilter({});
      void load();
    },
    [items, load],
  );

  useEffect(() => {
    void load();
  }, [load]);
  // a new filter or order is a new list: it starts at its top, with nothing picked
  useEffect(() => {
    setSelected(0);
    setPicked(new Set());
    anchor.current = -1;
  }, [filter, order, scoreFilter]);

  /** The images an action applies to: the picked ones, else the selected one. */
  const targets = useMemo(() => (picked.size > 0 ? items.filter((it) => picked.has(it.id)) : items[selected] ? [items[selected]!] : []), [items, picked, selected]);

  const select = useCallback(
    (index: number, mods: PickModifiers) => {
      const image = items[index];
      if (!image) return;
      if (mods.range && anchor.current >= 0) {
        const [from, to] = [Math.min(anchor.current, index), Math.max(anchor.current, index)];
        setPicked(new Set(items.slice(from, to + 1).map((it) => it.id)));
      } else if (mods.toggle) {
        setPicked((before) => {
          const next = new Set(before.size === 0 && items[selected] ? [items[selected]!.id] : before);
          if (next.has(image.id)) next.delete(image.id);
          else next.add(image.id);
          return next;
        });
        anchor.current = index;
      } else {
        setPicked(new Set());
        anchor.current = index;
      }
      setSelected(index);
    },
    [items, selected],
  );

  const moveToSplit = useCallback(
    async (split: Split) => {
      if (targets.length === 0) return;
      try {
        await api.call('images.setSplit', { ids: targets.map((t) => t.id), split });
      } catch (e) {
        setError(`The images were not moved: ${(e as Error).message}`);
      }
      void load();
    },
    [targets, load],
  );
  // an import that finishes brings new images into the grid
  useEffect(() => api.on('import.finished', () => void load()), [load]);

  // labels go through the label session: one undo step each, and a mask is never dropped without asking
  const label = useCallback(
    async (state: LabelState) => {
      if (targets.length === 0) return;
      // one image goes through the label session (one undo step, and a mask is never dropped without asking);
      // several at once go in one call, which refuses to drop masks
      if (targets.length === 1) return labelSession.setLabel(targets[0]!, state);
      const ids = new Set(targets.map((t) => t.id));
      try {
        await api.call('images.labelMany', { ids: [...ids], labelState: state });
      } catch (e) {
        setError(`The labels were not saved: ${(e as Error).message}`);
      }
      void load();
    },
    [targets, load],
  );
  useLabelSession({ setItems, onError: setError, gridKeys: !viewerOpen });

  const actions: WorkspaceActions = useMemo(
    () => ({
      label: (state) => void label(state),
      move: (delta) => setSelected((s) => Math.max(0, Math.min(items.length - 1, s + delta))),
      moveRow: (delta) => setSelected((s) => Math.max(0, Math.min(items.length - 1, s + delta * columns.current))),
      openViewer: () => selected >= 0 && setViewerOpen(true),
      closeViewer: () => setViewerOpen(false),
      clearPicks: () => setPicked(new Set()),
      fit: () => viewer.current?.fit(),
      actualSize: () => viewer.current?.actualSize(),
    }),
    [label, items.length, selected],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (importOpen || labelsOpen || modelOpen || focusTakesKey(document.activeElement, event.key) || focusTakesKey(event.target as Element | null, event.key)) return;
      const command = findCommand(WORKSPACE_COMMANDS, viewerOpen ? 'viewer' : 'grid', keyName(event));
      if (!command) return;
      event.preventDefault();
      command.run(actions);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, viewerOpen, importOpen, labelsOpen, modelOpen]);

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
          <RunningImport onOpen={() => setImportOpen(true)} />
          <Button variant="outlined" onClick={() => setModelOpen(true)} data-testid="open-model">
            Model
          </Button>
          <MonitorButton />
          <Button variant="contained" onClick={() => setImportOpen(true)} data-testid="open-import">
            Import images
          </Button>
          <Button onClick={() => setLabelsOpen(true)} data-testid="open-labels">
            Labels in/out
          </Button>
          <Button onClick={() => setHealthOpen(true)} data-testid="open-health">Check project</Button>
          <Button onClick={onClose}>Close project</Button>
        </Toolbar>
      </AppBar>
      <Box sx={{ display: 'flex', flex: 1, minHeight: 0 }}>
        <Box sx={{ width: 300, p: 2, borderRight: 1, borderColor: 'divider', overflowY: 'auto' }}>
          <Filters filter={filter} classes={classes} onChange={setFilter} order={order} onOrder={setOrder} scored={scores.size > 0} />
          <ScoreFilterControl value={scoreFilter} onChange={setScoreFilter} disabled={scores.size === 0} />
          <Divider sx={{ my: 2 }} />
          <LabelKindPanel stats={project.stats} />
          <Divider sx={{ my: 2 }} />
          <Typography variant="body2" color="text.secondary" data-testid="shown-count">
            {items.length} images shown{current ? ` — selected: ${current.folder}/${current.name}` : ''}
          </Typography>
          {picked.size > 0 && (
            <Typography variant="body2" data-testid="picked-count">
              {picked.size} picked: labels and moves apply to all of them (Esc unpicks)
            </Typography>
          )}
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
          <TextField
            select
            size="small"
            label={targets.length > 1 ? `Move ${targets.length} images to` : 'Move to split'}
            value=""
            disabled={targets.length === 0}
            onChange={(e) => void moveToSplit(e.target.value as Split)}
            sx={{ mt: 2, width: '100%' }}
            helperText={current?.splitPinned && targets.length === 1 ? `pinned in ${current.split}` : 'the choice stays through re-imports'}
            slotProps={{ htmlInput: { 'data-testid': 'move-split' } }}
          >
            {SPLITS.map((s) => (
              <MenuItem key={s} value={s}>{s}</MenuItem>
            ))}
          </TextField>
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
            <Studio ref={viewer} image={current} index={selected} total={items.length} items={items} onSelect={setSelected} />
          ) : (
            <ThumbnailGrid
              items={items}
              selected={selected}
              picked={picked}
              scrollKey={JSON.stringify([filter, order, scoreFilter])}
              onSelect={select}
              onOpen={(i) => (setSelected(i), setViewerOpen(true))}
              onColumns={(c) => (columns.current = c)}
              scores={scores}
            />
          )}
        </Box>
      </Box>
      <DropMaskDialog />
      <LabelsDialog open={labelsOpen} onClose={() => setLabelsOpen(false)} onImported={() => void load()} />
      <HealthPanel open={healthOpen} onClose={() => setHealthOpen(false)} />
      <ModelDialog open={modelOpen} onClose={() => setModelOpen(false)} onOpenImage={openImage} />
      <ImportDialog open={importOpen} onClose={() => setImportOpen(false)} initialSource={importFrom ?? ''} />
      <Snackbar open={error !== null} autoHideDuration={8000} onClose={() => setError(null)}>
        <Alert severity="error" onClose={() => setError(null)}>{error}</Alert>
      </Snackbar>
      <Snackbar open={notice !== null && error === null} anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}>
        <Alert severity="info" onClose={() => setNotice(null)} data-testid="open-notice">
          {notice}
        </Alert>
      </Snackbar>
    </Box>
  );
}
