// Line charts drawn with uPlot (web/package-lock.json pins it; the server maps
// /assets/vendor-uplot.js to its ES module). Each chart is a figure with a text summary for screen
// readers, its own legend, and the numbers as a table behind a disclosure.
import uPlot from './vendor-uplot.js';
import { h, dataTable, fmtDate, fmtNumber, parseDay } from './ui.js';
import { t } from './strings.js';

const COLOURS = ['#0b5394', '#b45309', '#6b21a8', '#166534', '#9f1239'];

/**
 * opts: { title, summary, x: ['YYYY-MM-DD', …], series: [{ label, values, dash }], yLabel, yMin, yMax,
 *         marker: 'YYYY-MM-DD' (a vertical line, e.g. today) }
 */
export function lineChart(opts) {
  const plot = h('div', { class: 'chart-plot' });
  const legend = h(
    'ul',
    { class: 'chart-legend' },
    opts.series.map((s, i) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.borderColor = COLOURS[i % COLOURS.length];
      if (s.dash) swatch.classList.add('dashed');
      return h('li', {}, swatch, s.label);
    }),
  );
  const table = dataTable({
    caption: opts.title,
    columns: [
      { label: t('chart.date'), value: (i) => fmtDate(opts.x[i]) },
      ...opts.series.map((s) => ({ label: s.label, value: (i) => fmtNumber(s.values[i], 1), class: 'num' })),
    ],
    rows: opts.x.map((_, i) => i),
  });
  const figure = h(
    'figure',
    { class: 'chart' },
    h('figcaption', { text: opts.title }),
    h('div', { role: 'img', 'aria-label': opts.summary || opts.title }, plot),
    legend,
    h('details', {}, h('summary', { text: t('chart.show_table') }), table),
  );
  if (!opts.x.length) {
    plot.append(h('p', { class: 'empty', text: t('chart.no_data') }));
    return figure;
  }
  const xs = opts.x.map((d) => parseDay(d).getTime() / 1000);
  const data = [xs, ...opts.series.map((s) => s.values)];
  const marker = opts.marker ? parseDay(opts.marker).getTime() / 1000 : null;
  const config = {
    width: 600,
    height: 240,
    legend: { show: false },
    cursor: { show: true, points: { show: false } },
    scales: {
      // The weeks shown, and today; a single week still gets a readable axis: a week either side.
      x: { time: true, range: xRange(xs, marker) },
      y: { range: [opts.yMin ?? 0, opts.yMax ?? 1] },
    },
    axes: [
      { stroke: '#333', grid: { stroke: '#e5e5e5' } },
      { stroke: '#333', grid: { stroke: '#e5e5e5' }, label: opts.yLabel || '' },
    ],
    series: [
      {},
      ...opts.series.map((s, i) => ({
        label: s.label,
        stroke: COLOURS[i % COLOURS.length],
        width: 2,
        dash: s.dash ? [6, 4] : undefined,
        points: { show: opts.x.length < 40 },
      })),
    ],
    hooks: marker
      ? {
          draw: [
            (u) => {
              const x = u.valToPos(marker, 'x', true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = '#a4000f';
              ctx.setLineDash([3, 3]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
        }
      : {},
  };
  if (opts.yMax === null || opts.yMax === undefined) config.scales.y = { range: (u, min, max) => [opts.yMin ?? 0, Math.max(1, max * 1.1)] };
  // Sized once the figure is in the document, and again when its width changes.
  requestAnimationFrame(() => {
    const chart = new uPlot(config, data, plot);
    const fit = () => {
      const w = Math.max(280, plot.clientWidth);
      if (Math.abs(chart.width - w) > 2) chart.setSize({ width: w, height: 240 });
    };
    fit();
    new ResizeObserver(fit).observe(plot);
  });
  return figure;
}

function xRange(xs, marker) {
  const all = marker === null ? xs : [...xs, marker];
  let min = Math.min(...all);
  let max = Math.max(...all);
  if (max - min < 14 * 86400) {
    min -= 7 * 86400;
    max += 7 * 86400;
  }
  return [min, max];
}

/** A horizontal bar in a table cell: a meter with its value as text. */
export function bar(percent, label) {
  const value = Math.max(0, Math.min(100, percent ?? 0));
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${value}%`;
  return h(
    'span',
    { class: 'bar' },
    h('span', { class: 'bar-track', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(value), 'aria-label': label }, fill),
    h('span', { class: 'bar-text', text: percent === null || percent === undefined ? '—' : `${fmtNumber(percent)} %` }),
  );
}
