// An image with a stored anomaly map over it (colour map at half opacity, a canvas scaled by CSS, and the predicted
// mask's outline at its threshold, traced at image resolution and drawn as SVG lines of constant width): the
// review queue shows one image at a time at screen size, so it needs no pan or zoom.
import { Box, CircularProgress } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/transport';
import { maskContours, type Contour } from '../models/contours';
import { colourCanvas, decodeMap } from '../models/heatmap';

export function MapImage(props: { imageId: number; sha256: string; evaluationId: number; maskThreshold: number; colourRange: [number, number]; showMap: boolean; width: number; height: number }) {
  const { imageId, sha256, evaluationId, maskThreshold, colourRange, showMap, width, height } = props;
  const holder = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  const [outline, setOutline] = useState<Contour[]>([]);
  useEffect(() => {
    let live = true;
    setReady(false);
    setOutline([]);
    void (async () => {
      const map = await api.call('models.map', { evaluationId, imageId });
      const scores = await decodeMap(map);
      if (!live || !holder.current) return;
      const colour = colourCanvas(scores, map.width, map.height, colourRange);
      Object.assign(colour.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', opacity: '0.5' });
      colour.dataset.testid = 'review-heatmap';
      holder.current.replaceChildren(colour);
      setOutline(maskContours(scores, map.width, map.height, maskThreshold, { width, height }));
      setReady(true);
    })();
    return () => {
      live = false;
    };
  }, [imageId, evaluationId, maskThreshold, colourRange, width, height]);
  const path = outline.map((c) => `M${pointList(c.points)}${c.closed ? 'Z' : ''}`).join('');
  return (
    <Box sx={{ position: 'relative', height: '100%', aspectRatio: String(width / height), maxWidth: '100%', mx: 'auto', bgcolor: '#1e1e1e' }} data-testid="review-image">
      <img src={api.fileUrl('image', sha256)} alt="" style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', objectFit: 'fill' }} />
      <Box sx={{ position: 'absolute', inset: 0, display: showMap ? 'block' : 'none' }}>
        <Box ref={holder} sx={{ position: 'absolute', inset: 0 }} />
        <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" style={{ position: 'absolute', inset: 0, width: '100%', height: '100%' }} data-testid="review-outline" data-contours={outline.length}>
          <path d={path} fill="none" stroke="rgba(0,0,0,0.75)" strokeWidth={3.5} vectorEffect="non-scaling-stroke" strokeLinejoin="round" />
          <path d={path} fill="none" stroke="#fff" strokeWidth={1.5} vectorEffect="non-scaling-stroke" strokeLinejoin="round" />
        </svg>
      </Box>
      {!ready && <CircularProgress size={24} sx={{ position: 'absolute', top: 8, right: 8 }} />}
    </Box>
  );
}

/** "x0 y0L x1 y1 …" with a tenth of a pixel kept: enough for any screen, short enough for a long outline. */
function pointList(points: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < points.length; i += 2) out.push(`${points[i]!.toFixed(1)} ${points[i + 1]!.toFixed(1)}`);
  return out.join('L');
}
