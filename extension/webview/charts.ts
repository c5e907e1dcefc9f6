/**
 * The dashboard's usage charts as hand-drawn SVG: a y axis with units and ticks, x labels, a
 * legend, a tooltip (<title>) on every bar and point, and a "no data yet" state. A chart library
 * (Chart.js, uPlot) would need canvas and a bundle ten times this file for three small charts; the
 * webview's CSP allows it, but nothing here needs what it adds.
 */
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 340;
const HEIGHT = 150;
const LEFT = 46;
const BOTTOM = 20;
const TOP = 8;
const PLOT_H = HEIGHT - BOTTOM - TOP;
const PLOT_W = WIDTH - LEFT - 18;

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function tip(el: SVGElement, text: string): SVGElement {
  el.append(svg("title", {}, text));
  return el;
}

/** The frame: y axis with `ticks` labelled by `format`, x axis line; returns the root and y(value). */
function frame(title: string, max: number, format: (v: number) => string, yLabel: string): { root: SVGElement; y: (v: number) => number } {
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": title, class: "chart" });
  const y = (v: number): number => TOP + PLOT_H - (max > 0 ? (v / max) * PLOT_H : 0);
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    root.append(svg("line", { x1: LEFT, x2: LEFT + PLOT_W, y1: y(value), y2: y(value), class: fraction === 0 ? "axis" : "grid" }));
    root.append(svg("text", { x: LEFT - 4, y: y(value) + 3, "text-anchor": "end", class: "chart-label tick" }, format(value)));
  }
  root.append(svg("line", { x1: LEFT, x2: LEFT, y1: TOP, y2: TOP + PLOT_H, class: "axis" }));
  root.append(svg("text", { x: 2, y: TOP + PLOT_H / 2, class: "chart-label unit", transform: `rotate(-90 8 ${TOP + PLOT_H / 2})` }, yLabel));
  return { root, y };
}

export function noData(title: string, why: string): HTMLElement {
  const box = document.createElement("div");
  box.className = "chart-empty";
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", `${title}: no data yet`);
  box.textContent = why;
  return box;
}

export interface Bar {
  label: string;
  value: number;
  className?: string;
}

/** Bars with a money (or other) axis; `empty` is shown instead when no bar has a value. */
export function barChart(title: string, bars: Bar[], format: (v: number) => string, yLabel: string, empty: string): Element {
  if (!bars.length || bars.every((b) => b.value <= 0)) return noData(title, empty);
  const max = niceMax(Math.max(...bars.map((b) => b.value)));
  const { root, y } = frame(title, max, format, yLabel);
  const slot = PLOT_W / bars.length;
  const labelEvery = Math.ceil(bars.length / 8);
  bars.forEach((bar, i) => {
    const top = y(bar.value);
    const height = Math.max(TOP + PLOT_H - top, bar.value > 0 ? 1 : 0);
    root.append(tip(svg("rect", { x: LEFT + i * slot + slot * 0.15, y: TOP + PLOT_H - height, width: Math.max(slot * 0.7, 1), height,
      class: bar.className ?? "bar" }), `${bar.label}: ${format(bar.value)}`));
    if (i % labelEvery === 0) {
      root.append(svg("text", { x: LEFT + i * slot + slot / 2, y: HEIGHT - 6, "text-anchor": "middle", class: "chart-label" }, bar.label));
    }
  });
  return root;
}

export interface Series {
  name: string;
  /** null: nothing to measure that day (drawn as a gap, not as 0 %). */
  values: Array<number | null>;
  className: string;
}

/** Rates in [0, 1] per day, as lines with a point (and tooltip) per day, a % axis and a legend. */
export function rateChart(title: string, labels: string[], series: Series[], empty: string): Element {
  if (!labels.length || series.every((s) => s.values.every((v) => v === null))) return noData(title, empty);
  const { root, y } = frame(title, 1, (v) => `${Math.round(v * 100)}%`, "% of runs");
  const x = (i: number): number => LEFT + (labels.length === 1 ? PLOT_W / 2 : (i / (labels.length - 1)) * PLOT_W);
  const labelEvery = Math.ceil(labels.length / 6);
  labels.forEach((label, i) => {
    if (i % labelEvery === 0) root.append(svg("text", { x: x(i), y: HEIGHT - 6, "text-anchor": "middle", class: "chart-label" }, label));
  });
  for (const s of series) {
    const points = s.values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter((p): p is string => p !== null);
    if (points.length > 1) root.append(tip(svg("polyline", { points: points.join(" "), class: `line ${s.className}`, fill: "none" }), s.name));
    s.values.forEach((v, i) => {
      if (v !== null) root.append(tip(svg("circle", { cx: x(i), cy: y(v), r: 3, class: `point ${s.className}` }), `${labels[i]}: ${s.name} ${Math.round(v * 100)}%`));
    });
  }
  return root;
}

/** A legend row: a swatch per series, for charts with more than one colour. */
export function legend(items: Array<{ name: string; className: string }>): HTMLElement {
  const list = document.createElement("ul");
  list.className = "legend";
  for (const item of items) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch ${item.className}`;
    li.append(swatch, item.name);
    list.append(li);
  }
  return list;
}

/** 1, 2 or 5 times a power of ten, at or above `value`: round tick labels. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}
