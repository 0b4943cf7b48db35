// The studio's Konva stage, in layers: the image (drawn through the display window, pixels untouched) with the
// committed mask overlay; the stroke in progress on its own layer; and the cursor ring and polygon on the top one.
// Pointer moves only touch the two top layers (a line and a ring), so painting costs the same on a 512² image as on
// an 8192×2048 strip; a finished stroke is rasterised into the mask after the pointer event, then the mask layer is
// redrawn once.
import Konva from 'konva';
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { Circle, Group, Image as KonvaImage, Layer, Line, Shape, Stage } from 'react-konva';
import { HeatmapLayer } from '../../models/HeatmapOverlay';
import { stagePoint, toImage, zoomAt, type Viewport } from '../../viewer/viewport';
import type { MaskScene } from '../scene/maskScene';
import { snapCentre, snapCorner, type Point, type ToolSettings } from '../scene/tools';

export interface CanvasHandle {
  /** Redraws the committed mask (after an edit, undo or reload). */
  redrawMask(): void;
  polygon(): Point[];
  setPolygon(points: Point[]): void;
}

export interface StrokeRequest {
  kind: 'stroke';
  points: Point[];
}

interface Props {
  width: number;
  height: number;
  picture: HTMLImageElement | null;
  image: { id: number; width: number; height: number };
  scene: MaskScene | null;
  viewport: Viewport;
  onViewport(v: Viewport): void;
  settings: ToolSettings;
  /** Colour of the class the brush paints. */
  color: string;
  showMask: boolean;
  /** CSS filter (the display window) applied when drawing the image only. */
  displayFilter: string;
  onStroke(points: Point[]): void;
  onPolygon(points: Point[], mode: 'fill' | 'cut'): void;
  onFill(at: Point): void;
  handle: Ref<CanvasHandle>;
}

const CLOSE_DISTANCE_PX = 8;
/** One empty list for the lines' initial points: a new [] each render would make react-konva wipe the live line. */
const NO_POINTS: number[] = [];

