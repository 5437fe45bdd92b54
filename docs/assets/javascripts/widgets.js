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

// Hover (or tap, or focus) a token: every head's row shows where that head attends from it.
function renderAttentionExplorer(el, data) {
  el.classList.add("attention-explorer");
  el.innerHTML = "";
  const status = document.createElement("p");
  status.className = "ae-status";
  el.appendChild(status);
  const rows = [];
  data.heads.forEach((head, h) => {
    const row = document.createElement("div");
    row.className = "ae-row";
    const label = document.createElement("span");
    label.className = "ae-head";
    label.textContent = head;
    row.appendChild(label);
    const cells = data.tokens.map((tok, i) => {
      const cell = document.createElement("span");
      cell.className = "ae-tok";
      cell.textContent = tok.replace(/\n/g, "⏎").replace(/ /g, "·");
      cell.tabIndex = h === 0 ? 0 : -1;
      cell.dataset.pos = i;
      row.appendChild(cell);
      return cell;
    });
    rows.push(cells);
    el.appendChild(row);
  });
  const select = (dest) => {
    rows.forEach((cells, h) => {
      const weights = data.patterns[h][dest];
      cells.forEach((cell, src) => {
        const w = src <= dest ? weights[src] : 0;
        cell.style.setProperty("--ae-w", `${Math.round(100 * w)}%`);
        cell.dataset.weight = w.toFixed(3);
        cell.classList.toggle("ae-dest", src === dest);
      });
    });
    const tok = JSON.stringify(data.tokens[dest]);
    status.textContent = `Attention from token ${dest} (${tok}) in each head of ${data.model}. Hover or tap another token.`;
  };
  el.addEventListener("pointerover", (e) => e.target.dataset.pos && select(+e.target.dataset.pos));
  el.addEventListener("focusin", (e) => e.target.dataset.pos && select(+e.target.dataset.pos));
  select(data.tokens.length - 1);
}

if (typeof document$ !== "undefined") {
  document$.subscribe(initWidgets);
} else {
  document.addEventListener("DOMContentLoaded", initWidgets);
}
