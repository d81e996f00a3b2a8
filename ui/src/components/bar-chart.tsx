import { useEffect, useRef, useState } from 'preact/hooks';
import { niceMax, type Bucket } from '../lib/buckets.js';

const HEIGHT = 180;
const LEFT = 34;
const BOTTOM = 18;
const TOP = 8;

/**
 * Bars per time bucket, the failed part in red at the foot of each bar, in plain SVG (no chart
 * library: this is the only chart). Each bar has a <title> for hover and the whole chart a text
 * summary for screen readers. Drawn at its rendered width, so its text keeps one size on any screen.
 */
export function BarChart({ buckets, label, unit = 'events' }: { buckets: Bucket[]; label: string; unit?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(200, Math.round(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const max = niceMax(Math.max(0, ...buckets.map((bucket) => bucket.total)));
  const plotWidth = width - LEFT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(buckets.length, 1);
  const barWidth = Math.max(1, slot * 0.75);
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  const total = buckets.reduce((sum, bucket) => sum + bucket.total, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const ticks = buckets.length > 1 ? [0, Math.floor(buckets.length / 2), buckets.length - 1] : [0];

  return (
    <div ref={box} class="chart-box">
      <svg class="chart" width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={`${label}: ${total} ${unit}, ${failed} failed, at most ${max} per bar`}>
        {[0, max / 2, max].map((value) => (
          <g key={value}>
            <line class="chart-grid" x1={LEFT} x2={width} y1={y(value)} y2={y(value)} />
            <text class="chart-axis" x={LEFT - 4} y={y(value) + 4} text-anchor="end">
              {Number.isInteger(value) ? value : value.toFixed(1)}
            </text>
          </g>
        ))}
        {buckets.map((bucket, index) => {
          const x = LEFT + index * slot + (slot - barWidth) / 2;
          const ok = bucket.total - bucket.failed;
          return (
            <g key={bucket.start}>
              <title>{`${clock(bucket.start)}: ${bucket.total} ${unit}${bucket.failed ? `, ${bucket.failed} failed` : ''}`}</title>
              {ok > 0 ? <rect class="chart-bar" x={x} y={y(bucket.total)} width={barWidth} height={y(bucket.failed) - y(bucket.total)} /> : null}
              {bucket.failed > 0 ? <rect class="chart-bar-failed" x={x} y={y(bucket.failed)} width={barWidth} height={y(0) - y(bucket.failed)} /> : null}
              <rect x={LEFT + index * slot} y={TOP} width={slot} height={plotHeight} fill="transparent" />
            </g>
          );
        })}
        {ticks.map((index) => (
          <text key={index} class="chart-axis" x={LEFT + index * slot + slot / 2} y={HEIGHT - 4} text-anchor={index === 0 ? 'start' : index === buckets.length - 1 ? 'end' : 'middle'}>
            {buckets[index] ? clock(buckets[index].start) : ''}
          </text>
        ))}
      </svg>
    </div>
  );
}
