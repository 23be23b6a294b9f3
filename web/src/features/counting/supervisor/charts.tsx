import { formatMoney } from '../../../ui/format.ts';
import type { RateBar, ReasonBar } from './report-shapes.ts';

/**
 * Two small bar charts drawn as SVG by hand: a chart library would be a large download for two
 * pictures. Each chart has a text alternative (its figures in a table beside it, and an
 * accessible name), so nothing is only in the picture.
 */

const ROW = 28;
const LABEL_WIDTH = 150;
const WIDTH = 560;

/** Value variance by reason: losses to the left of the axis (red), gains to the right (green). */
export function VarianceByReasonChart({ bars, title }: { bars: ReasonBar[]; title: string }) {
  if (bars.length === 0) return <p className="muted">No variance to chart.</p>;
  const plot = WIDTH - LABEL_WIDTH - 16;
  const largest = Math.max(1e-9, ...bars.map((bar) => Math.max(bar.positive, -bar.negative)));
  const half = plot / 2;
  const axis = LABEL_WIDTH + half;
  const scale = (value: number) => (Math.abs(value) / largest) * (half - 4);
  const height = bars.length * ROW + 24;
  return (
    <figure className="counting-chart">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={title} width="100%">
        <title>{title}</title>
        <line x1={axis} x2={axis} y1={0} y2={height - 20} className="chart-axis" />
        {bars.map((bar, index) => {
          const y = index * ROW + 4;
          const loss = scale(bar.negative);
          const gain = scale(bar.positive);
          return (
            <g key={bar.code}>
              <text x={LABEL_WIDTH - 8} y={y + ROW / 2} textAnchor="end" className="chart-label">
                {bar.label}
              </text>
              {loss > 0 && (
                <rect x={axis - loss} y={y + 4} width={loss} height={ROW - 10} className="chart-bar-minus">
                  <title>{`${bar.label}: ${formatMoney(bar.negative)}`}</title>
                </rect>
              )}
              {gain > 0 && (
                <rect x={axis} y={y + 4} width={gain} height={ROW - 10} className="chart-bar-plus">
                  <title>{`${bar.label}: +${formatMoney(bar.positive)}`}</title>
                </rect>
              )}
            </g>
          );
        })}
        <text x={LABEL_WIDTH} y={height - 4} className="chart-scale">
          −{formatMoney(largest)}
        </text>
        <text x={axis} y={height - 4} textAnchor="middle" className="chart-scale">
          0
        </text>
        <text x={WIDTH - 16} y={height - 4} textAnchor="end" className="chart-scale">
          +{formatMoney(largest)}
        </text>
      </svg>
      <figcaption className="muted small">
        <span className="chart-key chart-key-minus" aria-hidden="true" /> Missing (book higher){' '}
        <span className="chart-key chart-key-plus" aria-hidden="true" /> Found (book lower)
      </figcaption>
    </figure>
  );
}

/** Hit rate (0–100 %) per row, e.g. by location. */
export function RateChart({ bars, title }: { bars: RateBar[]; title: string }) {
  if (bars.length === 0) return <p className="muted">Nothing to chart for this period.</p>;
  const plot = WIDTH - LABEL_WIDTH - 60;
  const height = bars.length * ROW + 8;
  return (
    <figure className="counting-chart">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={title} width="100%">
        <title>{title}</title>
        {bars.map((bar, index) => {
          const y = index * ROW + 4;
          const width = (bar.rate / 100) * plot;
          return (
            <g key={bar.key}>
              <text x={LABEL_WIDTH - 8} y={y + ROW / 2} textAnchor="end" className="chart-label">
                {bar.label}
              </text>
              <rect x={LABEL_WIDTH} y={y + 4} width={plot} height={ROW - 10} className="chart-track" />
              <rect
                x={LABEL_WIDTH}
                y={y + 4}
                width={width}
                height={ROW - 10}
                className={
                  bar.rate >= 95 ? 'chart-bar-plus' : bar.rate >= 80 ? 'chart-bar-mid' : 'chart-bar-minus'
                }
              >
                <title>{`${bar.label}: ${bar.rate.toFixed(1)} %`}</title>
              </rect>
              <text x={LABEL_WIDTH + plot + 6} y={y + ROW / 2} className="chart-label">
                {bar.rate.toFixed(1)} %
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
