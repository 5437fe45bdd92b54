// Values on hover: a computed figure's heatmap cells, bars and points show their numbers under
// the cursor. Offline, no library.
//
// Figures are <img> SVGs, which run no script and fire no events inside. A figure script that calls
// `style.hover_grid`/`hover_bars`/`hover_rect`/`hover_points` (scripts/engine/style.py) writes a hidden
// <text class="hover-data"> of JSON into its SVG, positions already in the SVG's own units (its viewBox).
// On the first pointer entry this script fetches the image again (from the browser cache), reads that JSON,
// and from then on maps the cursor to the cell, bar or point under it and shows the text in a tooltip.
// Nothing is fetched before a reader points at a figure, so page weight is unchanged. Listeners are
// delegated from `document`, so pages swapped in by Material's instant navigation work too; the same holds
// in the full-size view (lightbox.js).

(() => {
  const SELECTOR = ".computed-figure img, dialog.figure-lightbox img";
  const cache = new Map(); // src -> Promise<{w, h, data} | null>
  let tip = null;

  function load(src) {
    if (!cache.has(src)) {
      cache.set(src, fetch(src).then((r) => (r.ok ? r.text() : "")).then((text) => {
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        const svg = doc.documentElement;
        const node = doc.querySelector("text.hover-data");
        const vb = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
        if (!node || vb.length !== 4) return null;
        return { w: vb[2], h: vb[3], data: JSON.parse(node.textContent) };
      }).catch(() => null));
    }
    return cache.get(src);
  }

  function bisect(edges, v) { // index i with v between edges[i] and edges[i+1] (either order), or -1
    for (let i = 0; i + 1 < edges.length; i++) {
      const a = Math.min(edges[i], edges[i + 1]), b = Math.max(edges[i], edges[i + 1]);
      if (v >= a && v < b) return i;
    }
    return -1;
  }

  function hit(info, x, y, unitsPerPx) {
    const d = info.data;
    for (const g of d.grids || []) {
      const j = bisect(g.x, x), i = bisect(g.y, y);
      if (i >= 0 && j >= 0 && g.v[i] && g.v[i][j] !== undefined && g.v[i][j] !== "") {
        return g.fmt.replace("{row}", g.rows[i] ?? "").replace("{col}", g.cols[j] ?? "").replace("{v}", g.v[i][j]);
      }
    }
    let best = null, bestD = 8 * unitsPerPx; // points: the nearest within 8 CSS px
    for (const [px, py, label] of d.points || []) {
      const dist = Math.hypot(px - x, py - y);
      if (dist < bestD) { bestD = dist; best = label; }
    }
    if (best !== null) return best;
    const pad = 2 * unitsPerPx; // thin bars stay easy to hit
    for (const [x0, y0, x1, y1, label] of d.rects || []) {
      if (x >= x0 - pad && x <= x1 + pad && y >= y0 - pad && y <= y1 + pad) return label;
    }
    return null;
  }

  function tooltip() {
    if (tip && document.body.contains(tip)) return tip;
    tip = document.createElement("div");
    tip.className = "figure-hover";
    tip.setAttribute("role", "status");
    tip.hidden = true;
    (document.querySelector("dialog.figure-lightbox[open]") || document.body).appendChild(tip);
    return tip;
  }

  function hide() { if (tip) tip.hidden = true; }

  async function move(img, e) {
    const src = img.currentSrc || img.src;
    if (!src || !src.split("#")[0].endsWith(".svg")) return;
    const info = await load(src.split("#")[0]);
    if (!info) return;
    if (img.title) { img.dataset.title = img.title; img.removeAttribute("title"); } // no native tooltip on top
    const r = img.getBoundingClientRect();
    if (!r.width) return;
    const scale = info.w / r.width;
    const text = hit(info, (e.clientX - r.left) * scale, (e.clientY - r.top) * (info.h / r.height), scale);
    const t = tooltip();
    const dialog = img.closest("dialog");
    if (dialog && t.parentNode !== dialog) dialog.appendChild(t);
    if (!dialog && t.parentNode !== document.body) document.body.appendChild(t);
    if (!text) { t.hidden = true; return; }
    t.textContent = text;
    t.hidden = false;
    const w = t.offsetWidth, h = t.offsetHeight;
    let left = e.clientX + 14, top = e.clientY + 16;
    if (left + w > window.innerWidth - 4) left = e.clientX - w - 10;
    if (top + h > window.innerHeight - 4) top = e.clientY - h - 10;
    t.style.left = `${Math.max(4, left)}px`;
    t.style.top = `${Math.max(4, top)}px`;
  }

  document.addEventListener("pointermove", (e) => {
    const img = e.target.closest?.(SELECTOR);
    if (img) move(img, e); else hide();
  }, { passive: true });
  document.addEventListener("pointerleave", hide);
  document.addEventListener("scroll", hide, { passive: true, capture: true });
  document.addEventListener("close", hide, true); // the lightbox closed
})();
