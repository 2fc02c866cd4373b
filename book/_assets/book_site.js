// Search results show a snippet of each page's text (Sphinx's searchtools.js). The page's math is
// TeX until MathJax runs, so the snippets showed raw TeX ("\operatorname{softmax}(z)"): the math is
// replaced by an ellipsis before Sphinx extracts the text.
document.addEventListener("DOMContentLoaded", () => {
  // searchtools.js declares `const Search`: a global binding, not a property of window.
  if (typeof Search !== "object" || typeof Search.htmlToText !== "function") return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".math, mjx-container, script[type^='math']").forEach((el) => {
      el.replaceWith(doc.createTextNode(" … "));
    });
    return htmlToText(doc.documentElement.outerHTML, anchor);
  };
});

// MathJax 3 does not break inline formulas across lines: on a phone, a formula wider than its
// paragraph gets its own scrolling box (class math-wide, in book_site.css) instead of widening
// the page.
(() => {
  const markWide = () => {
    document.querySelectorAll("mjx-container:not([display='true'])").forEach((math) => {
      math.classList.remove("math-wide");
      const block = math.parentElement && math.parentElement.closest("p, li, dd, dt, td, th, div");
      const right = Math.min(
        block ? block.getBoundingClientRect().right : Infinity,
        document.documentElement.clientWidth,
      );
      if (math.getBoundingClientRect().right > right + 1) {
        math.classList.add("math-wide");
      }
    });
  };
  const start = () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(markWide);
      window.addEventListener("resize", markWide);
    }
  };
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();

// Figures fit the column, which on a phone makes small print in them (axis labels, the digit
// captions of chapter 5) hard to read: a tap shows the figure at its full size, scrolling inside
// its own box; another tap fits it again.
document.addEventListener("click", (event) => {
  const image = event.target.closest("article figure img, article div.cell_output img");
  if (image) image.classList.toggle("zoomed");
});
