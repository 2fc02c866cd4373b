// The live softmax of the landing page (book/intro.md): plain JavaScript, no kernel, no network.
// The reader changes logits z, a temperature T and the true class y; the page shows
// p = softmax(z / T), the cross-entropy l = -log p_y and its gradient p - e_y with respect to the
// scaled logits z / T. Computed the stable way (chapter 1): shift by the largest scaled logit,
// so exp never overflows and logits of 1000 and -1000 give 1 and 0, not NaN.
(function () {
  "use strict";

  function softmaxCrossEntropy(logits, temperature, target) {
    const scaled = logits.map((z) => z / temperature);
    const zMax = Math.max(...scaled);
    const shifted = scaled.map((s) => s - zMax); // every exponent <= 0
    const exps = shifted.map(Math.exp); // every exponential in (0, 1]
    const sum = exps.reduce((a, b) => a + b, 0); // >= 1: its log is finite
    const logSumExp = zMax + Math.log(sum);
    const probs = exps.map((e) => e / sum);
    const loss = logSumExp - scaled[target]; // -log p_y = logsumexp(z/T) - z_y/T
    const grad = probs.map((p, j) => p - (j === target ? 1 : 0));
    return { probs, loss, grad, logSumExp };
  }
  window.liveSoftmax = softmaxCrossEntropy; // for the browser test and the curious reader

  function fmt(x) {
    if (!Number.isFinite(x)) return String(x);
    const text = x.toFixed(4);
    return /^-0\.0+$/.test(text) ? text.slice(1) : text;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function build(root) {
    const initial = (root.dataset.logits || "2,1,0.1,-1").split(",").map(Number);
    const names = (root.dataset.classes || "cat,dog,bird,fish").split(",");
    const C = initial.length;
    const form = el("div", { class: "ls-controls" });
    const table = el("table", { class: "ls-table" });
    const head = el("tr");
    ["class j", "logit z_j", "", "p_j", "p_j − (e_y)_j"].forEach((h) => head.append(el("th", {}, h)));
    const thead = el("thead");
    thead.append(head);
    table.append(thead);
    const tbody = el("tbody");
    const rows = [];
    for (let j = 0; j < C; j++) {
      const tr = el("tr");
      const number = el("input", {
        type: "number", step: "0.1", value: String(initial[j]), "data-role": "logit",
        "data-index": String(j), "aria-label": `logit of class ${j} (${names[j] || j})`,
      });
      const slider = el("input", {
        type: "range", min: "-10", max: "10", step: "0.1", value: String(initial[j]),
        "data-role": "logit-slider", "data-index": String(j), "aria-label": `slider for logit ${j}`,
      });
      const bar = el("span", { class: "ls-bar" });
      const prob = el("span", { "data-role": "prob", "data-index": String(j) });
      const grad = el("td", { "data-role": "grad", "data-index": String(j) });
      const barCell = el("td", { class: "ls-prob" });
      barCell.append(bar, prob);
      const zCell = el("td");
      zCell.append(number);
      const sCell = el("td", { class: "ls-slider" });
      sCell.append(slider);
      tr.append(el("td", {}, `${j} ${names[j] || ""}`), zCell, sCell, barCell, grad);
      tbody.append(tr);
      rows.push({ number, slider, bar, prob, grad, tr });
      slider.addEventListener("input", () => { number.value = slider.value; update(); });
      number.addEventListener("input", () => { slider.value = number.value; update(); });
    }
    table.append(tbody);

    const temperature = el("input", {
      type: "number", min: "0.05", step: "0.05", value: "1", "data-role": "temperature",
      "aria-label": "temperature T",
    });
    const target = el("select", { "data-role": "target", "aria-label": "true class y" });
    for (let j = 0; j < C; j++) target.append(el("option", { value: String(j) }, `${j} ${names[j] || ""}`));
    const tLabel = el("label", {}, "temperature T ");
    tLabel.append(temperature);
    const yLabel = el("label", {}, "true class y ");
    yLabel.append(target);
    form.append(tLabel, yLabel);

    const result = el("p", { class: "ls-result" });
    const loss = el("strong", { "data-role": "loss" });
    const lse = el("span", { "data-role": "logsumexp" });
    const message = el("span", { "data-role": "message", class: "ls-message" });
    result.append("cross-entropy ℓ = −log p_y = ", loss, "   (logsumexp(z/T) = ", lse, ")", message);
    root.replaceChildren(form, el("div", { class: "ls-scroll" }), result);
    root.querySelector(".ls-scroll").append(table);

    function update() {
      const logits = rows.map((r) => Number(r.number.value));
      const T = Number(temperature.value);
      const y = Number(target.value);
      message.textContent = "";
      if (!logits.every(Number.isFinite) || !(T > 0) || !Number.isFinite(T)) {
        message.textContent = "  Enter finite logits and a temperature above 0.";
        return;
      }
      const out = softmaxCrossEntropy(logits, T, y);
      rows.forEach((r, j) => {
        r.prob.textContent = fmt(out.probs[j]);
        r.bar.style.width = `${(100 * out.probs[j]).toFixed(1)}%`;
        r.grad.textContent = fmt(out.grad[j]);
        r.tr.classList.toggle("ls-target", j === y);
      });
      loss.textContent = fmt(out.loss);
      lse.textContent = fmt(out.logSumExp);
    }
    temperature.addEventListener("input", update);
    target.addEventListener("change", update);
    update();
  }

  function init() {
    document.querySelectorAll(".live-softmax").forEach(build);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
