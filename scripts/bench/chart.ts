// A hand-built SVG of the closed-loop passes: throughput and p99 against concurrency, the
// service beside its ceilings. Both axes of each panel are logarithmic: the database's ceiling
// is two orders of magnitude above the sagas'.

export interface ChartSeries {
  name: string;
  colour: string;
  /** [clients, value] for each measured concurrency. */
  points: Array<[number, number]>;
}

const WIDTH = 460;
const HEIGHT = 320;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Powers of ten spanning `values` (at least one decade). */
function decades(values: number[]): [number, number] {
  const positive = values.filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(...positive, 1)));
  const high = Math.ceil(Math.log10(Math.max(...positive, 10)));
  return [low, Math.max(high, low + 1)];
}

function panel(title: string, unit: string, series: ChartSeries[], xs: number[], offsetX: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const [low, high] = decades(series.flatMap((s) => s.points.map(([, v]) => v)));
  const [xLow, xHigh] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const x = (clients: number) => offsetX + MARGIN.left + ((Math.log10(clients) - xLow) / (xHigh - xLow || 1)) * plotW;
  const y = (value: number) => MARGIN.top + plotH - ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low)) * plotH;
  const parts: string[] = [
    `<text x="${offsetX + WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">${escape(title)}</text>`,
    `<rect x="${offsetX + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let d = low; d <= high; d++) {
    const value = 10 ** d;
    parts.push(
      `<line x1="${offsetX + MARGIN.left}" x2="${offsetX + MARGIN.left + plotW}" y1="${y(value)}" y2="${y(value)}" stroke="#eee"/>`,
      `<text x="${offsetX + MARGIN.left - 6}" y="${y(value) + 4}" text-anchor="end">${value >= 1 ? value : value.toFixed(-d)}</text>`,
    );
  }
  for (const clients of xs) {
    parts.push(`<text x="${x(clients)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${clients}</text>`);
  }
  parts.push(
    `<text x="${offsetX + MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">concurrent clients</text>`,
    `<text transform="translate(${offsetX + 14} ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(unit)}</text>`,
  );
  for (const s of series) {
    const path = s.points.map(([c, v]) => `${x(c).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const [c, v] of s.points) parts.push(`<circle cx="${x(c).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.colour}"><title>${escape(`${s.name}: ${v} at ${c}`)}</title></circle>`);
  }
  return parts.join('\n');
}

/** Two panels side by side (throughput, p99) and one legend under them. */
export function concurrencyChart(options: { subtitle: string; throughput: ChartSeries[]; p99: ChartSeries[] }): string {
  const xs = [...new Set(options.throughput.flatMap((s) => s.points.map(([c]) => c)))].sort((a, b) => a - b);
  const legend = options.throughput
    .map((s, i) => {
      const lx = 16 + i * 215;
      return `<line x1="${lx}" x2="${lx + 24}" y1="${HEIGHT + 16}" y2="${HEIGHT + 16}" stroke="${s.colour}" stroke-width="3"/><text x="${lx + 30}" y="${HEIGHT + 20}">${escape(s.name)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH * 2}" height="${HEIGHT + 56}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel('throughput (calls/s, log)', 'calls per second', options.throughput, xs, 0),
    panel('p99 latency (ms, log)', 'milliseconds', options.p99, xs, WIDTH),
    legend,
    `<text x="20" y="${HEIGHT + 46}" fill="#555">${escape(options.subtitle)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
