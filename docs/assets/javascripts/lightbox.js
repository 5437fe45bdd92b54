// Tap or click a computed figure to see it full size. No library, no CDN.
//
// Figures are drawn so their text is >= 11 px at the content column's width (688 px); below 600 px the page
// serves each figure's phone rendering (a <picture> source, >= 9 px inline in a 358 px column), and a tap
// opens whichever rendering is shown (currentSrc) at its natural size or larger (scroll to pan), >= 11 px. One <dialog> per page; Esc, the close button, a click
// on the backdrop or on the enlarged image close it. Listeners are delegated from `document`, so figures
// that Material's instant navigation swaps in work without re-initialisation; `document$` (Material's
// page observable) only marks the new images as keyboard-focusable buttons.

(() => {
  const SELECTOR = ".computed-figure img";
  let dialog = null;

  function ensureDialog() {
    if (dialog && document.body.contains(dialog)) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "figure-lightbox";
    dialog.setAttribute("aria-label", "Figure, full size");
    dialog.innerHTML =
      '<button type="button" class="figure-lightbox__close" aria-label="Close (Esc)">×</button>' +
      '<div class="figure-lightbox__scroll"><img alt=""></div>' +
      '<p class="figure-lightbox__caption"></p>';
    dialog.addEventListener("click", (e) => {
      // the backdrop (the dialog element itself), the close button or the image: close
      if (e.target === dialog || e.target.closest(".figure-lightbox__close") || e.target.tagName === "IMG") dialog.close();
    });
    dialog.addEventListener("close", () => {
      if (dialog.open) return;  // reopened before this event arrived: keep the new image
      dialog.querySelector("img").removeAttribute("src");
      if (dialog._opener && document.body.contains(dialog._opener)) dialog._opener.focus({ preventScroll: true });
    });
    document.body.appendChild(dialog);
    return dialog;
  }

  function open(source) {
    const d = ensureDialog();
    const img = d.querySelector("img");
    // Full size: at least the figure's natural width (what it was drawn for), larger when the screen allows
    // (up to 1.6x), never smaller — a phone scrolls instead of shrinking the text. A lazy image the page has
    // not loaded yet is sized when the dialog's copy has loaded.
    const size = () => {
      const natural = img.naturalWidth;
      if (!natural) return;
      const room = window.innerWidth - 32;
      img.style.width = `${Math.round(Math.max(natural, Math.min(room, natural * 1.6)))}px`;
    };
    img.style.width = "";
    img.onload = size;
    img.alt = source.alt;
    img.src = source.currentSrc || source.src;
    if (img.complete) size();
    const caption = source.closest("figure")?.querySelector("figcaption");
    d.querySelector(".figure-lightbox__caption").textContent = caption ? caption.textContent.trim() : "";
    d._opener = source;
    d.showModal();
    d.querySelector(".figure-lightbox__close").focus({ preventScroll: true });
  }

  document.addEventListener("click", (e) => {
    const img = e.target.closest?.(SELECTOR);
    if (img) { e.preventDefault(); open(img); }
  });
  document.addEventListener("keydown", (e) => {
    const img = e.target.closest?.(SELECTOR);
    if (img && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); open(img); }
  });

  function mark() {
    document.querySelectorAll(`${SELECTOR}:not([tabindex])`).forEach((img) => {
      img.tabIndex = 0;
      img.setAttribute("role", "button");
      img.title = "Open full size";
    });
  }
  if (typeof document$ !== "undefined") document$.subscribe(mark);
  else document.addEventListener("DOMContentLoaded", mark);
})();
