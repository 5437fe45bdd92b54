// MathJax 3 for pymdownx.arithmatex (generic mode), served from this site (assets/mathjax), no CDN.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|jp-MarkdownOutput",
  },
  svg: { fontCache: "global" },
};

// Material's instant navigation swaps pages without a reload: typeset each new page.
document$.subscribe(() => {
  if (!window.MathJax.typesetPromise) return; // first load: MathJax typesets on its own
  MathJax.startup.output.clearCache();
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
