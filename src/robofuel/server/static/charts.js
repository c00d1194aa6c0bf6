// Charts drawn by hand: horizontal bar charts in SVG (each bar a link) and line plots on a canvas.
"use strict";

const charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

  function svg(tag, attrs = {}, text = null) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  // items: [{label, value, href, title, low}]; options: {max, target, format, width}
  function bars(items, options = {}) {
    const width = options.width || 640, row = 22, labelW = 220, valueW = 110;
    const plotW = width - labelW - valueW;
    const max = options.max || Math.max(1e-9, ...items.map((i) => i.value));
    const height = row * items.length + 8;
    const root = svg("svg", { class: "bars", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    items.forEach((item, k) => {
      const y = 4 + k * row;
      const group = item.href ? svg("a", { href: item.href, class: "bar-link" }) : svg("g");
      group.append(svg("title", {}, item.title || `${item.label}: ${item.value}`));
      group.append(svg("text", { x: labelW - 6, y: y + 15, "text-anchor": "end", class: "bar-label" },
        item.label.length > 32 ? item.label.slice(0, 31) + "…" : item.label));
      const w = Math.max(1, (plotW * item.value) / max);
      group.append(svg("rect", { x: labelW, y: y + 3, width: w, height: row - 6,
        class: item.low ? "bar bar-low" : "bar", "data-label": item.label }));
      const shown = options.format ? options.format(item.value, item) : String(item.value);
      group.append(svg("text", { x: labelW + w + 4, y: y + 15, class: "bar-value" }, shown));
      root.append(group);
    });
    if (options.target !== undefined) {
      const x = labelW + (plotW * options.target) / max;
      root.append(svg("line", { x1: x, x2: x, y1: 0, y2: height, class: "target" }));
      root.append(svg("title", {}, `target ${options.target}`));
    }
    return root;
  }

  // A line plot of columns over [0, duration] s on a canvas, with shaded spans and a cursor drawn on top.
  function plot(canvas, data, duration, spans) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, pad = 4;
    const columns = data.columns.slice(0, COLORS.length);
    let lo = Infinity, hi = -Infinity;
    for (const c of columns) for (const v of data.values[c]) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (t) => (w * t) / Math.max(duration, 1e-9);
    const y = (v) => h - pad - ((h - 2 * pad) * (v - lo)) / (hi - lo);
    const base = document.createElement("canvas");
    base.width = w; base.height = h;
    const b = base.getContext("2d");
    for (const span of spans) {
      b.fillStyle = span.color;
      b.fillRect(x(span.start), 0, Math.max(2, x(span.end) - x(span.start)), h);
    }
    columns.forEach((c, k) => {
      b.strokeStyle = COLORS[k]; b.lineWidth = 1; b.beginPath();
      let pen = false;
      data.values[c].forEach((v, i) => {
        if (v === null) { pen = false; return; }
        if (pen) b.lineTo(x(data.t[i]), y(v)); else b.moveTo(x(data.t[i]), y(v));
        pen = true;
      });
      b.stroke();
    });
    return (t) => {
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(base, 0, 0);
      ctx.strokeStyle = "#000"; ctx.beginPath(); ctx.moveTo(x(t), 0); ctx.lineTo(x(t), h); ctx.stroke();
    };
  }

  return { svg, bars, plot, COLORS };
})();
