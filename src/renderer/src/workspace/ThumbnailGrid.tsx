// The thumbnail grid: only the rows in view (plus a few) exist in the DOM, so 20,000 images scroll as smoothly as
// 200. Each cell shows the thumbnail, the label as a coloured edge and badge, and a mark for images with a mask.
import { Box, Typography } from '@mui/material';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import type { ImageSummary } from '../../../shared/api';
import { api } from '../api/transport';
import { KindBadge } from '../studio/panels/KindBadge';
import { ScoreBadge } from '../models/scores';
import type { ScoreMap } from './gridOrder';

export const CELL = 168;

const EDGE: Record<ImageSummary['labelState'], string> = { normal: '#2e7d32', anomalous: '#d32f2f', unlabeled: 'transparent' };

/** What a click asks for: one image, a range from the last one (Shift), or one more or less (Ctrl/Cmd). */
export interface PickModifiers {
  range: boolean;
  toggle: boolean;
}

export function ThumbnailGrid(props: {
  items: readonly ImageSummary[];
  selected: number;
  picked: ReadonlySet<number>;
  /** A new value brings the grid back to its top (a new filter or order is a new list). */
  scrollKey: string;
  onSelect(index: number, modifiers: PickModifiers): void;
  onOpen(index: number): void;
  onColumns(columns: number): void;
  scores?: ScoreMap;
}) {
  const { items, selected, picked, scrollKey, onSelect, onOpen, onColumns, scores } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!scrollRef.current) return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry!.contentRect.width));
    observer.observe(scrollRef.current);
    return () => observer.disconnect();
  }, []);
  const columns = Math.max(1, Math.floor(width / CELL));
  useEffect(() => {
    onColumns(columns);
  }, [columns, onColumns]);
  const rows = Math.ceil(items.length / columns);
  const virtualizer = useVirtualizer({ count: rows, getScrollElement: () => scrollRef.current, estimateSize: () => CELL, overscan: 3 });

  useEffect(() => {
    virtualizer.scrollToOffset(0);
  }, [scrollKey, virtualizer]);

  // keep the selected image in view when the keyboard moves the selection
  useEffect(() => {
    if (selected >= 0) virtualizer.scrollToIndex(Math.floor(selected / columns), { align: 'auto' });
  }, [selected, columns, virtualizer]);

  return (
    <Box ref={scrollRef} sx={{ height: '100%', overflowY: 'auto', contain: 'strict' }} data-testid="grid">
      <Box sx={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => (
          <Box key={row.key} sx={{ position: 'absolute', top: 0, left: 0, transform: `translateY(${row.start}px)`, display: 'flex' }}>
            {items.slice(row.index * columns, row.index * columns + columns).map((image, k) => {
              const index = row.index * columns + k;
              const isSelected = index === selected;
              const isPicked = picked.has(image.id);
              return (
                <Box
                  key={image.id}
                  data-testid="thumb"
                  data-image-id={image.id}
                  data-label={image.labelState}
                  data-picked={isPicked || undefined}
                  data-kind={image.labelState === 'anomalous' ? (image.hasMask ? 'full' : 'weak') : image.labelState}
                  title={`${image.folder}/${image.name}\n${image.split}${image.splitPinned ? ' (pinned)' : ''} · ${image.labelState === 'anomalous' ? `anomalous: ${image.defectClass ?? 'no class'}` : image.labelState}${image.hasMask ? ' · mask' : ''}`}
                  onClick={(e) => onSelect(index, { range: e.shiftKey, toggle: e.ctrlKey || e.metaKey })}
                  onDoubleClick={() => onOpen(index)}
                  sx={{
                    width: CELL - 8,
                    height: CELL - 8,
                    m: '4px',
                    position: 'relative',
                    cursor: 'pointer',
                    borderRadius: 1,
                    overflow: 'hidden',
                    bgcolor: '#2b2b2b',
                    outline: isSelected ? '3px solid #1976d2' : isPicked ? '3px dashed #ff9800' : `3px solid ${EDGE[image.labelState]}`,
                    outlineOffset: -3,
                  }}
                >
                  <img
                    src={api.fileUrl('thumbnail', image.sha256)}
                    alt={image.name}
                    loading="lazy"
                    decoding="async"
                    draggable={false}
                    style={{ width: '100%', height: '100%', objectFit: 'contain', display: 'block' }}
                  />
                  {isPicked && (
                    <Box sx={{ position: 'absolute', top: 4, left: 4, width: 18, height: 18, borderRadius: '50%', bgcolor: '#ff9800', color: '#000', fontSize: 12, textAlign: 'center', lineHeight: '18px' }}>✓</Box>
                  )}
                  <KindBadge image={image} />
                  <ScoreBadge score={scores?.get(image.id)} />
                  <Typography
                    variant="caption"
                    sx={{ position: 'absolute', left: 0, right: 0, bottom: 0, px: 0.5, bgcolor: 'rgba(0,0,0,0.55)', color: '#fff', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}
                  >
                    {image.hasMask ? '◩ ' : ''}
                    {image.labelState === 'anomalous' ? image.defectClass ?? 'anomalous' : image.labelState === 'normal' ? 'normal' : ''} {image.name}
                  </Typography>
                </Box>
              );
            })}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
