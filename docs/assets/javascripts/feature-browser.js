// Feature browser: Towards Monosemanticity's interface for reading a sparse autoencoder, on our autoencoders
// (scripts/figures/sae_browser.py). One feature at a time: how often it fires, the histogram of its activations,
// its strongest contexts with each token shaded by the feature's activation there, and the tokens its decoder
// direction promotes and suppresses through the unembedding.
//
// Data: an index loaded with the page (vocab; per dictionary size, columns count/token/share/up over its
// features; tokens, shard_size, first_shard, start) and shards fetched on demand: shard i is the widget's data
// URL with `.data.json` replaced by `.shard-<iii>.data.json` (paths.shard_name), a list of shard_size features
// {max, hist, ctx: [{w, at, t, a}], up, down} (a: activation as % of the feature's max; at: the top token).
//
// Controls: dictionary select; feature number (native number input: ↑/↓, typing), ‹ › buttons; search by token
// (features whose strongest activations fall mostly on it, then features promoting it most). A link to
// `#feature-<size>-<n>` anywhere on the page opens that feature and scrolls to the browser; browsing updates the
// address the same way, so a feature can be shared. Tokens of a context answer hover, tap and focus in a
// readout line. Colours follow Material's palette variables, so dark mode needs nothing. Registers itself with
// widgets.js (loaded before it).

