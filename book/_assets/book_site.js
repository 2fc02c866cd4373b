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