export function StudioCanvas(props: Props) {
  const { width, height, picture, image, scene, viewport, onViewport, settings, color, showMask, displayFilter } = props;
  const container = useRef<HTMLDivElement>(null);
  const maskLayer = useRef<Konva.Layer>(null);
  const liveLayer = useRef<Konva.Layer>(null);
  const uiLayer = useRef<Konva.Layer>(null);
  const liveLine = useRef<Konva.Line>(null);
  const ring = useRef<Konva.Group>(null);
  const polyLine = useRef<Konva.Line>(null);
  const polyHandles = useRef<Konva.Group>(null);
  const state = useRef({
    viewport,
    settings,
    stroke: null as Point[] | null,
    pan: null as { x: number; y: number; vx: number; vy: number } | null,
    space: false,
    polygon: [] as Point[],
    cursor: null as Point | null,
  });
  state.current.viewport = viewport;
  state.current.settings = settings;
  const [panning, setPanning] = useState(false);

  const drawPolygon = () => {
    const { polygon, cursor, viewport: v } = state.current;
    const line = polyLine.current;
    const handles = polyHandles.current;
    if (!line || !handles) return;
    const pts = polygon.flatMap((p) => [p[0], p[1]]);
    if (cursor && polygon.length && state.current.settings.tool === 'polygon') pts.push(Math.round(cursor[0]), Math.round(cursor[1]));
    line.points(pts);
    line.strokeWidth(1.5 / v.scale);
    handles.destroyChildren();
    polygon.forEach((p, i) =>
      handles.add(new Konva.Rect({ x: p[0] - 3 / v.scale, y: p[1] - 3 / v.scale, width: 6 / v.scale, height: 6 / v.scale, fill: i === 0 ? '#ffeb3b' : '#ffffff', stroke: '#000', strokeWidth: 1 / v.scale })),
    );
    uiLayer.current?.batchDraw();
  };

  useImperativeHandle(props.handle, () => ({
    redrawMask: () => maskLayer.current?.batchDraw(),
    polygon: () => state.current.polygon,
    setPolygon: (points) => {
      state.current.polygon = points;
      drawPolygon();
    },
  }));

  const diameter = settings.tool === 'eraser' ? settings.eraserSize : settings.brushSize;
  const drawRing = () => {
    const g = ring.current;
    const { cursor, settings: s, viewport: v } = state.current;
    if (!g) return;
    const visible = cursor !== null && (s.tool === 'brush' || s.tool === 'eraser') && !state.current.space && !state.current.pan;
    g.visible(visible);
    if (visible) {
      g.position({ x: cursor[0], y: cursor[1] });
      const d = s.tool === 'eraser' ? s.eraserSize : s.brushSize;
      const [outer, inner] = g.getChildren() as Konva.Circle[];
      outer!.radius(d / 2);
      outer!.strokeWidth(1.5 / v.scale);
      inner!.radius(Math.max(0, d / 2 - 1.5 / v.scale));
      inner!.strokeWidth(1 / v.scale);
    }
    uiLayer.current?.batchDraw();
  };
  useEffect(() => {
    drawRing();
    drawPolygon();
  });

  // Space held = pan mode, as in every image tool
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.key !== ' ' || (e.target as HTMLElement | null)?.closest('input, textarea')) return;
      e.preventDefault();
      if (!state.current.space) {
        state.current.space = true;
        setPanning(true);
        drawRing();
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.key !== ' ') return;
      state.current.space = false;
      setPanning(false);
      drawRing();
    };
    window.addEventListener('keydown', down, true);
    window.addEventListener('keyup', up, true);
    return () => {
      window.removeEventListener('keydown', down, true);
      window.removeEventListener('keyup', up, true);
    };
  }, []);

  const pointerAt = (e: { clientX: number; clientY: number }) => {
    const box = container.current!.getBoundingClientRect();
    return toImage(state.current.viewport, stagePoint(e.clientX - box.left, e.clientY - box.top));
  };

  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    const s = state.current;
    container.current?.focus();
    if (e.button === 1 || (e.button === 0 && s.space)) {
      e.preventDefault();
      s.pan = { x: e.clientX, y: e.clientY, vx: s.viewport.x, vy: s.viewport.y };
      container.current!.setPointerCapture(e.pointerId);
      setPanning(true);
      return;
    }
    if (e.button !== 0 || !scene) return;
    const p = pointerAt(e);
    if (s.settings.tool === 'brush' || s.settings.tool === 'eraser') {
      container.current!.setPointerCapture(e.pointerId);
      const first = snapCentre(p);
      s.stroke = [first];
      const line = liveLine.current!;
      line.points([first[0], first[1], first[0], first[1]]);
      line.strokeWidth(s.settings.tool === 'eraser' ? s.settings.eraserSize : s.settings.brushSize);
      line.stroke(s.settings.tool === 'eraser' ? '#ffffff' : props.color);
      line.visible(true);
      liveLayer.current!.batchDraw();
    } else if (s.settings.tool === 'polygon') {
      const corner = snapCorner(p);
      const first = s.polygon[0];
      const v = s.viewport;
      if (first && s.polygon.length >= 3 && Math.hypot((first[0] - p.x) * v.scale, (first[1] - p.y) * v.scale) <= CLOSE_DISTANCE_PX) {
        const points = s.polygon;
        s.polygon = [];
        drawPolygon();
        props.onPolygon(points, e.shiftKey || e.altKey ? 'cut' : 'fill');
      } else {
        s.polygon = [...s.polygon, corner];
        drawPolygon();
      }
    } else if (s.settings.tool === 'fill') {
      props.onFill(snapCentre(p));
    }
  };

  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const s = state.current;
    if (s.pan) {
      onViewport({ ...s.viewport, x: s.pan.vx + e.clientX - s.pan.x, y: s.pan.vy + e.clientY - s.pan.y });
      return;
    }
    const events = s.stroke && 'getCoalescedEvents' in e.nativeEvent ? e.nativeEvent.getCoalescedEvents() : [];
    const p = pointerAt(e);
    s.cursor = snapCentre(p);
    if (s.stroke) {
      for (const ev of events.length ? events : [e]) {
        const q = snapCentre(pointerAt(ev));
        const last = s.stroke[s.stroke.length - 1]!;
        if (q[0] !== last[0] || q[1] !== last[1]) s.stroke.push(q);
      }
      liveLine.current!.points(s.stroke.length === 1 ? [...s.stroke[0]!, ...s.stroke[0]!] : s.stroke.flatMap((q) => [q[0], q[1]]));
      liveLayer.current!.batchDraw();
    }
    drawRing();
    if (s.settings.tool === 'polygon' && s.polygon.length) drawPolygon();
  };

  const onPointerUp = (e: React.PointerEvent<HTMLDivElement>) => {
    const s = state.current;
    if (container.current?.hasPointerCapture(e.pointerId)) container.current.releasePointerCapture(e.pointerId);
    if (s.pan) {
      s.pan = null;
      setPanning(s.space);
      return;
    }
    const points = s.stroke;
    s.stroke = null;
    if (!points) return;
    // rasterise after this event returns; the live line stays until the mask layer shows the result
    setTimeout(() => {
      props.onStroke(points);
      liveLine.current?.visible(false);
      liveLine.current?.points([]);
      liveLayer.current?.batchDraw();
    }, 0);
  };

  const onWheel = (e: React.WheelEvent<HTMLDivElement>) => {
    const box = container.current!.getBoundingClientRect();
    onViewport(zoomAt(state.current.viewport, stagePoint(e.clientX - box.left, e.clientY - box.top), e.deltaY < 0 ? 1.15 : 1 / 1.15));
  };

  const cursor = !scene ? 'progress' : panning ? 'grabbing' : settings.tool === 'brush' || settings.tool === 'eraser' ? 'none' : 'crosshair';
  return (
    <div
      ref={container}
      tabIndex={-1}
      style={{ width, height, cursor, outline: 'none', touchAction: 'none' }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onPointerLeave={() => {
        state.current.cursor = null;
        drawRing();
      }}
      onWheel={onWheel}
      onContextMenu={(e) => e.preventDefault()}
      data-testid="studio-canvas"
      data-tool={settings.tool}
      data-ready={scene ? 'yes' : 'no'}
      data-scale={viewport.scale}
      data-x={viewport.x}
      data-y={viewport.y}
    >
      <Stage width={width} height={height} x={viewport.x} y={viewport.y} scaleX={viewport.scale} scaleY={viewport.scale} listening={false}>
        <Layer ref={maskLayer} imageSmoothingEnabled={viewport.scale < 2} listening={false}>
          {picture && (
            <Shape
              width={image.width}
              height={image.height}
              sceneFunc={(context) => {
                const ctx = context._context;
                ctx.filter = displayFilter;
                ctx.drawImage(picture, 0, 0, image.width, image.height);
                ctx.filter = 'none';
              }}
            />
          )}
          {scene && showMask && <KonvaImage image={scene.overlay} width={image.width} height={image.height} opacity={0.55} />}
        </Layer>
        {/* the model's anomaly map, when a version has scored this image (toggled with V) */}
        <HeatmapLayer imageId={image.id} width={image.width} height={image.height} />
        <Layer ref={liveLayer} listening={false}>
          <Line ref={liveLine} points={NO_POINTS} lineCap="round" lineJoin="round" opacity={0.6} visible={false} />
        </Layer>
        <Layer ref={uiLayer} listening={false}>
          <Line ref={polyLine} points={NO_POINTS} stroke="#ffeb3b" dash={[6 / viewport.scale, 4 / viewport.scale]} />
          <Group ref={polyHandles} />
          <Group ref={ring} visible={false}>
            <Circle radius={diameter / 2} stroke="#ffffff" strokeWidth={1.5 / viewport.scale} />
            <Circle radius={diameter / 2} stroke="#000000" strokeWidth={1 / viewport.scale} />
          </Group>
        </Layer>
      </Stage>
    </div>
  );
}
