// The served model's card (GET /model): what it is, how it scored on each split, the
// test confusion matrix and where it says "uncertain". Every field is optional to this
// code: a card that lacks one simply shows less. Text goes through textContent only.

const METRICS = [
  ["accuracy", "Accuracy"],
  ["precision", "Precision"],
  ["recall", "Recall"],
  ["f1", "F1"],
  ["roc_auc", "ROC AUC"],
];

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function percent(value) {
  return (value * 100).toFixed(1) + "%";
}

function headerRow(labels) {
  const row = element("tr");
  labels.forEach(function (label) {
    const cell = element(label === "" ? "td" : "th", label);
    if (label !== "") cell.scope = "col";
    row.append(cell);
  });
  return row;
}

function metricsTable(metrics) {
  const splits = Object.keys(metrics).filter(function (split) { return isObject(metrics[split]); });
  if (!splits.length) return element("p", "No evaluation metrics are published for this model.", "hint");
  const table = element("table", undefined, "card-table metrics-table");
  table.append(element("caption", "Evaluation by split"));
  const head = element("thead");
  head.append(headerRow(["Split"].concat(METRICS.map(function (m) { return m[1]; }))));
  const body = element("tbody");
  splits.forEach(function (split) {
    const row = element("tr");
    const name = element("th", split);
    name.scope = "row";
    row.append(name);
    METRICS.forEach(function (metric) {
      const value = metrics[split][metric[0]];
      row.append(element("td", isNumber(value) ? value.toFixed(3) : "—"));
    });
    body.append(row);
  });
  table.append(head, body);
  return table;
}

// [[tn, fp], [fn, tp]] with labels ["negative", "positive"]: rows are the true label.
function confusionTable(confusion) {
  if (!isObject(confusion) || !Array.isArray(confusion.test)) return null;
  const labels = Array.isArray(confusion.labels) ? confusion.labels.map(String) : ["negative", "positive"];
  const rows = confusion.test;
  const square = rows.length === labels.length && rows.every(function (row) {
    return Array.isArray(row) && row.length === labels.length && row.every(isNumber);
  });
  if (!square) return null;
  const table = element("table", undefined, "card-table confusion-table");
  table.append(element("caption", "Test confusion matrix (rows: true label, columns: predicted)"));
  const head = element("thead");
  head.append(headerRow([""].concat(labels.map(function (label) { return "Predicted " + label; }))));
  const body = element("tbody");
  rows.forEach(function (counts, index) {
    const row = element("tr");
    const name = element("th", "Actually " + labels[index]);
    name.scope = "row";
    row.append(name);
    counts.forEach(function (value) { row.append(element("td", String(value))); });
    body.append(row);
  });
  table.append(head, body);
  return table;
}

// The threshold in force is the card's "serving" one (an endpoint may override the
// model's), else the one training chose on validation; what it kept is measured on test.
function uncertaintyText(card) {
  const uncertainty = isObject(card.uncertainty) ? card.uncertainty : {};
  if (typeof uncertainty.rule === "string") return "Uncertain: " + uncertainty.rule + ".";
  const serving = isObject(card.serving) ? card.serving : {};
  const validation = isObject(uncertainty.validation) ? uncertainty.validation : uncertainty;
  const threshold = isNumber(serving.uncertainty_threshold) ? serving.uncertainty_threshold : validation.threshold;
  if (!isNumber(threshold)) return "";
  let text = "Uncertain when the label's probability is below " + String(Math.round(threshold * 10000) / 10000);
  const test = isObject(uncertainty.test) ? uncertainty.test : {};
  if (isNumber(test.coverage) && isNumber(test.kept_accuracy)) {
    text += " (test split at the trained threshold: " + percent(test.coverage) +
      " of reviews answered with confidence, " + percent(test.kept_accuracy) + " of those right)";
  }
  return text + ".";
}

function rowsText(rows) {
  if (!isObject(rows)) return "";
  const parts = Object.keys(rows).filter(function (split) { return isNumber(rows[split]); })
    .map(function (split) { return split + " " + rows[split].toLocaleString("en-US"); });
  return parts.length ? "Data rows: " + parts.join(" · ") + "." : "";
}

export function renderModelCard(container, card) {
  container.textContent = "";
  if (!isObject(card)) throw new Error("the model card is not an object");
  const title = card.name ? String(card.name) : "Model " + String(card.model_version || "unknown");
  const facts = [];
  if (card.name && card.model_version) facts.push("version " + String(card.model_version));
  if (card.trained_at) facts.push("trained " + String(card.trained_at));
  if (card.variant) facts.push("answered by variant " + String(card.variant));
  container.append(element("p", title + (facts.length ? " — " + facts.join(", ") : "") + ".", "card-title"));
  [uncertaintyText(card), rowsText(card.data_rows)].forEach(function (text) {
    if (text) container.append(element("p", text, "hint"));
  });
  container.append(metricsTable(isObject(card.metrics) ? card.metrics : {}));
  const confusion = confusionTable(card.confusion_matrix);
  if (confusion) container.append(confusion);
}

// The card is a bonus: its failure is said here and touches nothing else on the page.
export function renderModelCardError(container, error) {
  container.textContent = "";
  const message = error && error.message ? String(error.message) : "unknown error";
  container.append(element("p", "The model card is not available: " + message, "hint card-error"));
}
