// The labelling studio: the viewer of one image with its mask, the tools to draw and correct it, its label kind
// and history, the display window, and every key. Edits go to the mask scene at once and to the store through the
// label session, one undo step each.
import { Box, Button, Chip, Stack, Typography } from '@mui/material';
import { forwardRef, useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import type { ImageSummary } from '../../../shared/api';
import type { ImageRecord } from '../../../shared/domain';
import { decodeRuns, encodeRuns, type DefectClass } from '../../../shared/labels';
import { api } from '../api/transport';
import { actualSizeViewport, fitViewport, type Viewport } from '../viewer/viewport';
import type { ViewerHandle } from '../viewer/viewerHandle';
import { StudioCanvas, type CanvasHandle } from './canvas/StudioCanvas';
import { HelpOverlay } from './panels/HelpOverlay';
import { HistoryPanel } from './panels/HistoryPanel';
import { EmptyMaskDialog } from './panels/EmptyMaskDialog';
import { Filmstrip } from './panels/Filmstrip';
import { StudioToolbar } from './panels/StudioToolbar';
import { HeatmapControls } from '../models/HeatmapOverlay';
import { kindOfSummary, KIND_COLORS } from './labelKind';
import { MaskScene } from './scene/maskScene';
import { clearEdit, floodEdit, polygonEdit, stepSize, strokeEdit, type Edit, type Point, type ToolId, type ToolSettings } from './scene/tools';
import { labelSession } from './session/labelSession';
import { STUDIO_COMMANDS, studioKeyName, type StudioActions } from './studioCommands';
import { displayFilter, DisplayWindowFilter, DEFAULT_WINDOW, type DisplayWindow } from './displayWindow';

export const keyOf = (r: Pick<ImageRecord, 'classMaskSha256' | 'maskSha256'>) => r.classMaskSha256 ?? r.maskSha256 ?? null;

function useLoadedImage(url: string | null): HTMLImageElement | null {
  const [image, setImage] = useState<HTMLImageElement | null>(null);
  useEffect(() => {
    if (!url) return setImage(null);
    let live = true;
    const element = new window.Image();
    element.onload = () => live && setImage(element);
    element.src = url;
    return () => {
      live = false;
    };
  }, [url]);
  return image;
}

function useElementSize<T extends HTMLElement>(): [React.RefObject<T | null>, { width: number; height: number }] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    if (!ref.current) return;
    const observer = new ResizeObserver(([entry]) => setSize({ width: Math.floor(entry!.contentRect.width), height: Math.floor(entry!.contentRect.height) }));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

/** The project's classes, kept current. */
function useClasses(): [DefectClass[], () => Promise<DefectClass[]>] {
  const [classes, setClasses] = useState<DefectClass[]>([]);
  const reload = useCallback(async () => {
    const list = await api.call('classes.list', {});
    setClasses(list);
    return list;
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return [classes, reload];
}

interface EmptyQuestion {
  answer(choice: 'weak' | 'normal' | null): void;
}

export interface StudioProps {
  image: ImageSummary;
  index: number;
  total: number;
  /** The grid's images (with its filters), for the filmstrip. */
  items?: readonly ImageSummary[];
  onSelect?(index: number): void;
}

export const Studio = forwardRef<ViewerHandle, StudioProps>(function Studio({ image, index, total, items, onSelect }, handle) {
  const [boxRef, stage] = useElementSize<HTMLDivElement>();
  const picture = useLoadedImage(api.fileUrl('image', image.sha256));
  const [classes, reloadClasses] = useClasses();
  const [scene, setScene] = useState<MaskScene | null>(null);
  const sceneRef = useRef<MaskScene | null>(null);
  sceneRef.current = scene;
  const canvas = useRef<CanvasHandle>(null);
  const [viewport, setViewport] = useState<Viewport | null>(null);
  const lastSize = useRef('');
  const [settings, setSettings] = useState<ToolSettings>({ tool: 'brush', brushSize: 12, eraserSize: 24, classId: null });
  const [showMask, setShowMask] = useState(true);
  const [showHistory, setShowHistory] = useState(false);
  const [showHelp, setShowHelp] = useState(false);
  const [windowing, setWindowing] = useState<DisplayWindow>(DEFAULT_WINDOW);
  const [emptyQuestion, setEmptyQuestion] = useState<EmptyQuestion | null>(null);
  const [, setTick] = useState(0);

  // the class the brush paints: the chosen one, else the image's own, else the first
  const classId = settings.classId ?? classes.find((c) => c.name === image.defectClass)?.id ?? classes[0]?.id ?? null;
  const currentClass = classes.find((c) => c.id === classId) ?? null;

  const loadMask = useCallback(
    async (imageId: number) => {
      const [data, list] = await Promise.all([api.call('masks.get', { id: imageId }), api.call('classes.list', {})]);
      if (imageId !== image.id) return;
      const pixels = decodeRuns(data.mask.runs, data.width * data.height);
      setScene(new MaskScene(imageId, data.width, data.height, pixels, data.key, list));
    },
    [image.id],
  );

  useEffect(() => {
    setScene(null);
    canvas.current?.setPolygon([]);
    void loadMask(image.id);
  }, [image.id, loadMask]);

  useEffect(() => {
    scene?.setClasses(classes);
    canvas.current?.redrawMask();
  }, [classes, scene]);

  // undo, redo, restores and saves as the session reports them
  useEffect(() => {
    const offPixels = labelSession.onPixels((imageId, rect, values) => {
      const s = sceneRef.current;
      if (!s || s.imageId !== imageId) return;
      s.write(rect, values);
      canvas.current?.redrawMask();
      setTick((t) => t + 1);
    });
    const offRecord = labelSession.onRecord((record) => {
      const s = sceneRef.current;
      if (s && s.imageId === record.id) s.key = keyOf(record);
    });
    const offReload = labelSession.onReload((imageId) => {
      if (imageId === sceneRef.current?.imageId) void loadMask(imageId);
    });
    const offStacks = labelSession.onStacks(() => setTick((t) => t + 1));
    return () => (offPixels(), offRecord(), offReload(), offStacks());
  }, [loadMask]);

  // fit when the viewer opens or the image size changes; keep the view while paging through same-size images
  useEffect(() => {
    if (!stage.width || !stage.height) return;
    const key = `${image.width}x${image.height}`;
    if (viewport === null || lastSize.current !== key) {
      lastSize.current = key;
      setViewport(fitViewport(image, stage));
    }
  }, [image, stage, viewport]);

  useImperativeHandle(handle, () => ({
    fit: () => setViewport(fitViewport(image, stage)),
    actualSize: () => viewport && setViewport(actualSizeViewport(viewport, stage)),
  }));

  const askEmpty = () => new Promise<'weak' | 'normal' | null>((resolve) => setEmptyQuestion({ answer: (c) => (setEmptyQuestion(null), resolve(c)) }));

  /** Sends one edit already applied to the scene; asks first when it leaves the mask empty. */
  const submit = useCallback(
    async (edit: Edit | null, what: string) => {
      const s = sceneRef.current;
      if (!s || !edit) return;
      canvas.current?.redrawMask();
      setTick((t) => t + 1);
      let whenEmpty: 'weak' | 'normal' | undefined;
      if (s.area === 0) {
        const choice = await askEmpty();
        if (!choice) {
          s.write(edit.rect, edit.before);
          canvas.current?.redrawMask();
          return;
        }
        whenEmpty = choice;
      }
      const patch = { ...edit.rect, runs: encodeRuns(edit.after) };
      await labelSession.recordEdit({ imageId: s.imageId, what, pixels: edit }, async () => {
        const change = await api.call('masks.apply', { id: s.imageId, base: s.key, patch, ...(whenEmpty ? { whenEmpty } : {}) });
        s.key = keyOf(change);
        return change;
      });
    },
    [],
  );

  /** The class a stroke paints; a project without classes gets one called "defect" on the first stroke. */
  const paintValue = async (): Promise<number | null> => {
    if (classId !== null) return classId;
    const created = await api.call('classes.create', { name: 'defect' });
    await reloadClasses();
    setSettings((s) => ({ ...s, classId: created.id }));
    return created.id;
  };

  const onStroke = async (points: Point[]) => {
    const s = sceneRef.current;
    if (!s) return;
    if (settings.tool === 'eraser') return submit(strokeEdit(s, points, settings.eraserSize, 0), 'erase');
    const value = await paintValue();
    if (value !== null) await submit(strokeEdit(s, points, settings.brushSize, value), 'brush stroke');
  };
  const onPolygon = async (points: Point[], mode: 'fill' | 'cut') => {
    const s = sceneRef.current;
    if (!s) return;
    const value = mode === 'cut' ? 0 : await paintValue();
    if (value !== null) await submit(polygonEdit(s, points, value), mode === 'cut' ? 'polygon cut' : 'polygon');
  };
  const onFill = async (at: Point) => {
    const s = sceneRef.current;
    const value = await paintValue();
    if (s && value !== null) await submit(floodEdit(s, at, value), 'flood fill');
  };

  const actions: StudioActions = useMemo(
    () => ({
      tool: (tool: ToolId) => setSettings((s) => ({ ...s, tool })),
      size: (direction) =>
        setSettings((s) => (s.tool === 'eraser' ? { ...s, eraserSize: stepSize(s.eraserSize, direction) } : { ...s, brushSize: stepSize(s.brushSize, direction) })),
      nextClass: (direction) => {
        if (!classes.length) return;
        const at = Math.max(0, classes.findIndex((c) => c.id === classId));
        setSettings((s) => ({ ...s, classId: classes[(at + direction + classes.length) % classes.length]!.id }));
      },
      undo: () => labelSession.undo(),
      redo: () => labelSession.redo(),
      clear: () => {
        const s = sceneRef.current;
        if (s) void submit(clearEdit(s), 'clear');
      },
      closePolygon: (mode) => {
        const points = canvas.current?.polygon() ?? [];
        if (points.length < 3) return false;
        canvas.current?.setPolygon([]);
        void onPolygon(points, mode);
        return true;
      },
      cancelPolygon: () => {
        if (!canvas.current?.polygon().length) return false;
        canvas.current.setPolygon([]);
        return true;
      },
      removePolygonPoint: () => {
        const points = canvas.current?.polygon() ?? [];
        if (!points.length) return false;
        canvas.current!.setPolygon(points.slice(0, -1));
        return true;
      },
      toggleMask: () => setShowMask((v) => !v),
      toggleHistory: () => setShowHistory((v) => !v),
      toggleHelp: () => setShowHelp((v) => !v),
      level: (delta) => setWindowing((w) => ({ ...w, level: Math.max(0, Math.min(255, w.level + delta)) })),
      window: (factor) => setWindowing((w) => ({ ...w, width: Math.max(4, Math.min(1024, w.width * factor)) })),
      resetWindow: () => setWindowing(DEFAULT_WINDOW),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [classes, classId, submit, settings],
  );

  // the studio's keys come first (capture), and fall through to the workspace's when they do not apply
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, [role="listbox"], [role="dialog"]')) return;
      if (emptyQuestion) return;
      const name = studioKeyName(event);
      const command = STUDIO_COMMANDS.find((c) => c.keys.includes(name));
      if (!command) return;
      if (command.run(actions) === false) return;
      event.preventDefault();
      event.stopImmediatePropagation();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [actions, emptyQuestion]);

  const kind = kindOfSummary(image);
  const color = image.labelState === 'anomalous' ? 'error' : image.labelState === 'normal' ? 'success' : 'default';
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', p: 1, borderBottom: 1, borderColor: 'divider' }}>
        <Typography variant="subtitle2" noWrap sx={{ flex: 1 }} data-testid="viewer-title">
          {image.name} — {image.width}×{image.height} — {index + 1} of {total}
        </Typography>
        <Chip size="small" sx={{ bgcolor: KIND_COLORS[kind], color: '#fff' }} label={kind} data-testid="viewer-kind" title="label strength: unlabeled, normal, weak (image-level only) or full (pixel mask)" />
        <Chip size="small" color={color} label={image.labelState === 'anomalous' && image.defectClass ? `anomalous: ${image.defectClass}` : image.labelState} data-testid="viewer-label" />
        <Chip size="small" variant="outlined" label={image.split} />
        <Typography variant="caption" color="text.secondary" data-testid="save-state">
          {labelSession.pending > 0 ? 'saving…' : 'saved'}
        </Typography>
        {image.hasMask && (
          <Button size="small" onClick={() => setShowMask((s) => !s)} title="Show / hide the mask (M)">
            {showMask ? 'Hide mask' : 'Show mask'}
          </Button>
        )}
        <HeatmapControls imageId={image.id} />
        <Button size="small" onClick={() => setViewport(fitViewport(image, stage))} title="Fit the image to the window (F)">
          Fit (F)
        </Button>
        <Button size="small" onClick={() => viewport && setViewport(actualSizeViewport(viewport, stage))} title="One image pixel per screen pixel (1)">
          100% (1)
        </Button>
        <Typography variant="caption" sx={{ width: 56, textAlign: 'right' }}>
          {viewport ? `${Math.round(viewport.scale * 100)}%` : ''}
        </Typography>
      </Stack>
      <StudioToolbar
        settings={settings}
        onSettings={setSettings}
        classes={classes}
        classId={classId}
        onClassesChanged={reloadClasses}
        windowing={windowing}
        onWindowing={setWindowing}
        canUndo={labelSession.canUndo}
        canRedo={labelSession.canRedo}
        actions={actions}
      />
      <Box sx={{ flex: 1, minHeight: 0, display: 'flex' }}>
        <Box ref={boxRef} sx={{ flex: 1, minWidth: 0, bgcolor: '#1e1e1e', overflow: 'hidden', position: 'relative' }} data-testid="viewer-stage">
          {viewport && stage.width > 0 && (
            <StudioCanvas
              handle={canvas}
              width={stage.width}
              height={stage.height}
              picture={picture}
              image={image}
              scene={scene}
              viewport={viewport}
              onViewport={setViewport}
              settings={{ ...settings, classId }}
              color={currentClass?.color ?? '#e53935'}
              showMask={showMask}
              displayFilter={displayFilter(windowing)}
              onStroke={(p) => void onStroke(p)}
              onPolygon={(p, m) => void onPolygon(p, m)}
              onFill={(p) => void onFill(p)}
            />
          )}
        </Box>
        {showHistory && <HistoryPanel imageId={image.id} onClose={() => setShowHistory(false)} />}
      </Box>
      {items && onSelect && <Filmstrip items={items} index={index} onSelect={onSelect} />}
      <DisplayWindowFilter window={windowing} />
      <EmptyMaskDialog open={emptyQuestion !== null} onAnswer={(c) => emptyQuestion?.answer(c)} />
      <HelpOverlay open={showHelp} onClose={() => setShowHelp(false)} />
    </Box>
  );
});
