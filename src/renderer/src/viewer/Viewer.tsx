// The image viewer: the original on a Konva stage with its mask as a translucent overlay; wheel zooms at the
// cursor, dragging pans, Fit and 100% reset the view. The view (zoom and position) is kept when moving to the next
// image, so a series of parts can be compared at the same spot.
import { Box, Button, Chip, Stack, Typography } from '@mui/material';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { Image as KonvaImage, Layer, Stage } from 'react-konva';
import type { ImageSummary } from '../../../shared/api';
import { api } from '../api/transport';
import { HeatmapControls, HeatmapLayer } from '../models/HeatmapOverlay';
import { actualSizeViewport, fitViewport, stagePoint, zoomAt, type Viewport } from './viewport';

export interface ViewerHandle {
  fit(): void;
  actualSize(): void;
}

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

/** The binary mask as red on transparent, so it can be drawn over the image at any opacity. */
function useMaskOverlay(url: string | null): HTMLCanvasElement | null {
  const mask = useLoadedImage(url);
  const [overlay, setOverlay] = useState<HTMLCanvasElement | null>(null);
  useEffect(() => {
    if (!mask) return setOverlay(null);
    const canvas = document.createElement('canvas');
    canvas.width = mask.naturalWidth;
    canvas.height = mask.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(mask, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const d = pixels.data;
    for (let i = 0; i < d.length; i += 4) {
      const on = d[i]! >= 128;
      d[i] = 255;
      d[i + 1] = 32;
      d[i + 2] = 32;
      d[i + 3] = on ? 255 : 0;
    }
    ctx.putImageData(pixels, 0, 0);
    setOverlay(canvas);
  }, [mask]);
  return overlay;
}

function useElementSize<T extends HTMLElement>(): [React.RefObject<T | null>, { width: number; height: number }] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    if (!ref.current) return;
    const observer = new ResizeObserver(([entry]) => setSize({ width: entry!.contentRect.width, height: entry!.contentRect.height }));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, size];
}

export const Viewer = forwardRef<ViewerHandle, { image: ImageSummary; index: number; total: number }>(function Viewer(
  { image, index, total },
  handle,
) {
  const [boxRef, stage] = useElementSize<HTMLDivElement>();
  const picture = useLoadedImage(api.fileUrl('image', image.sha256));
  const overlay = useMaskOverlay(image.maskSha256 ? api.fileUrl('mask', image.maskSha256) : null);
  const [showMask, setShowMask] = useState(true);
  const [viewport, setViewport] = useState<Viewport | null>(null);
  const lastSize = useRef<string>('');

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

  const color = image.labelState === 'anomalous' ? 'error' : image.labelState === 'normal' ? 'success' : 'default';
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', p: 1, borderBottom: 1, borderColor: 'divider' }}>
        <Typography variant="subtitle2" noWrap sx={{ flex: 1 }} data-testid="viewer-title">
          {image.folder}/{image.name} — {image.width}×{image.height} — {index + 1} of {total}
        </Typography>
        <Chip size="small" color={color} label={image.labelState === 'anomalous' && image.defectClass ? `anomalous: ${image.defectClass}` : image.labelState} data-testid="viewer-label" />
        <Chip size="small" variant="outlined" label={image.split} />
        {image.hasMask && (
          <Button size="small" onClick={() => setShowMask((s) => !s)}>
            {showMask ? 'Hide mask' : 'Show mask'}
          </Button>
        )}
        <HeatmapControls imageId={image.id} />
        <Button size="small" onClick={() => setViewport(fitViewport(image, stage))}>
          Fit (F)
        </Button>
        <Button size="small" onClick={() => viewport && setViewport(actualSizeViewport(viewport, stage))}>
          100% (1)
        </Button>
        <Typography variant="caption" sx={{ width: 56, textAlign: 'right' }}>
          {viewport ? `${Math.round(viewport.scale * 100)}%` : ''}
        </Typography>
      </Stack>
      <Box ref={boxRef} sx={{ flex: 1, minHeight: 0, bgcolor: '#1e1e1e', overflow: 'hidden' }} data-testid="viewer-stage">
        {viewport && stage.width > 0 && (
          <Stage
            width={stage.width}
            height={stage.height}
            draggable
            x={viewport.x}
            y={viewport.y}
            scaleX={viewport.scale}
            scaleY={viewport.scale}
            onDragEnd={(e) => setViewport({ ...viewport, x: e.target.x(), y: e.target.y() })}
            onWheel={(e) => {
              e.evt.preventDefault();
              const pointer = e.target.getStage()?.getPointerPosition();
              if (!pointer) return;
              setViewport(zoomAt(viewport, stagePoint(pointer.x, pointer.y), e.evt.deltaY < 0 ? 1.15 : 1 / 1.15));
            }}
          >
            <Layer imageSmoothingEnabled={viewport.scale < 2}>
              {picture && <KonvaImage image={picture} width={image.width} height={image.height} />}
              {overlay && showMask && <KonvaImage image={overlay} width={image.width} height={image.height} opacity={0.45} listening={false} />}
            </Layer>
            <HeatmapLayer imageId={image.id} width={image.width} height={image.height} />
          </Stage>
        )}
      </Box>
    </Box>
  );
});
