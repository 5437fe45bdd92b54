// MathJax 3 for pymdownx.arithmatex (generic mode), served from this site (assets/mathjax), no CDN.
window.MathJax = {
  tex: {
    // \( \) and \[ \] come from arithmatex on Markdown pages; $ and $$ from notebook Markdown cells.
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    // Skip every element with a class unless it is math; unclassed children inherit their parent's choice
    // (".*|" would also match an empty class and skip the <p> inside a notebook's Markdown cell).
    ignoreHtmlClass: ".+",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|jp-MarkdownOutput",
  },
  svg: { fontCache: "global" },
};

// Material's instant navigation swaps pages without a reload: typeset each new page.
document$.subscribe(() => {
  if (!window.MathJax.typesetPromise) return; // first load: MathJax typesets on its own
  const output = MathJax.startup.output;
  if (output.clearFontCache) output.clearFontCache(); // SVG output's cache of glyph paths
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
