// Interactive figures. A computed figure whose declaration names a `widget` carries
// <div data-widget="NAME" data-src="…data.json">; this file renders it. Material's instant navigation swaps
// pages without reloading scripts, so widgets are (re)initialised on every `document$` emission.
// Colours come from Material's CSS variables, so a widget follows the light/dark palette toggle.

const widgets = {
  "attention-explorer": renderAttentionExplorer,
};

function initWidgets() {
  document.querySelectorAll("[data-widget]:not([data-ready])").forEach(async (el) => {
    const render = widgets[el.dataset.widget];
    if (!render) return;
    el.dataset.ready = "loading";
    try {
      const response = await fetch(el.dataset.src);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      render(el, await response.json());
      el.dataset.ready = "yes";
    } catch (err) {
      el.textContent = `This interactive figure could not load its data (${err.message}); the static version is below.`;
      el.dataset.ready = "failed";
    }
  });
}

// An SVG element for the widgets that draw: svg("rect", {x: 1, class: "bar"}, optional text content).
function svg(tag, attrs = {}, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k in node && !k.includes("-")) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

// Attention explorer. Data (scripts/figures/attention_explorer.py, explorer_data): tokens, heads ("L1H0"),
// patterns[head][query] = weights over the tokens the query sees (causal: the first query+1 tokens;
// bidirectional: all), each row summing to 1; sinks (BOS, or [CLS] and [SEP]) and sink_label; head and query
// shown first.
//
// One head at a time, chosen in a sticky header; the text wraps. The *query* is the token under the pointer
// (a preview), or the one last tapped, clicked or focused (kept). Every token is tinted by the weight the
// query gives it; the header lists the largest weights as numbers, with the rest summed, so they add to 1.
// Keyboard: the token area is one tab stop (roving tabindex): ←/→ previous/next token, ↑/↓ the line
// above/below, Home/End first/last. "Leave out BOS" renormalises every row over the other tokens.
function renderAttentionExplorer(el, data) {
  const n = data.tokens.length;
  const causal = data.causal !== false;
  const sinks = new Set(data.sinks || [0]);
  const sinkLabel = data.sink_label || [...sinks].map((i) => data.tokens[i].trim()).join(" and ");
  const heads = data.heads;
  const layerOf = (name) => name.replace(/H\d+$/, "");
  const layers = [...new Set(heads.map(layerOf))];
  const state = {
    head: Math.max(0, heads.indexOf(data.head)),
    query: Number.isInteger(data.query) ? data.query : n - 1, // kept (tapped, clicked, focused)
    preview: null, // under the mouse
    renorm: false,
  };
  // A token as the readout names it: visible whitespace, runs of spaces counted.
  const shown = (tok) => (tok.trim() === "" ? tok : tok.trim()).replace(/\n/g, "⏎").replace(/\t/g, "⇥")
    .replace(/ {2,}/g, (run) => `␣×${run.length}`).replace(/ /g, "␣");

  el.classList.add("attention-explorer");
  el.dataset.mode = causal ? "causal" : "bidirectional";
  el.innerHTML = "";
  const uid = `ae-${Math.random().toString(36).slice(2, 8)}`;

  // Header: head choice, the BOS option, the readout. Sticky, so it stays in view while the text scrolls.
  const layerSelect = h("select", { class: "ae-layer", "aria-label": "Layer" },
    ...layers.map((l) => h("option", { value: l }, `Layer ${l.slice(1)}`)));
  const headSelect = h("select", { class: "ae-head", "aria-label": "Head" });
  const prev = h("button", { type: "button", class: "ae-step", "aria-label": "Previous head", title: "Previous head" }, "‹");
  const next = h("button", { type: "button", class: "ae-step", "aria-label": "Next head", title: "Next head" }, "›");
  const renorm = h("input", { type: "checkbox", class: "ae-renorm", id: `${uid}-renorm` });
  const mode = h("span", { class: "ae-mode", title: causal
    ? "A causal model: a token attends only to itself and earlier tokens."
    : "An encoder: every token attends to the whole text, later tokens included." },
  causal ? "causal" : "bidirectional");
  const readout = h("div", { class: "ae-readout", "aria-live": "polite" });
  const header = h("div", { class: "ae-header" },
    h("div", { class: "ae-controls" },
      h("span", { class: "ae-headpick" }, layerSelect, headSelect, prev, next),
      mode,
      h("label", { class: "ae-option", htmlFor: `${uid}-renorm` }, renorm, ` Leave out ${sinkLabel}, renormalise`)),
    readout);

  // Tokens: wrapped text, newlines kept. One tab stop; arrows move.
  const area = h("div", { class: "ae-tokens", role: "listbox", "aria-orientation": "horizontal",
    "aria-label": `${n} tokens of the text. Arrow keys choose the query token.` });
  const cells = data.tokens.map((tok, i) => {
    const text = tok.replace(/\n/g, "⏎\n").replace(/\t/g, "⇥\t");
    const cell = h("span", { class: "ae-tok", role: "option", tabIndex: -1, "data-pos": i }, text);
    if (sinks.has(i)) cell.classList.add("ae-sink");
    area.appendChild(cell);
    return cell;
  });
  const hint = h("p", { class: "ae-hint" }, causal
    ? "Point at a token, tap it, or tab to the text and use ← → ↑ ↓ Home End. Greyed tokens come later: a causal head cannot see them."
    : "Point at a token, tap it, or tab to the text and use ← → ↑ ↓ Home End. The model is an encoder: weights on later tokens are real.");
  el.append(header, area, hint);

  const fillHeads = () => {
    const layer = layers[layers.indexOf(layerOf(heads[state.head]))];
    headSelect.replaceChildren(...heads.map((name, k) => [name, k]).filter(([name]) => layerOf(name) === layer)
      .map(([name, k]) => h("option", { value: k }, `Head ${name.match(/H(\d+)$/)[1]}`)));
    layerSelect.value = layer;
    headSelect.value = String(state.head);
  };

  // Weights of the query's row over all n tokens: null where the query cannot look (causal, later tokens).
  const weights = (q) => {
    const row = data.patterns[state.head][q];
    const w = Array.from({ length: n }, (_, i) => (i < row.length ? row[i] : null));
    if (!state.renorm) return { w, left: 1 };
    let kept = 0;
    w.forEach((x, i) => { if (x !== null && !sinks.has(i)) kept += x; });
    if (kept <= 0) return { w: w.map((x) => (x === null ? null : 0)), left: 0 };
    // Thousandths again, rounded so that they still sum to exactly 1 (largest remainder, as the data is).
    const exact = w.map((x, i) => (x === null || sinks.has(i) ? 0 : (1000 * x) / kept));
    const units = exact.map(Math.floor);
    const order = exact.map((x, i) => i).sort((a, b) => (exact[b] - units[b]) - (exact[a] - units[a]) || a - b);
    for (let k = 0, short = 1000 - units.reduce((s, u) => s + u, 0); k < short; k++) units[order[k]] += 1;
    return { w: w.map((x, i) => (x === null ? null : units[i] / 1000)), left: kept };
  };

  const render = () => {
    const q = state.preview ?? state.query;
    const { w, left } = weights(q);
    cells.forEach((cell, i) => {
      const x = w[i];
      const out = x === null;
      const dropped = state.renorm && sinks.has(i);
      // Tint: weight^0.6, so that weights of a few percent still show against either palette; the numbers are exact.
      cell.style.setProperty("--ae-w", out || dropped ? "0%" : `${(100 * x ** 0.6).toFixed(1)}%`);
      cell.dataset.weight = out || dropped ? "" : x.toFixed(3);
      cell.classList.toggle("ae-future", out);
      cell.classList.toggle("ae-dropped", dropped);
      cell.classList.toggle("ae-strong", !out && !dropped && x >= 0.5);
      cell.classList.toggle("ae-query", i === q);
      cell.setAttribute("aria-selected", String(i === state.query));
      cell.setAttribute("aria-label", `${i}: ${shown(data.tokens[i])}${out ? ", not visible" : dropped ? ", left out" : `, ${x.toFixed(3)}`}`);
      cell.tabIndex = i === state.query ? 0 : -1;
    });
    // Readout: the largest weights as numbers, then the rest, so the list sums to 1.
    const ranked = w.map((x, i) => [x, i]).filter(([x, i]) => x !== null && !(state.renorm && sinks.has(i)))
      .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const TOP = el.clientWidth < 480 ? 3 : 5; // a phone: fewer, so the header stays small
    const top = ranked.slice(0, TOP).filter(([x]) => x > 0);
    const rest = ranked.slice(top.length).reduce((s, [x]) => s + x, 0);
    const chip = ([x, i]) => h("li", { class: "ae-chip", "data-pos": i, "data-weight": x.toFixed(3) },
      h("span", { class: "ae-chip-tok" }, shown(data.tokens[i])),
      h("span", { class: "ae-chip-pos" }, i > q ? ` #${i} →` : ` #${i}`),
      h("span", { class: "ae-num" }, ` ${x.toFixed(3)}`));
    const where = h("span", { class: "ae-where" },
      `${heads[state.head]}, from `, h("strong", { class: "ae-from" }, shown(data.tokens[q])),
      ` (#${q} of ${n}${state.preview !== null ? ", pointer" : ""}):`);
    const items = left > 0 ? top.map(chip) : [];
    if (left > 0 && ranked.length > top.length) {
      items.push(h("li", { class: "ae-chip ae-rest", "data-weight": rest.toFixed(3) },
        `${ranked.length - top.length} others `, h("span", { class: "ae-num" }, rest.toFixed(3))));
    }
    const note = !state.renorm ? "" : left > 0
      ? `${sinkLabel} had ${(1 - left).toFixed(3)}; the rest is scaled by 1/${left.toFixed(3)}.`
      : `This token attends only to ${sinkLabel}: nothing is left to renormalise.`;
    readout.replaceChildren(where, h("ol", { class: "ae-top" }, ...items), ...(note ? [h("span", { class: "ae-note" }, note)] : []));
    // The readout only grows (until the width changes): the text below must not move under the pointer.
    if (readout.offsetWidth !== reserved.width) { reserved.width = readout.offsetWidth; reserved.height = 0; readout.style.minHeight = ""; }
    if (readout.offsetHeight > reserved.height) { reserved.height = readout.offsetHeight; readout.style.minHeight = `${reserved.height}px`; }
  };
  const reserved = { width: 0, height: 0 };

  const setHead = (k) => {
    state.head = (k + heads.length) % heads.length;
    fillHeads();
    render();
  };
  const lock = (i, focus = false) => {
    state.query = Math.max(0, Math.min(n - 1, i));
    state.preview = null;
    render();
    if (focus) reveal(cells[state.query]);
  };
  // Focus a token and keep it clear of the sticky headers (Material's and ours).
  const reveal = (cell) => {
    cell.focus({ preventScroll: true });
    const r = cell.getBoundingClientRect();
    const top = header.getBoundingClientRect().bottom + 4;
    if (r.top < top) window.scrollBy(0, r.top - top);
    else if (r.bottom > window.innerHeight - 4) window.scrollBy(0, r.bottom - window.innerHeight + 4);
  };

  layerSelect.addEventListener("change", () => {
    const inLayer = heads.map((name, k) => [name, k]).filter(([name]) => layerOf(name) === layerSelect.value);
    const same = inLayer.find(([name]) => name.match(/H\d+$/)[0] === heads[state.head].match(/H\d+$/)[0]);
    setHead((same || inLayer[0])[1]);
  });
  headSelect.addEventListener("change", () => setHead(+headSelect.value));
  prev.addEventListener("click", () => setHead(state.head - 1));
  next.addEventListener("click", () => setHead(state.head + 1));
  renorm.addEventListener("change", () => { state.renorm = renorm.checked; render(); });

  const posOf = (target) => {
    const cell = target.closest && target.closest(".ae-tok");
    return cell && area.contains(cell) ? +cell.dataset.pos : null;
  };
  area.addEventListener("pointerover", (e) => {
    if (e.pointerType !== "mouse") return; // touch and pen: the tap (click) chooses
    const i = posOf(e.target);
    if (i !== null && i !== state.preview) { state.preview = i; render(); }
  });
  area.addEventListener("pointerleave", () => { if (state.preview !== null) { state.preview = null; render(); } });
  area.addEventListener("click", (e) => { const i = posOf(e.target); if (i !== null) lock(i, true); });
  area.addEventListener("focusin", (e) => { const i = posOf(e.target); if (i !== null && i !== state.query) lock(i); });
  // Chips in the readout point at their token.
  readout.addEventListener("pointerover", (e) => {
    const chip = e.target.closest && e.target.closest(".ae-chip[data-pos]");
    cells.forEach((c) => c.classList.toggle("ae-ref", !!chip && c.dataset.pos === chip.dataset.pos));
  });
  readout.addEventListener("pointerleave", () => cells.forEach((c) => c.classList.remove("ae-ref")));

  // ↑/↓: on the next line up or down, the token whose box is nearest the current token's centre.
  const vertical = (i, dir) => {
    const rects = (j) => cells[j].getClientRects();
    const r = rects(i);
    const from = dir > 0 ? r[r.length - 1] : r[0];
    const cx = (from.left + from.right) / 2;
    let line = null;
    let best = i;
    let bestDx = Infinity;
    for (let j = i + dir; j >= 0 && j < n; j += dir) {
      const rs = rects(j);
      if (!rs.length) continue;
      const box = dir > 0 ? rs[0] : rs[rs.length - 1];
      const edge = dir > 0 ? box.top : box.bottom;
      if (line === null) {
        if (dir > 0 ? edge < from.bottom - 2 : edge > from.top + 2) continue; // still on the current line
        line = edge;
      } else if (Math.abs(edge - line) > 2) break; // past the target line
      const dx = Math.max(box.left - cx, cx - box.right, 0);
      if (dx < bestDx) { best = j; bestDx = dx; }
    }
    return best;
  };
  area.addEventListener("keydown", (e) => {
    const i = posOf(e.target);
    if (i === null || e.altKey || e.ctrlKey || e.metaKey) return;
    const to = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: n - 1 }[e.key]
      ?? (e.key === "ArrowUp" ? vertical(i, -1) : e.key === "ArrowDown" ? vertical(i, +1) : null);
    if (to === null) return;
    e.preventDefault();
    lock(to, true);
  });

  fillHeads();
  render();
}

if (typeof document$ !== "undefined") {
  document$.subscribe(initWidgets);
} else {
  document.addEventListener("DOMContentLoaded", initWidgets);
}
