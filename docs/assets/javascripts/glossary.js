// Cards for glossary terms and for heads (scripts/engine/glossary.py and the head() shortcode write <span class="gloss" tabindex="0"> with its
// card inside). CSS shows a card while its term is hovered or holds focus, so the keyboard (Tab, Escape to close)
// and touch (a tap focuses the term; a tap elsewhere takes the focus away) work without state here. This file
// keeps an open card inside the viewport and lets a tap or Escape close it. No layout shift: the card is
// positioned absolutely.

(function () {
  const MARGIN = 8;
  // A head card's pattern (shortcode head()): tenths of attention, row after row, drawn in the accent colour.
  function drawThumb(canvas) {
    const digits = canvas.dataset.thumb || "";
    const n = Math.round(Math.sqrt(digits.length));
    if (!n || canvas.dataset.drawn) return;
    const ctx = canvas.getContext("2d");
    const cell = canvas.width / n;
    const ink = getComputedStyle(canvas).color || "#e65100";
    ctx.fillStyle = ink;
    for (let i = 0; i < n * n; i++) {
      const v = Number(digits[i]) / 9;
      if (!v) continue;
      ctx.globalAlpha = v;
      ctx.fillRect((i % n) * cell, Math.floor(i / n) * cell, cell, cell);
    }
    canvas.dataset.drawn = "yes";
  }

  function place(term) {
    const card = term.querySelector(".gloss-card");
    if (!card || getComputedStyle(card).display === "none") return; // not shown (yet): nothing to place
    card.querySelectorAll("canvas.head-thumb").forEach(drawThumb);
    card.style.left = "0px";
    const r = card.getBoundingClientRect(); // read at once: the style above applies on this read
    const width = document.documentElement.clientWidth;
    let shift = 0;
    if (r.right > width - MARGIN) shift = width - MARGIN - r.right;
    if (r.left + shift < MARGIN) shift = MARGIN - r.left;
    card.style.left = `${shift}px`;
  }
  const termOf = (node) => (node && node.closest ? node.closest(".gloss") : null);
  document.addEventListener("mouseover", (e) => { const t = termOf(e.target); if (t) place(t); });
  document.addEventListener("focusin", (e) => { const t = termOf(e.target); if (t) place(t); });
  document.addEventListener("click", (e) => {
    const t = termOf(e.target);
    if (t && !e.target.closest("a")) { t.focus(); place(t); } // a tap opens it (Safari does not focus spans on tap)
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && termOf(document.activeElement)) document.activeElement.blur();
  });
})();
