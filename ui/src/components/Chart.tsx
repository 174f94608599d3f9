// A time-series line chart drawn by uPlot, sized to its container and redrawn when `version` changes.
// The legend is ours: it shows the latest values, or those under the cursor while hovering.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartLine {
  label: string;
  color: string;
  /** fill under the line (for depth charts) */
  fill?: boolean;
}

type ChartData = [number[], ...Array<Array<number | null>>];

interface Props {
  lines: ChartLine[];
  /** [x in seconds, one array per line] */
  data: ChartData;
  /** changes whenever data has new samples */
  version: number;
  height?: number;
  /** tick and legend text for y values */
  formatValue: (value: number) => string;
  /** whole numbers only on the y axis (message counts) */
  integer?: boolean;
  emptyText?: string;
}

/** Tick steps for counts: never a fraction of a message. */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2.5e3, 5e3, 1e4, 2e4, 2.5e4, 5e4, 1e5, 2e5, 2.5e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9];

function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function options(
  lines: ChartLine[],
  width: number,
  height: number,
  formatValue: (v: number) => string,
  integer: boolean,
  onHover: (idx: number | null) => void,
): uPlot.Options {
  const axisStroke = '#6b7385';
  const grid = { stroke: '#edf0f3', width: 1 };
  const font = '11px system-ui, sans-serif';
  return {
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    scales: {
      // At least a minute wide: one sample, or two close together, would otherwise span years or milliseconds.
      x: { time: true, range: (_u, min, max) => (max - min < 60 ? [max - 60, max] : [min, max]) },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.12 : integer ? 4 : 1] },
    },
    axes: [
      { stroke: axisStroke, grid, ticks: { show: false }, font },
      {
        stroke: axisStroke,
        grid,
        ticks: { show: false },
        size: 58,
        font,
        incrs: integer ? INTEGER_STEPS : undefined,
        values: (_u, splits) => splits.map((v) => formatValue(v)),
      },
    ],
    series: [
      {},
      ...lines.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: 2,
        fill: line.fill ? withAlpha(line.color, 0.12) : undefined,
        points: { show: false },
        spanGaps: true,
      })),
    ],
    hooks: { setCursor: [(u: uPlot) => onHover(u.cursor.idx ?? null)] },
  };
}

/**
 * With fewer than two samples uPlot widens the time axis to a day of its unit (years, for seconds):
 * pad to the minute before the sample (or before now) with empty points.
 */
function plotted(data: ChartData): uPlot.AlignedData {
  const n = data[0].length;
  if (n >= 2) return data as uPlot.AlignedData;
  const last = n === 1 ? data[0][0] : Date.now() / 1000;
  return [[last - 60, last], ...data.slice(1).map((ys) => [null, n === 1 ? ys[0] : null])] as uPlot.AlignedData;
}

export function Chart({ lines, data, version, height = 190, formatValue, integer = false, emptyText = 'Collecting samples…' }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const points = data[0].length;

  // Built once per set of lines; data updates go through setData.
  useEffect(() => {
    const el = host.current!;
    const chart = new uPlot(options(lines, Math.max(200, el.clientWidth), height, formatValue, integer, setHovered), plotted(data), el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [lines.map((l) => l.label).join('|'), height]);

  useEffect(() => {
    plot.current?.setData(plotted(data));
  }, [version]);

  const index = hovered ?? points - 1;
  const time = points ? data[0][index] : undefined;
  return (
    <div class="chart">
      <div ref={host} />
      {points < 2 && <div class="chart-empty">{emptyText}</div>}
      <div class="chart-legend">
        {lines.map((line, i) => {
          const value = points ? data[i + 1]?.[index] : null;
          return (
            <span class="chart-legend-item">
              <span class="chart-swatch" style={{ background: line.color }} />
              {line.label}
              <strong>{value == null ? '–' : formatValue(value)}</strong>
            </span>
          );
        })}
        <span class="chart-legend-time">{time === undefined ? '' : hovered === null ? 'now' : new Date(time * 1000).toLocaleTimeString()}</span>
      </div>
    </div>
  );
}
