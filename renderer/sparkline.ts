const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 120;
const HEIGHT = 28;

/** A small line chart of values in [0, max]; newest on the right. Labelled for screen readers. */
export function sparkline(values: readonly number[], options: { label: string; max: number; class?: string }): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('width', String(WIDTH));
  svg.setAttribute('height', String(HEIGHT));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', options.label);
  svg.setAttribute('class', `spark ${options.class ?? ''}`.trim());
  const base = document.createElementNS(SVG, 'line');
  for (const [k, v] of Object.entries({ x1: '0', x2: String(WIDTH), y1: String(HEIGHT - 0.5), y2: String(HEIGHT - 0.5), class: 'spark-base' })) base.setAttribute(k, v);
  svg.append(base);
  if (values.length > 0) {
    const step = values.length > 1 ? WIDTH / (values.length - 1) : 0;
    const y = (v: number) => (HEIGHT - 1 - (Math.min(Math.max(v, 0), options.max) / options.max) * (HEIGHT - 2)).toFixed(1);
    const points = values.map((v, i) => `${(values.length > 1 ? i * step : WIDTH).toFixed(1)},${y(v)}`);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('class', 'spark-line');
    svg.append(line);
  }
  return svg;
}