(function () {
  const fmt = (x) => x.toLocaleString("en-US");
  const pct = (x) => (x >= 0.001 ? `${(100 * x).toFixed(2)} %` : x > 0 ? `${(100 * x).toPrecision(2)} %` : "0 %");
  // A token with its whitespace drawn (␣ space, ↵ newline, ⇥ tab; runs of spaces counted), for chips and labels.
  const visible = (tok) => tok.replace(/\n/g, "↵").replace(/\t/g, "⇥")
    .replace(/ {2,}/g, (run) => `␣×${run.length}`).replace(/ /g, "␣");
  // A token inside running text: newlines drawn, a run of spaces (code's indentation) as one; the readout under
  // the contexts shows the token exactly.
  const inline = (tok) => tok.replace(/\n/g, "↵").replace(/\t/g, "⇥").replace(/ {2,}/g, " ");
  const HASH = /^#feature-(\d+)-(\d+)$/;

  function renderFeatureBrowser(el, data) {
    const src = el.dataset.src;
    const vocab = data.vocab;
    const sizes = data.sizes.map(Number);
    const shards = new Map(); // shard index -> Promise of its features
    const state = { size: data.start.size, feature: data.start.feature, query: "" };
    const uid = `fb-${Math.random().toString(36).slice(2, 8)}`;

    el.classList.add("feature-browser");
    el.innerHTML = "";
    const sizeSelect = h("select", { class: "fb-size", "aria-label": "Dictionary" },
      ...sizes.map((s) => h("option", { value: String(s) }, `${fmt(s)} features`)));
    const prev = h("button", { type: "button", class: "fb-step", "aria-label": "Previous feature", title: "Previous feature" }, "‹");
    const next = h("button", { type: "button", class: "fb-step", "aria-label": "Next feature", title: "Next feature" }, "›");
    const number = h("input", { type: "number", class: "fb-num", min: "0", step: "1", inputMode: "numeric",
      id: `${uid}-num`, "aria-label": "Feature number" });
    const search = h("input", { type: "search", class: "fb-search", id: `${uid}-q`, placeholder: "Search a token, e.g. self",
      autocomplete: "off", spellcheck: false, "aria-label": "Search features by token" });
    const results = h("div", { class: "fb-results", "aria-live": "polite" });
    const body = h("div", { class: "fb-body", "aria-live": "polite" });
    el.append(
      h("div", { class: "fb-header" },
        h("div", { class: "fb-controls" },
          sizeSelect,
          h("span", { class: "fb-pick" }, prev, h("label", { htmlFor: `${uid}-num`, class: "fb-label" }, "Feature"), number, next),
          search),
        results),
      body);

    const index = () => data.features[String(state.size)];
    const shardOf = (size, j) => data.first_shard[String(size)] + Math.floor(j / data.shard_size);
    const loadShard = (i) => {
      if (!shards.has(i)) {
        const url = src.replace(/\.data\.json$/, `.shard-${String(i).padStart(3, "0")}.data.json`);
        shards.set(i, fetch(url).then((r) => {
          if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
          return r.json();
        }).catch((err) => { shards.delete(i); throw err; }));
      }
      return shards.get(i);
    };

    // Material's navigation.tracking rewrites the address to the section in view 250 ms after a scroll ends, so
    // after a scroll this widget makes, the feature's address is written back once the scrolling has settled
    // (400 ms after the last scroll event), if the widget is still on screen.
    let settle;
    const keepAddress = () => {
      const restore = () => {
        clearTimeout(settle);
        settle = setTimeout(() => {
          window.removeEventListener("scroll", restore);
          const r = el.getBoundingClientRect();
          if (r.bottom > 0 && r.top < window.innerHeight) {
            history.replaceState(history.state, "", `#feature-${state.size}-${state.feature}`);
          }
        }, 400);
      };
      window.addEventListener("scroll", restore, { passive: true });
      restore();
    };

    function open(size, j, { scroll = false, address = true } = {}) {
      const n = sizes.includes(size) ? size : state.size;
      state.size = n;
      state.feature = Math.min(Math.max(0, j | 0), n - 1);
      sizeSelect.value = String(n);
      number.max = String(n - 1);
      number.value = String(state.feature);
      prev.disabled = state.feature === 0;
      next.disabled = state.feature === n - 1;
      if (address) history.replaceState(history.state, "", `#feature-${n}-${state.feature}`);
      if (scroll) {
        el.scrollIntoView({ block: "start" });
        keepAddress();
      }
      const want = `${n}/${state.feature}`;
      body.dataset.feature = want;
      body.setAttribute("aria-busy", "true");
      loadShard(shardOf(n, state.feature)).then((features) => {
        if (body.dataset.feature !== want) return; // the reader moved on meanwhile
        drawFeature(features[state.feature % data.shard_size]);
        body.removeAttribute("aria-busy");
      }).catch((err) => {
        body.textContent = `This feature's data could not load (${err.message}).`;
        body.removeAttribute("aria-busy");
      });
    }

    function drawFeature(f) {
      const ix = index();
      const j = state.feature;
      const count = ix.count[j];
      const share = ix.share[j];
      const title = h("p", { class: "fb-title" }, `Feature ${fmt(j)}`, h("span", { class: "fb-of" }, ` of ${fmt(state.size)}`));
      const stats = h("p", { class: "fb-stats" });
      if (count === 0) {
        stats.append(`Never fires on the ${fmt(data.tokens)} held-out tokens: a dead feature. Its decoder direction still has the effects below.`);
      } else {
        stats.append(`Fires on ${pct(count / data.tokens)} of held-out tokens (${fmt(count)} of ${fmt(data.tokens)}); strongest activation ${f.max}.`);
        if (share >= 0) {
          stats.append(" Its strongest activations fall on ", chip(ix.token[j]), ` ${share} % of the time.`);
        }
      }
      const parts = [title, stats];
      if (count > 0) parts.push(h("div", { class: "fb-cols" }, histogram(f), effects(f)), contexts(f));
      else parts.push(effects(f));
      body.replaceChildren(...parts);
    }

    function chip(t, value) {
      const c = h("span", { class: "fb-chip" }, h("code", {}, visible(vocab[t])));
      if (value !== undefined) c.append(h("span", { class: "fb-val" }, `${value > 0 ? "+" : ""}${value.toFixed(2)}`));
      return c;
    }

    function effects(f) {
      const list = (rows) => h("ul", { class: "fb-chips" }, ...rows.map(([t, v]) => h("li", {}, chip(t, v))));
      return h("section", { class: "fb-effects" },
        h("p", { class: "fb-h" }, "Promotes"), list(f.up),
        h("p", { class: "fb-h" }, "Suppresses"), list(f.down),
        h("p", { class: "fb-note" }, "Direct effect on the logits per unit of activation, before the final LayerNorm's scale."));
    }

    function histogram(f) {
      const s = svg; // widgets.js
      const bins = f.hist.length;
      const top = Math.log10(1 + Math.max(...f.hist));
      const W = 240, H = 76, base = 74;
      const chart = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "fb-hist-svg", role: "img",
        "aria-label": `Histogram of the feature's activations from 0 to ${f.max}, counts on a log scale` });
      const bw = (W - 8) / bins;
      f.hist.forEach((c, i) => {
        const hgt = c ? Math.max(1.5, (Math.log10(1 + c) / top) * (base - 6)) : 0;
        const lo = (f.max * i) / bins, hi = (f.max * (i + 1)) / bins;
        const r = s("rect", { x: 4 + i * bw + 0.5, y: base - hgt, width: bw - 1, height: hgt, class: "fb-bar" });
        r.append(s("title", {}, `${lo.toFixed(2)}–${hi.toFixed(2)}: ${fmt(c)} tokens`));
        chart.append(r);
      });
      chart.append(s("line", { x1: 4, x2: W - 4, y1: base + 0.5, y2: base + 0.5, class: "fb-axis" }));
      // the axis labels are HTML under the chart, so they keep the page's text size on any screen
      return h("section", { class: "fb-hist" }, h("p", { class: "fb-h" }, "Activations (counts on a log scale)"), chart,
        h("div", { class: "fb-ticks" }, h("span", {}, "0"), h("span", {}, `activation ${f.max}`)));
    }

    function contexts(f) {
      const readout = h("p", { class: "fb-readout" }, "Point at, tap or focus a token to read its activation.");
      const show = (t, a) => {
        readout.replaceChildren(chip(t), ` activation ${((a / 100) * f.max).toFixed(2)} (${a} % of its strongest)`);
      };
      const items = f.ctx.map((c) => {
        const line = h("p", { class: "fb-ctx" });
        c.t.forEach((t, i) => {
          const a = c.a[i];
          const tok = h("span", { class: `fb-tok${i === c.at ? " fb-top" : ""}${a > 55 ? " fb-strong" : ""}` }, inline(vocab[t]));
          tok.style.setProperty("--fb-a", `${a}%`);
          tok.addEventListener("pointerenter", () => show(t, a));
          tok.addEventListener("click", () => show(t, a));
          if (i === c.at) {
            tok.tabIndex = 0;
            tok.addEventListener("focus", () => show(t, a));
          }
          line.append(tok);
        });
        return h("li", {}, line);
      });
      return h("section", { class: "fb-contexts" },
        h("p", { class: "fb-h" }, `Strongest contexts, one per passage (${f.ctx.length})`),
        h("ol", { class: "fb-ctx-list" }, ...items), readout);
    }

    function runSearch() {
      const q = search.value;
      state.query = q;
      if (!q.trim()) { results.replaceChildren(); return; }
      const want = q.trim().toLowerCase();
      let ids = vocab.flatMap((tok, t) => (tok.trim().toLowerCase() === want ? [t] : []));
      if (!ids.length) ids = vocab.flatMap((tok, t) => (tok.trim() && tok.toLowerCase().includes(want) ? [t] : []));
      const match = new Set(ids);
      const ix = index();
      const fires = [], promotes = [];
      ix.token.forEach((t, j) => { if (match.has(t) && ix.count[j] > 0) fires.push(j); });
      ix.up.forEach((t, j) => { if (match.has(t)) promotes.push(j); });
      fires.sort((a, b) => ix.share[b] - ix.share[a] || ix.count[b] - ix.count[a]);
      const button = (j, label) => {
        const b = h("button", { type: "button", class: "fb-hit" }, `${fmt(j)}`, h("span", { class: "fb-hit-why" }, label));
        b.addEventListener("click", () => open(state.size, j));
        return b;
      };
      const LIMIT = 24;
      const groups = [];
      if (fires.length) {
        groups.push(h("p", { class: "fb-h" }, `Fire mostly on ${ids.length === 1 ? "it" : "one of them"} (${fires.length}):`),
          h("div", { class: "fb-hits" }, ...fires.slice(0, LIMIT).map((j) => button(j, ` ${visible(vocab[ix.token[j]])} ${ix.share[j]} %`))));
      }
      if (promotes.length) {
        groups.push(h("p", { class: "fb-h" }, `Promote it most (${promotes.length}):`),
          h("div", { class: "fb-hits" }, ...promotes.slice(0, LIMIT).map((j) => button(j, ` → ${visible(vocab[ix.up[j]])}`))));
      }
      const head = ids.length
        ? `${ids.length === 1 ? "Token" : `${ids.length} tokens`} ${ids.slice(0, 6).map((t) => `“${visible(vocab[t])}”`).join(", ")}${ids.length > 6 ? "…" : ""} in the ${fmt(state.size)}-feature dictionary: `
        : `No token matches “${q.trim()}”.`;
      if (ids.length && !groups.length) groups.push(h("span", {}, "no feature fires mostly on it or promotes it most."));
      results.replaceChildren(h("p", { class: "fb-found" }, head), ...groups);
    }

    const lastOf = {}; // the feature last open in each dictionary, to come back to it
    sizeSelect.addEventListener("change", () => {
      lastOf[state.size] = state.feature;
      const size = Number(sizeSelect.value);
      open(size, lastOf[size] ?? Math.min(state.feature, size - 1));
      if (state.query) runSearch();
    });
    number.addEventListener("change", () => open(state.size, Number(number.value)));
    prev.addEventListener("click", () => open(state.size, state.feature - 1));
    next.addEventListener("click", () => open(state.size, state.feature + 1));
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(runSearch, 120); });
    el.addEventListener("keydown", (e) => {
      if (e.target.matches("input, select") || e.altKey || e.ctrlKey || e.metaKey) return;
      const to = { ArrowLeft: state.feature - 1, ArrowRight: state.feature + 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      open(state.size, to);
    });
    const fromHash = (scroll) => {
      const m = el.isConnected && HASH.exec(location.hash);
      if (m) open(Number(m[1]), Number(m[2]), { scroll, address: false });
      return Boolean(m);
    };
    window.addEventListener("hashchange", () => fromHash(true));
    // Material's instant navigation keeps the page's links in the page: a click on a link to a feature is
    // handled here too (the hash may already be that one, so no hashchange would fire).
    // (Material rewrites in-page links to absolute URLs: compare the link's path and fragment, not its text.)
    document.addEventListener("click", (e) => {
      const a = e.target.closest && e.target.closest('a[href*="#feature-"]');
      if (!a || !el.isConnected || a.pathname !== location.pathname) return;
      const m = HASH.exec(a.hash);
      if (!m) return;
      e.preventDefault();
      open(Number(m[1]), Number(m[2]), { scroll: true });
    });
    if (!fromHash(true)) open(state.size, state.feature, { address: false });
  }

  widgets["feature-browser"] = renderFeatureBrowser;
  if (typeof initWidgets === "function") initWidgets();
})();
