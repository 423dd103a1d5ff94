// scalesim report explorer (src/report/explore.rs, docs/outputs.md "Exploring the report"):
// draws the figure's panels again from the page's JSON, with a cursor line and the value of
// every series at the cursor, zoom to a dragged time range (double-click or the button resets),
// and the decision log filtered to the zoomed range. Plain DOM, no library, no network.
(function () {
  "use strict";
  var dataEl = document.getElementById("scalesim-data");
  var staticFig = document.getElementById("static-figure");
  var host = document.getElementById("explore");
  if (!dataEl || !staticFig || !host) { return; }
  var D = JSON.parse(dataEl.textContent);
  var staticSvg = staticFig.querySelector("svg");
  var NS = staticSvg ? staticSvg.namespaceURI : null;
  if (!NS || !D.panels || !D.panels.length) { return; }

  var L = 64, R = 64, T = 8, B = 22;
  var state = { a: D.x0, b: D.x1, cursor: null, drag: null, width: 0 };
  var panels = [];

  // Numbers as the static charts write them (src/text.rs label_number).
  function trim(v, d) {
    var s = v.toFixed(d);
    if (s.indexOf(".") >= 0) { s = s.replace(/0+$/, "").replace(/\.$/, ""); }
    return s === "-0" ? "0" : s;
  }
  function fmtN(v) {
    var a = Math.abs(v);
    if (a >= 1e6) { return trim(v / 1e6, 1) + "M"; }
    if (a >= 1e4) { return trim(v / 1e3, 1) + "k"; }
    if (a >= 100) { return String(Math.round(v)); }
    if (a >= 1) { return trim(v, 1); }
    return trim(v, 3);
  }
  function fmtS(v) {
    var a = Math.abs(v);
    if (a === 0) { return "0 s"; }
    if (a < 1) { return trim(v * 1000, a < 0.01 ? 2 : 0) + " ms"; }
    if (a < 600) { return trim(v, 2) + " s"; }
    if (a < 10800) { return trim(v / 60, 1) + " min"; }
    return trim(v / 3600, 2) + " h";
  }
  function fmt(kind, v) { return kind === "s" ? fmtS(v) : fmtN(v); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmtT(t) {
    var s = Math.max(0, Math.round(t));
    var text = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    if (D.clock) {
      var c = (D.clock.start + s) % 86400;
      text += " (" + pad(Math.floor(c / 3600)) + ":" + pad(Math.floor(c / 60) % 60) + ":" +
        pad(c % 60) + " " + D.clock.zone + ")";
    }
    return text;
  }

  function svgEl(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { if (attrs.hasOwnProperty(k)) { e.setAttribute(k, attrs[k]); } }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function htmlEl(name, cls, parent, text) {
    var e = document.createElement(name);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  // Series access: start time of point i, and the point holding time t.
  function tAt(s, i) { return s.t ? s.t[i] : s.t0 + i * s.dt; }
  function indexAt(s, t) {
    var n = s.v.length, lo = 0, hi = n - 1;
    if (n === 0 || t < tAt(s, 0)) { return -1; }
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (tAt(s, mid) <= t) { lo = mid; } else { hi = mid - 1; }
    }
    return lo;
  }
  function valueText(p, s, t) {
    var i = indexAt(s, t);
    if (i < 0 || s.v[i] === null) { return "–"; }
    var kind = s.right && p.right ? p.right.fmt : p.fmt;
    var hi = fmt(kind, s.v[i]);
    if (s.lo && s.lo[i] !== null && s.lo[i] !== s.v[i]) { return fmt(kind, s.lo[i]) + " – " + hi; }
    return hi;
  }

  // The visible extent of a panel's series on one axis, with its reference lines.
  function extent(p, right) {
    var lo = Infinity, hi = -Infinity;
    p.series.forEach(function (s) {
      if (!!s.right !== right) { return; }
      var i0 = Math.max(0, indexAt(s, state.a)), i1 = Math.max(0, indexAt(s, state.b));
      for (var i = i0; i <= i1 && i < s.v.length; i++) {
        var vals = s.lo ? [s.lo[i], s.v[i]] : [s.v[i]];
        vals.forEach(function (v) {
          if (v === null) { return; }
          if (v > hi) { hi = v; }
          if (v > 0 && v < lo) { lo = v; }
        });
      }
    });
    if (!right) { p.refs.forEach(function (r) { hi = Math.max(hi, r.y); lo = Math.min(lo, r.y); }); }
    if (p.log && !right) {
      if (!isFinite(lo) || hi <= 0) { return { lo: 1e-3, hi: 1, log: true }; }
      lo = Math.max(lo / 1.5, 1e-3);
      return { lo: lo, hi: Math.max(hi * 1.5, lo * 10), log: true };
    }
    return { lo: 0, hi: Math.max(hi, 1) * 1.08, log: false };
  }
  function ticks(ax) {
    var out = [];
    if (ax.log) {
      for (var e = Math.floor(Math.log10(ax.lo)); Math.pow(10, e) <= ax.hi; e++) {
        if (Math.pow(10, e) >= ax.lo) { out.push(Math.pow(10, e)); }
      }
      return out;
    }
    var raw = (ax.hi - ax.lo) / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0];
    for (var v = 0; v <= ax.hi; v += step) { out.push(v); }
    return out;
  }
  function timeTicks() {
    var span = state.b - state.a;
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    var step = steps.filter(function (s) { return span / s <= 8; })[0] || 86400;
    var out = [];
    for (var t = Math.ceil(state.a / step) * step; t <= state.b; t += step) { out.push(t); }
    return out;
  }

  function buildPanel(p) {
    var box = htmlEl("div", "xpanel", host);
    htmlEl("div", "xtitle", box, p.title + " — " + p.unit + (p.right ? "; right: " + p.right.unit : ""));
    var legend = htmlEl("div", "readout", box);
    var values = p.series.map(function (s) {
      var item = htmlEl("span", "item", legend);
      var sw = htmlEl("span", "swatch", item);
      sw.style.background = s.colour;
      htmlEl("span", "label", item, s.label + ": ");
      return htmlEl("span", "value", item, "–");
    });
    p.refs.forEach(function (r) { htmlEl("span", "item ref", legend, r.label); });
    var svg = svgEl("svg", { "class": "xchart", role: "img", "aria-label": p.title }, box);
    var rec = { p: p, svg: svg, values: values, height: p.log ? 200 : 180 };
    panels.push(rec);
    svg.addEventListener("mousemove", function (e) { onMove(rec, e); });
    svg.addEventListener("mousedown", function (e) {
      if (e.button !== 0) { return; }
      e.preventDefault();
      state.drag = { from: toTime(rec, e), to: null, x: e.clientX };
    });
    svg.addEventListener("mouseleave", function () { if (!state.drag) { setCursor(null); } });
    svg.addEventListener("dblclick", function (e) { e.preventDefault(); zoom(D.x0, D.x1); });
  }

  function xOf(t) { return L + (t - state.a) / (state.b - state.a) * (state.width - L - R); }
  function toTime(rec, e) {
    var r = rec.svg.getBoundingClientRect();
    var x = (e.clientX - r.left) * state.width / Math.max(r.width, 1);
    var t = state.a + (x - L) / (state.width - L - R) * (state.b - state.a);
    return Math.min(state.b, Math.max(state.a, t));
  }

  function drawPanel(rec) {
    var p = rec.p, svg = rec.svg, W = state.width, H = rec.height;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    var left = extent(p, false), right = p.right ? extent(p, true) : null;
    function yOf(ax, v) {
      var f = ax.log ? (Math.log(v) - Math.log(ax.lo)) / (Math.log(ax.hi) - Math.log(ax.lo))
        : (v - ax.lo) / (ax.hi - ax.lo);
      return T + (1 - f) * (H - T - B);
    }
    svgEl("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fff", stroke: "#bbb" }, svg);
    p.shades.forEach(function (s) {
      var x0 = Math.max(xOf(s[0]), L), x1 = Math.min(xOf(s[1]), W - R);
      if (x1 > x0) {
        svgEl("rect", { x: x0, y: T, width: Math.max(x1 - x0, 1), height: H - T - B, fill: s[2], "fill-opacity": 0.15 }, svg);
      }
    });
    ticks(left).forEach(function (v) {
      var y = yOf(left, v);
      svgEl("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#eee" }, svg);
      svgEl("text", { x: L - 4, y: y + 4, "text-anchor": "end", "class": "tick" }, svg).textContent = fmt(p.fmt, v);
    });
    if (right) {
      ticks(right).forEach(function (v) {
        svgEl("text", { x: W - R + 4, y: yOf(right, v) + 4, "class": "tick" }, svg).textContent = fmt(p.right.fmt, v);
      });
    }
    timeTicks().forEach(function (t) {
      var x = xOf(t);
      svgEl("line", { x1: x, x2: x, y1: T, y2: H - B, stroke: "#eee" }, svg);
      svgEl("text", { x: x, y: H - 6, "text-anchor": "middle", "class": "tick xtick" }, svg).textContent = fmtT(t).split(" ")[0];
    });
    p.refs.forEach(function (r) {
      var y = yOf(left, r.y);
      svgEl("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: r.colour, "stroke-dasharray": "8 5" }, svg);
    });
    // A nested svg clips the lines to the plot area, in the same coordinates.
    var plot = svgEl("svg", {
      x: L, y: T, width: W - L - R, height: H - T - B,
      viewBox: L + " " + T + " " + (W - L - R) + " " + (H - T - B)
    }, svg);
    p.series.forEach(function (s) {
      var ax = s.right && right ? right : left;
      [s.lo, s.v].forEach(function (vals, k) {
        if (!vals) { return; }
        var d = seriesPath(s, vals, ax, yOf);
        if (d) {
          svgEl("path", {
            d: d, fill: "none", stroke: s.colour, "stroke-width": k === 0 ? 1 : 1.6,
            "stroke-dasharray": s.dashed ? "8 5" : "none"
          }, plot);
        }
      });
    });
    rec.cursor = svgEl("line", { y1: T, y2: H - B, stroke: "#222", "stroke-width": 1, "class": "cursor", visibility: "hidden" }, svg);
    rec.select = svgEl("rect", { y: T, height: H - T - B, fill: "#1f77b4", "fill-opacity": 0.15, visibility: "hidden", "class": "selection" }, svg);
  }

  function seriesPath(s, vals, ax, yOf) {
    var i0 = Math.max(0, indexAt(s, state.a)), i1 = indexAt(s, state.b);
    var d = "", pen = false;
    for (var i = i0; i <= i1 && i < vals.length; i++) {
      var v = vals[i];
      if (v === null || (ax.log && v <= 0)) { pen = false; continue; }
      var y = yOf(ax, v).toFixed(1);
      var x = xOf(tAt(s, i)), xe = xOf(tAt(s, i) + s.dt);
      if (s.step) {
        d += (pen ? "L" : "M") + x.toFixed(1) + " " + y + "L" + xe.toFixed(1) + " " + y;
      } else {
        d += (pen ? "L" : "M") + ((x + xe) / 2).toFixed(1) + " " + y;
      }
      pen = true;
    }
    return d;
  }

  function setCursor(t) {
    state.cursor = t;
    var label = document.getElementById("cursor-time");
    label.textContent = t === null ? "move the pointer over a chart" : "at " + fmtT(t);
    panels.forEach(function (rec) {
      if (t === null) { rec.cursor.setAttribute("visibility", "hidden"); }
      else {
        var x = xOf(t).toFixed(1);
        rec.cursor.setAttribute("x1", x);
        rec.cursor.setAttribute("x2", x);
        rec.cursor.setAttribute("visibility", "visible");
      }
      rec.p.series.forEach(function (s, k) {
        rec.values[k].textContent = t === null ? "–" : valueText(rec.p, s, t);
      });
    });
  }

  function showSelection() {
    var d = state.drag;
    panels.forEach(function (rec) {
      if (!d || d.to === null) { rec.select.setAttribute("visibility", "hidden"); return; }
      var x0 = xOf(Math.min(d.from, d.to)), x1 = xOf(Math.max(d.from, d.to));
      rec.select.setAttribute("x", x0.toFixed(1));
      rec.select.setAttribute("width", Math.max(x1 - x0, 1).toFixed(1));
      rec.select.setAttribute("visibility", "visible");
    });
  }

  function onMove(rec, e) {
    var t = toTime(rec, e);
    if (state.drag) { state.drag.to = t; showSelection(); }
    setCursor(t);
  }

  function onUp(e) {
    var d = state.drag;
    state.drag = null;
    showSelection();
    if (!d || d.to === null || Math.abs(e.clientX - d.x) < 4) { return; }
    zoom(Math.min(d.from, d.to), Math.max(d.from, d.to));
  }

  function zoom(a, b) {
    state.a = a;
    state.b = b > a ? b : a + 1;
    redraw();
  }

  function redraw() {
    state.width = Math.max(host.clientWidth, 400);
    panels.forEach(drawPanel);
    var zoomed = state.a > D.x0 || state.b < D.x1;
    var label = document.getElementById("range-label");
    label.textContent = (zoomed ? "zoomed to " : "whole run: ") + fmtT(state.a) + " – " + fmtT(state.b);
    label.setAttribute("data-from", state.a);
    label.setAttribute("data-to", state.b);
    document.getElementById("reset-zoom").disabled = !zoomed;
    filterLog(zoomed);
    setCursor(state.cursor !== null && state.cursor >= state.a && state.cursor <= state.b ? state.cursor : null);
  }

  function filterLog(zoomed) {
    var note = document.getElementById("log-filter");
    if (!note) { return; }
    var rows = document.querySelectorAll("table.log tbody tr[data-t]");
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var t = parseFloat(rows[i].getAttribute("data-t"));
      var inside = !zoomed || (t >= state.a && t <= state.b);
      rows[i].hidden = !inside;
      if (inside) { shown++; }
    }
    note.setAttribute("data-shown", shown);
    note.textContent = zoomed
      ? shown + " of " + rows.length + " decisions listed fall in the zoomed range " + fmtT(state.a) + " – " + fmtT(state.b) + "."
      : rows.length + " decisions listed; zoom the charts to list only those in a time range.";
  }

  function build() {
    var bar = htmlEl("div", "xbar", null);
    host.parentNode.insertBefore(bar, host);
    htmlEl("span", "range", bar).id = "range-label";
    var reset = htmlEl("button", null, bar, "Reset zoom");
    reset.id = "reset-zoom";
    reset.type = "button";
    reset.addEventListener("click", function () { zoom(D.x0, D.x1); });
    var toggle = htmlEl("button", null, bar, "Show the static figure");
    toggle.type = "button";
    toggle.addEventListener("click", function () {
      var hidden = staticFig.hidden;
      staticFig.hidden = !hidden;
      toggle.textContent = hidden ? "Hide the static figure" : "Show the static figure";
    });
    htmlEl("span", "cursor-time", bar).id = "cursor-time";
    htmlEl("p", "note", bar, "Drag across a chart to zoom to a time range; double-click a chart or press Reset zoom to see the whole run.");
    staticFig.hidden = true;
    D.panels.forEach(buildPanel);
    window.addEventListener("mouseup", onUp);
    window.addEventListener("resize", function () { if (host.clientWidth !== state.width) { redraw(); } });
    var rows = document.querySelectorAll("table.log tbody tr[data-t]");
    for (var i = 0; i < rows.length; i++) {
      rows[i].addEventListener("mouseenter", function () {
        var t = parseFloat(this.getAttribute("data-t"));
        setCursor(t >= state.a && t <= state.b ? t : null);
      });
    }
    host.hidden = false;
    redraw();
  }

  build();
})();
