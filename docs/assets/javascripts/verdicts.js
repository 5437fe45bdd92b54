// Verdict chips (scripts/engine/shortcodes.py `verdict_chip`): the outcome is a button that opens the verdict's
// details — claim, statistic, interval, rule, seeds, variants, provenance — under the line. Click, tap, Enter
// or Space opens and closes it; Escape closes it and returns focus to the button; opening one closes the
// others. Listeners are delegated from `document`, so pages swapped in by Material's instant navigation work.

(() => {
  function toggle(button, open) {
    const details = button.parentElement.querySelector(".verdict-details");
    if (!details) return;
    details.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  }

  function closeAll(except) {
    document.querySelectorAll(".verdict-chip .verdict-outcome[aria-expanded='true']").forEach((b) => {
      if (b !== except) toggle(b, false);
    });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".verdict-chip button.verdict-outcome");
    if (button) {
      const open = button.getAttribute("aria-expanded") !== "true";
      closeAll(button);
      toggle(button, open);
      return;
    }
    if (!event.target.closest(".verdict-details")) closeAll(null);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = document.querySelector(".verdict-chip .verdict-outcome[aria-expanded='true']");
    if (open) {
      closeAll(null);
      open.focus();
    }
  });
})();
