// One React wrapper around uPlot: the chart is created once per set of series and fed new data with setData, so a
// live loss curve redraws in well under a millisecond per event instead of rebuilding the canvas.
import { Box } from '@mui/material';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export function UPlotChart(props: {
  /** Options without width/height (the chart fills its box). A new `key` string rebuilds the chart. */
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height: number;
  /** Changes when the series change; data updates alone never rebuild the chart. */
  structureKey: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const element = box.current!;
    const width = Math.max(200, element.clientWidth);
    const plot = new uPlot({ ...latest.current.options, width, height: latest.current.height }, latest.current.data, element);
    chart.current = plot;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.floor(entry!.contentRect.width);
      if (w > 0 && w !== plot.width) plot.setSize({ width: w, height: latest.current.height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [props.structureKey]);

  useEffect(() => {
    chart.current?.setData(props.data);
  }, [props.data]);

  return <Box ref={box} sx={{ width: '100%', minWidth: 0 }} data-testid={props.testId} />;
}

/** Distinct, colour-blind-friendly series colours (Okabe–Ito). */
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
