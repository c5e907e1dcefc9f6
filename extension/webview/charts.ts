/** Small SVG charts for the dashboard's usage section (no library: a few bars and lines). */
const SVG = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export interface Bar {
  label: string;
  value: number;
  className?: string;
}

export function barChart(title: string, bars: Bar[], format: (v: number) => string): SVGElement {
  const width = 320;
  const height = 120;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height + 20}`, role: "img", "aria-label": title, class: "chart" });
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const slot = width / Math.max(bars.length, 1);
  bars.forEach((bar, i) => {
    const h = Math.max((bar.value / max) * height, bar.value > 0 ? 2 : 0);
    const rect = svg("rect", { x: i * slot + 2, y: height - h, width: Math.max(slot - 4, 1), height: h, class: bar.className ?? "bar" });
    const tip = svg("title", {});
    tip.textContent = `${bar.label}: ${format(bar.value)}`;
    rect.append(tip);
    root.append(rect);
  });
  if (bars.length <= 8) {
    bars.forEach((bar, i) => {
      const text = svg("text", { x: i * slot + slot / 2, y: height + 14, "text-anchor": "middle", class: "chart-label" });
      text.textContent = bar.label;
      root.append(text);
    });
  }
  return root;
}

export interface Series {
  name: string;
  values: number[];
  className: string;
}

/** Lines of rates in [0, 1] over the same x axis. */
export function rateChart(title: string, series: Series[]): SVGElement {
  const width = 320;
  const height = 100;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" });
  for (const s of series) {
    // One day is drawn as a flat line across, not as an invisible single point.
    const values = s.values.length === 1 ? [s.values[0] ?? 0, s.values[0] ?? 0] : s.values;
    const n = values.length;
    const points = values.map((v, i) => `${(i / Math.max(n - 1, 1)) * width},${height - v * (height - 4) - 2}`).join(" ");
    const line = svg("polyline", { points, class: `line ${s.className}`, fill: "none" });
    const tip = svg("title", {});
    tip.textContent = s.name;
    line.append(tip);
    root.append(line);
  }
  return root;
}
