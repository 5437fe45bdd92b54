// Superposition explorer: the toy model of superposition (Elhage et al. 2022), n features (5) squeezed into 2
// dimensions, x' = ReLU(WᵀW x + b). For the chosen feature sparsity and importance decay it shows the plane with
// each feature's direction W_i (a column of W) as an arrow in its own colour, labelled with its index (labels of
// coinciding arrows are pushed apart; features with ‖W_i‖ ≈ 0 are listed in the corner instead), the norms ‖W_i‖
// as bars under it (dashed line at 0.5, the "represented" threshold), and WᵀW as a heatmap (red = same direction,
// blue = opposite; every cell prints its value and has a tooltip). Dense features give two orthogonal arrows, sparse
// ones a pentagon.
// Data: decays (importance of feature i is decay**i), p (feature probabilities, dense first; sparsity is 1 - p),
// models[String(decay)][k] = {W: 2 x n, norms: n, WtW: n x n, loss} for p[k] (norms and WtW are recomputed from W
// if absent), seed (optional, named in the figures' descriptions).
// The sparsity slider is a native range input (arrow keys, Page Up/Down, Home = dense, End = sparsest, touch) and
// the decay a native select; the status line under them is announced politely. Colours follow Material's palette
// variables and --se-c0..4 (extra.css), so dark mode needs nothing. Registers itself with widgets.js (loaded before
// it) and asks it to render.

