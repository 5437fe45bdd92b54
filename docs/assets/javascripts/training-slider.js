// Training slider (scripts/figures/grokking_explorer.py): for one seed at a time, the loss curves over training
// with a marker at the chosen epoch (epoch ticks below), and the embedding's Fourier spectrum at that epoch
// (key frequencies of the final model in the accent colour) on one y scale for the whole run. The slider is a native range input: arrow keys, Page Up/Down,
// Home/End and touch all work. Colours follow Material's palette variables, so dark mode needs nothing.
// Registers itself with widgets.js (loaded before it) and asks it to render.

(function () {
  const s = svg; // widgets.js
  const fmt = (x) => (x >= 0.01 && x < 1000 ? x.toPrecision(3) : x.toExponential(1));

  const tops = new WeakMap();
  function runTop(run) {
    if (!tops.has(run)) tops.set(run, Math.max(0.05, ...run.spectrum.map((row) => Math.max(...row))));
    return tops.get(run);
  }

  function renderTrainingSlider(el, data) {
    const names = Object.keys(data.seeds);
    let run = data.seeds[names[0]];
    let idx = run.epoch.length - 1;
    el.classList.add("training-slider");
    const pick = h("select", { "aria-label": "training seed" }, ...names.map((n) => h("option", { value: n }, n)));
    const range = h("input", { type: "range", min: 0, max: run.epoch.length - 1, value: idx, step: 1,
                               "aria-label": "epoch" });
    const status = h("output", { class: "ts-status", "aria-live": "polite" });
    // a narrow column (a phone) gets a narrower drawing, so the text keeps a readable size when scaled down
    const W = el.clientWidth && el.clientWidth < 500 ? 400 : 640;
    const curves = s("svg", { viewBox: `0 0 ${W} 220`, class: "ts-curves", role: "img" });
    const bars = s("svg", { viewBox: `0 0 ${W} 186`, class: "ts-bars", role: "img" });
    el.append(h("div", { class: "ts-controls" }, pick, range), status, curves, bars);

    const L = 48, R = 12, T = 10, B = 28;
    const series = [["train", "var(--ts-c0)"], ["test", "var(--ts-c1)"], ["restricted", "var(--ts-c2)"]];
    function drawCurves() {
      curves.replaceChildren();
      const xs = run.epoch, xmax = xs[xs.length - 1];
      const all = series.flatMap(([k]) => run[k]).filter((v) => v > 0);
      const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all));
      const RC = W < 640 ? 72 : 84;  // right margin: the curves' labels sit there, clear of the lines and the marker
      const X = (e) => L + (W - L - RC) * (e / xmax), Y = (v) => T + (220 - T - B) * (1 - (Math.log10(v) - lo) / (hi - lo));
      for (const e of run.phases) curves.append(s("line", { x1: X(e), x2: X(e), y1: T, y2: 220 - B, class: "ts-phase" }));
      const ends = [];
      for (const [k, color] of series) {
        const d = xs.map((e, i) => `${i ? "L" : "M"}${X(e).toFixed(1)},${Y(Math.max(run[k][i], 10 ** lo)).toFixed(1)}`).join("");
        curves.append(s("path", { d, stroke: color, fill: "none", "stroke-width": 1.6 }));
        ends.push({ k, color, y: Y(Math.max(run[k][xs.length - 1], 10 ** lo)) });
      }
      // labels at the curves' ends, pushed apart (14 px) and kept inside the plot, so they never overlap
      ends.sort((p, q) => p.y - q.y);
      ends.forEach((e, i) => { if (i) e.y = Math.max(e.y, ends[i - 1].y + 14); });
      const over = ends.length ? ends[ends.length - 1].y - (220 - B - 4) : 0;
      for (const e of ends) {
        const label = s("text", { x: W - RC + 8, y: (e.y - Math.max(0, over) + 4).toFixed(1), "text-anchor": "start",
                                  fill: e.color, class: "ts-label" });
        label.textContent = e.k;
        curves.append(label);
      }
      for (let p = Math.ceil(lo); p <= Math.floor(hi); p += Math.max(1, Math.round((hi - lo) / 4))) {
        const t = s("text", { x: L - 6, y: Y(10 ** p) + 4, "text-anchor": "end", class: "ts-tick" });
        t.textContent = `1e${p}`;
        curves.append(t);
      }
      // epoch ticks at a round step (1, 2 or 5 times a power of ten), about four of them
      const raw = xmax / 4, mag = 10 ** Math.floor(Math.log10(raw));
      const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw);
      for (let e = 0; e <= xmax; e += step) {
        const t = s("text", { x: X(e), y: 220 - B + 13, "text-anchor": "middle", class: "ts-tick" });
        t.textContent = e >= 1000 ? `${e / 1000}k` : `${e}`;
        curves.append(t);
      }
      const xl = s("text", { x: (L + W - RC) / 2, y: 218, "text-anchor": "middle", class: "ts-tick" });
      xl.textContent = "epoch";
      curves.append(xl);
      curves.append(s("line", { x1: X(run.epoch[idx]), x2: X(run.epoch[idx]), y1: T, y2: 220 - B, class: "ts-marker" }));
    }
    function drawBars() {
      bars.replaceChildren();
      // one y scale for the whole run (its largest share at any epoch), so concentration shows as bars growing
      const spec = run.spectrum[idx], n = spec.length, top = runTop(run);
      const bw = (W - L - R) / n;
      spec.forEach((v, i) => {
        const k = i + 1, hgt = (170 - T - B) * (v / top);
        const r = s("rect", { x: L + i * bw + 1, y: 170 - B - hgt, width: bw - 2, height: hgt,
                              class: run.keys.includes(k) ? "ts-key" : "ts-bar" });
        const tip = s("title");
        tip.textContent = `k = ${k}: ${v.toFixed(3)}`;
        r.append(tip);
        bars.append(r);
      });
      for (const k of W < 640 ? [1, 20, 40] : [1, 10, 20, 30, 40, 50]) {  // a plain axis: ticks every 10 frequencies
        const t = s("text", { x: L + (k - 0.5) * bw, y: 170 - B + 14, "text-anchor": "middle", class: "ts-tick" });
        t.textContent = k;
        bars.append(t);
      }
      const xl = s("text", { x: (L + W - R) / 2, y: 182, "text-anchor": "middle", class: "ts-tick" });
      xl.textContent = `frequency k (final key frequencies: ${run.keys.join(", ")})`;
      bars.append(xl);
      const yl = s("text", { x: L - 6, y: T + 10, "text-anchor": "end", class: "ts-tick" });
      yl.textContent = top.toFixed(2);
      bars.append(yl);
      const y0 = s("text", { x: L - 6, y: 170 - B, "text-anchor": "end", class: "ts-tick" });
      y0.textContent = "0";
      bars.append(y0);
    }
    function update() {
      idx = Number(range.value);
      const i = idx;
      status.textContent = `epoch ${run.epoch[i].toLocaleString()}: train loss ${fmt(run.train[i])}, test loss ` +
        `${fmt(run.test[i])}, restricted ${fmt(run.restricted[i])}, test accuracy ${(100 * run.test_acc[i]).toFixed(1)} %`;
      curves.setAttribute("aria-label", `Loss curves with a marker at epoch ${run.epoch[i]}`);
      bars.setAttribute("aria-label", `Embedding spectrum at epoch ${run.epoch[i]}`);
      drawCurves();
      drawBars();
    }
    pick.addEventListener("change", () => {
      run = data.seeds[pick.value];
      range.max = run.epoch.length - 1;
      range.value = Math.min(Number(range.value), run.epoch.length - 1);
      update();
    });
    range.addEventListener("input", update);
    update();
  }

  widgets["training-slider"] = renderTrainingSlider;
  if (typeof initWidgets === "function") initWidgets();
})();
