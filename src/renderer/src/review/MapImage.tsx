// An image with a stored anomaly map over it (colour map at half opacity and the predicted mask outline at the
// pixel threshold), drawn with plain canvases scaled by CSS: the review queue shows one image at a time at screen
// size, so it needs no pan or zoom.
import { Box, CircularProgress } from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/transport';
import { colourCanvas, decodeMap, outlineCanvas } from '../models/heatmap';

export function MapImage(props: { imageId: number; sha256: string; evaluationId: number; pixelThreshold: number; colourRange: [number, number]; showMap: boolean; aspect: number }) {
  const { imageId, sha256, evaluationId, pixelThreshold, colourRange, showMap, aspect } = props;
  const holder = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    setReady(false);
    void (async () => {
      const map = await api.call('models.map', { evaluationId, imageId });
      const scores = await decodeMap(map);
      if (!live || !holder.current) return;
      const colour = colourCanvas(scores, map.width, map.height, colourRange);
      const { canvas: outline } = outlineCanvas(scores, map.width, map.height, pixelThreshold);
      for (const [canvas, opacity, name] of [[colour, 0.5, 'review-heatmap'], [outline, 1, 'review-outline']] as const) {
        Object.assign(canvas.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', opacity: String(opacity) });
        canvas.dataset.testid = name;
      }
      holder.current.replaceChildren(colour, outline);
      setReady(true);
    })();
    return () => {
      live = false;
    };
  }, [imageId, evaluationId, pixelThreshold, colourRange]);
  return (
    <Box sx={{ position: 'relative', height: '100%', aspectRatio: String(aspect), maxWidth: '100%', mx: 'auto', bgcolor: '#1e1e1e' }} data-testid="review-image">
      <img src={api.fileUrl('image', sha256)} alt="" style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', objectFit: 'fill' }} />
      <Box ref={holder} sx={{ position: 'absolute', inset: 0, display: showMap ? 'block' : 'none' }} />
      {!ready && <CircularProgress size={24} sx={{ position: 'absolute', top: 8, right: 8 }} />}
    </Box>
  );
}