(function () {
  const s = svg; // widgets.js
  const f2 = (x) => (Math.abs(x) < 0.005 ? 0 : x).toFixed(2); // no "-0.00"
  const num = (x) => String(Number(x.toPrecision(3))); // 0.995, 0.01, 1
  const sparsityOf = (p) => String(Number((1 - p).toFixed(4)));
  const THRESHOLD = 0.5; // ‖W_i‖ above this: the feature is represented
  const TINY = 0.1; // ‖W_i‖ below this: no arrow, listed as ≈ 0

  // A feature's badge: its index on a disc of its colour (the ink on it is chosen per colour in extra.css).
  function badge(i, x, y, r = 9) {
    const g = s("g", { class: `se-badge se-f${i % 5}`, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    g.append(s("circle", { r }), s("text", { y: 4.5, "text-anchor": "middle" }, String(i)));
    return g;
  }

  function renderSuperpositionExplorer(el, data) {
    const decays = data.decays;
    const ps = data.p;
    const keyOf = (d) => Object.keys(data.models).find((k) => Number(k) === Number(d)) ?? String(d);
    const state = { decay: 0, k: 0 };

    el.classList.add("superposition-explorer");
    el.innerHTML = "";
    const range = h("input", { type: "range", min: 0, max: ps.length - 1, value: 0, step: 1, "aria-label": "sparsity",
                               class: "se-range" });
    const pick = h("select", { "aria-label": "importance decay", class: "se-decay" },
      ...decays.map((d, j) => h("option", { value: j }, `${d}ⁱ`)));
    const status = h("output", { class: "se-status", "aria-live": "polite" });
    const plane = s("svg", { viewBox: "0 0 300 300", class: "se-plane", role: "img" });
    const bars = s("svg", { viewBox: "0 0 300 96", class: "se-bars", role: "img" });
    const heat = s("svg", { viewBox: "0 0 300 300", class: "se-heat", role: "img" });
    el.append(
      h("div", { class: "se-controls" },
        h("span", { class: "se-slide" },
          h("span", { class: "se-end" }, "dense"), range, h("span", { class: "se-end" }, "sparse")),
        h("label", { class: "se-ctl" }, "importance ", pick)),
      status,
      h("div", { class: "se-panels" },
        h("div", { class: "se-panel" },
          h("p", { class: "se-head" }, "Feature directions W", h("sub", {}, "i"), " in the plane"), plane, bars),
        h("div", { class: "se-panel" }, h("p", { class: "se-head" }, "Interference WᵀW"), heat,
          h("p", { class: "se-legend" }, "WᵀW: ", h("span", { class: "se-red" }, "red"), " = same direction, ",
            h("span", { class: "se-blue" }, "blue"), " = opposite"))));

    // The model at the current setting, with norms and WᵀW recomputed from W where the data leaves them out.
    function model() {
      const m = data.models[keyOf(decays[state.decay])][state.k];
      const W = m.W, n = W[0].length;
      const col = (i) => W.map((row) => row[i]);
      const norms = m.norms || Array.from({ length: n }, (_, i) => Math.hypot(...col(i)));
      const G = m.WtW || Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) =>
        W.reduce((acc, row) => acc + row[i] * row[j], 0)));
      return { W, n, col, norms, G, loss: m.loss };
    }

    const setting = () => `sparsity ${sparsityOf(ps[state.k])}, importance ${decays[state.decay]}^i`;

    // The plane: axis range -1.3..1.3 both ways, 300 px square; y up.
    const C = 150, U = 300 / 2.6;
    function drawPlane(m) {
      plane.replaceChildren();
      plane.append(s("line", { x1: 6, x2: 294, y1: C, y2: C, class: "se-axis" }),
                   s("line", { x1: C, x2: C, y1: 6, y2: 294, class: "se-axis" }),
                   s("circle", { cx: C, cy: C, r: U, class: "se-unit" }));
      const shown = [], tiny = [];
      for (let i = 0; i < m.n; i++) (m.norms[i] < TINY ? tiny : shown).push(i);
      // longest first, so a short arrow lying along a long one is drawn on top of it
      shown.sort((a, b) => m.norms[b] - m.norms[a]);
      const labels = [];
      for (const i of shown) {
        const [wx, wy] = m.col(i);
        const len = Math.hypot(wx, wy), ux = wx / len, uy = -wy / len; // screen direction (y down)
        const tx = C + wx * U, ty = C - wy * U, L = len * U;
        const hl = Math.min(11, 0.45 * L), hw = 0.5 * hl;
        const g = s("g", { class: `se-vec se-f${i % 5}` });
        g.append(s("line", { x1: C, y1: C, x2: (tx - ux * hl * 0.8).toFixed(1), y2: (ty - uy * hl * 0.8).toFixed(1),
                             class: "se-arrow" }),
                 s("polygon", { points: [[tx, ty], [tx - ux * hl - uy * hw, ty - uy * hl + ux * hw],
                                         [tx - ux * hl + uy * hw, ty - uy * hl - ux * hw]]
                                  .map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ") }));
        g.append(s("title", {}, `feature ${i}: ‖W_${i}‖ = ${f2(len)}`));
        plane.append(g);
        labels.push({ i, x: tx + ux * 14, y: ty + uy * 14, px: -uy, py: ux });
      }
      // Features too short to draw: listed in a corner (a line of text, their badges under it), the corner farthest
      // from the arrows' tips and labels; the labels keep clear of those badges.
      const tips = shown.map((i) => [C + m.col(i)[0] * U, C - m.col(i)[1] * U]);
      const roomAt = (x, y, busy) => Math.min(Infinity, ...busy.map(([bx, by]) => Math.hypot(x - bx, y - by)));
      const corners = [[-1, -1], [1, -1], [-1, 1], [1, 1]].map(([sx, sy]) => ({ sx, sy, x: sx < 0 ? 40 : 260,
        y: sy < 0 ? 30 : 270 }));
      const near = labels.map((l) => [l.x, l.y]).concat(tips);
      const corner = corners.reduce((best, c) => (roomAt(c.x, c.y, near) > roomAt(best.x, best.y, near) + 1 ? c : best));
      const listY = corner.sy < 0 ? 40 : 283;
      const fixed = tiny.map((i, j) => ({ i, fixed: true, y: listY,
        x: corner.sx < 0 ? 15 + j * 22 : 285 - (tiny.length - 1 - j) * 22 }));
      // Labels of coinciding (or close) arrows: pushed apart until 24 px separate them (a badge is 18 across), kept
      // inside the square.
      const clamp = (v) => Math.max(11, Math.min(289, v));
      labels.forEach((l) => { l.x = clamp(l.x); l.y = clamp(l.y); });
      const all = labels.concat(fixed);
      for (let it = 0; it < 40; it++) {
        let moved = false;
        for (let a = 0; a < labels.length; a++) {
          for (let b = a + 1; b < all.length; b++) {
            const A = all[a], B = all[b];
            const d = Math.hypot(A.x - B.x, A.y - B.y);
            if (d >= 24) continue;
            // apart along the line between them; from the same place, across the arrow
            const [dx, dy] = d < 0.5 ? [A.px, A.py] : [(A.x - B.x) / d, (A.y - B.y) / d];
            const push = (B.fixed ? 24 - d : (24 - d) / 2) + 0.1;
            A.x = clamp(A.x + dx * push); A.y = clamp(A.y + dy * push);
            if (!B.fixed) { B.x = clamp(B.x - dx * push); B.y = clamp(B.y - dy * push); }
            moved = true;
          }
        }
        if (!moved) break;
      }
      labels.sort((a, b) => a.i - b.i).forEach((l) => plane.append(badge(l.i, l.x, l.y)));
      if (tiny.length) {
        plane.append(s("text", { x: corner.sx < 0 ? 6 : 294, y: listY - 18, class: "se-note",
                                 "text-anchor": corner.sx < 0 ? "start" : "end" }, "‖W_i‖ ≈ 0:"));
      }
      fixed.forEach((l) => plane.append(badge(l.i, l.x, l.y)));
      // The unit circle's name, just outside it on the diagonal farthest from every arrow tip and label.
      const spots = [[1, 1], [-1, 1], [1, -1], [-1, -1]].map(([sx, sy]) => ({ sx, sy,
        x: C + sx * (U * Math.SQRT1_2 + 4), y: C + sy * (U * Math.SQRT1_2 + 4) + (sy > 0 ? 12 : -2) }));
      const busy = all.map((l) => [l.x, l.y]).concat(tips, tiny.length ? [[corner.x, listY - 22]] : []);
      const room = (sp) => roomAt(sp.x + sp.sx * 28, sp.y - 5, busy); // from the middle of the text
      const spot = spots.reduce((best, sp) => (room(sp) > room(best) + 1 ? sp : best));
      plane.append(s("text", { x: spot.x.toFixed(1), y: spot.y.toFixed(1), class: "se-note",
                               "text-anchor": spot.sx > 0 ? "start" : "end" }, "‖W‖ = 1"));
      const described = shown.slice().sort((a, b) => a - b).map((i) => {
        const [wx, wy] = m.col(i);
        const deg = (Math.round((Math.atan2(wy, wx) * 180) / Math.PI) + 360) % 360;
        return `feature ${i} at ${deg}°, length ${f2(m.norms[i])}`;
      });
      const seed = data.seed ? ` (${data.seed})` : "";
      plane.setAttribute("aria-label", `Feature directions W_i in 2 dimensions at ${setting()}${seed}: ${described.join("; ")}` +
        (tiny.length ? `; features ${tiny.join(", ")} have length near 0` : "") + ".");
    }

    // ‖W_i‖ per feature, on 0..max(1.2, largest); a dashed line at the threshold.
    function drawBars(m) {
      bars.replaceChildren();
      const L = 34, R = 6, T = 16, B = 22, H = 96 - T - B, slot = (300 - L - R) / m.n;
      const top = Math.max(1.2, ...m.norms);
      const Y = (v) => T + H * (1 - v / top);
      bars.append(s("line", { x1: L, x2: 300 - R, y1: Y(0), y2: Y(0), class: "se-axis" }));
      m.norms.forEach((v, i) => {
        const x = L + i * slot + slot * 0.22, w = slot * 0.56;
        const r = s("rect", { x: x.toFixed(1), y: Y(v).toFixed(1), width: w.toFixed(1), height: (Y(0) - Y(v)).toFixed(1),
                              class: `se-bar se-f${i % 5}` });
        r.append(s("title", {}, `‖W_${i}‖ = ${f2(v)}`));
        const cx = (x + w / 2).toFixed(1);
        bars.append(r, s("text", { x: cx, y: (Y(v) - 4).toFixed(1), "text-anchor": "middle", class: "se-val" }, f2(v)),
                    s("text", { x: cx, y: 96 - 6, "text-anchor": "middle", class: "se-tick" }, String(i)));
      });
      bars.append(s("line", { x1: L, x2: 300 - R, y1: Y(THRESHOLD), y2: Y(THRESHOLD), class: "se-threshold" }),
                  s("text", { x: L - 4, y: Y(THRESHOLD) + 4, "text-anchor": "end", class: "se-tick" }, "0.5"),
                  s("text", { x: 2, y: 96 - 6, class: "se-tick" }, "‖W_i‖"));
      const listed = m.norms.map((v, i) => `${i}: ${f2(v)}`).join(", ");
      bars.setAttribute("aria-label", `Norms ‖W_i‖ at ${setting()}: ${listed}; ` +
        `${m.norms.filter((v) => v > THRESHOLD).length} above 0.5.`);
    }

    // WᵀW: cells coloured from -1 (blue) through 0 (the page's background) to +1 (red), values printed.
    function drawHeat(m) {
      heat.replaceChildren();
      const L = 28, T = 28, cell = (300 - L - 2) / m.n;
      heat.append(s("text", { x: 3, y: 19, class: "se-note" }, "i · j"));
      for (let i = 0; i < m.n; i++) {
        heat.append(badge(i, L + (i + 0.5) * cell, T - 13, 8), badge(i, L - 13, T + (i + 0.5) * cell, 8));
        for (let j = 0; j < m.n; j++) {
          // white ink where it beats the default ink on the light palette's mix (red from 0.75, blue from 0.85)
          const v = m.G[i][j], a = Math.min(1, Math.abs(v));
          const g = s("g", { class: "se-cell" });
          const r = s("rect", { x: (L + j * cell).toFixed(1), y: (T + i * cell).toFixed(1), width: cell.toFixed(1),
                                height: cell.toFixed(1) });
          const end = v >= 0 ? "--se-pos" : "--se-neg";
          r.style.fill = `color-mix(in srgb, var(${end}) ${(100 * a).toFixed(0)}%, var(--md-default-bg-color))`;
          const t = s("text", { x: (L + (j + 0.5) * cell).toFixed(1), y: (T + (i + 0.5) * cell + 4.5).toFixed(1),
                                "text-anchor": "middle", class: `se-num${a >= (v >= 0 ? 0.75 : 0.85) ? " se-strong" : ""}` },
                      f2(v));
          g.append(s("title", {}, `feature ${i} · feature ${j} = ${f2(v)}`), r, t);
          heat.append(g);
        }
      }
      let worst = null;
      for (let i = 0; i < m.n; i++) for (let j = i + 1; j < m.n; j++) {
        if (!worst || Math.abs(m.G[i][j]) > Math.abs(worst[2])) worst = [i, j, m.G[i][j]];
      }
      heat.setAttribute("aria-label", `WᵀW at ${setting()}: diagonal ${m.G.map((row, i) => f2(row[i])).join(", ")}` +
        (worst ? `; largest interference ${f2(worst[2])}, between features ${worst[0]} and ${worst[1]}` : "") + ".");
    }

    function update() {
      state.k = Number(range.value);
      state.decay = Number(pick.value);
      const m = model();
      const kept = m.norms.filter((v) => v > THRESHOLD).length;
      status.textContent = `sparsity ${sparsityOf(ps[state.k])} (feature probability ${num(ps[state.k])}), ` +
        `importance ${decays[state.decay]}^i: ${kept} of ${m.n} features represented (‖W_i‖ > ${THRESHOLD})` +
        (typeof m.loss === "number" ? `; loss ${m.loss >= 0.01 ? m.loss.toPrecision(3) : m.loss.toExponential(1)}` : "");
      drawPlane(m);
      drawBars(m);
      drawHeat(m);
    }
    range.addEventListener("input", update);
    pick.addEventListener("change", update);
    update();
  }

  widgets["superposition-explorer"] = renderSuperpositionExplorer;
  if (typeof initWidgets === "function") initWidgets();
})();
