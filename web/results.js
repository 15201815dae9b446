// What the page shows: the predictions, or the API's error next to the review it names;
// and the served model's card, whose code lives in model_card.js.
export { renderModelCard, renderModelCardError } from "./model_card.js";

export function clearError(errorBox) {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

// `boxes` are the review boxes, to mark the one an error names.
export function showError(errorBox, error, status, boxes) {
  errorBox.textContent = "";
  const title = document.createElement("strong");
  title.textContent = status ? "Request failed (HTTP " + status + ")" : "Cannot send";
  const message = document.createElement("p");
  message.textContent = error.message;
  errorBox.append(title, message);
  if (error.code || error.requestId) {
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = [error.code ? "Code: " + error.code : "", error.requestId ? "Request id: " + error.requestId : ""]
      .filter(Boolean).join(" · ");
    errorBox.append(meta);
  }
  errorBox.hidden = false;
  // Point at the offending box when the API names one: "reviews[2] is empty." from
  // the API itself, "review 2 has no text" when the model refused it.
  const match = /reviews\[(\d+)\]|\breview (\d+)\b/.exec(error.message || "");
  if (match) {
    const box = boxes[Number(match[1] || match[2])];
    if (box) box.setAttribute("aria-invalid", "true");
  }
}

export function showNoResults(results) {
  results.textContent = "";
  const empty = document.createElement("p");
  empty.className = "hint";
  empty.textContent = "No predictions yet.";
  results.append(empty);
}

function excerpt(text) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 160 ? flat.slice(0, 157) + "…" : flat;
}

function flag(kind, text, title) {
  const span = document.createElement("span");
  span.className = "flag flag-" + kind;
  span.textContent = text;
  if (title) span.title = title;
  return span;
}

// A review the backend could not analyse (Comprehend's per-review errors).
function errorItem(prediction, review) {
  const item = document.createElement("li");
  item.className = "prediction is-error";
  const head = document.createElement("div");
  head.className = "prediction-head";
  head.append(flag("error", "Not analysed"));
  if (prediction.truncated === true) head.append(flag("truncated", "Truncated"));
  const message = document.createElement("p");
  message.className = "item-error";
  message.textContent = String(prediction.error.message || "The backend could not analyse this review.");
  const text = document.createElement("p");
  text.className = "review-text";
  text.textContent = excerpt(review);
  item.append(head, message, text);
  return item;
}

function predictionItem(prediction, index, review) {
  if (prediction.error && typeof prediction.error === "object") return errorItem(prediction, review);
  const score = Number(prediction.score);
  const percent = Math.round(score * 100);
  // Rounding 0.996 up to "100%" would claim certainty the model does not have.
  const shown = score >= 0.995 && score < 1 ? (Math.floor(score * 1000) / 10).toFixed(1) : String(percent);
  const item = document.createElement("li");
  item.className = "prediction " + (prediction.label === "positive" ? "is-positive" : "is-negative") +
    (prediction.uncertain === true ? " is-uncertain" : "");

  const head = document.createElement("div");
  head.className = "prediction-head";
  const badge = document.createElement("span");
  badge.className = "badge";
  // Words and symbols, not colour alone, carry the label.
  badge.textContent = (prediction.label === "positive" ? "▲ Positive" : "▼ Negative");
  const confidence = document.createElement("span");
  confidence.className = "confidence";
  confidence.textContent = shown + "% confident";
  const flags = document.createElement("span");
  flags.className = "flags";
  if (prediction.uncertain === true) {
    flags.append(flag("uncertain", "Uncertain", "The model is not confident enough to rely on this label."));
  }
  if (prediction.truncated === true) {
    flags.append(flag("truncated", "Truncated", "Only the first 5,000 bytes of this review were analysed."));
  }
  head.append(badge, flags, confidence);

  const bar = document.createElement("div");
  bar.className = "bar";
  bar.setAttribute("role", "meter");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-valuenow", String(percent));
  bar.setAttribute("aria-label", "Confidence for review " + (index + 1));
  const fill = document.createElement("div");
  fill.className = "bar-fill";
  fill.style.width = percent + "%";
  bar.append(fill);

  const text = document.createElement("p");
  text.className = "review-text";
  text.textContent = excerpt(review);

  item.append(head, bar, text);
  return item;
}

// "model v7 · variant AllTraffic", or "Amazon Comprehend" for that backend.
function answeredBy(data) {
  const parts = [data.backend === "comprehend" ? "Amazon Comprehend" : "model " + data.model];
  if (data.variant) parts.push("variant " + data.variant);
  return parts.join(" · ");
}

function count(predictions, test) {
  return predictions.filter(test).length;
}

export function renderPredictions(results, reviews, data) {
  results.textContent = "";
  const predictions = data.predictions;
  const answered = predictions.filter(function (p) { return !p.error; });
  const positives = count(answered, function (p) { return p.label === "positive"; });
  const uncertain = count(answered, function (p) { return p.uncertain === true; });
  const failed = predictions.length - answered.length;
  const parts = [positives + " positive", (answered.length - positives) + " negative"];
  if (uncertain) parts.push(uncertain + " uncertain");
  if (failed) parts.push(failed + " not analysed");
  const summary = document.createElement("p");
  summary.className = "summary";
  summary.textContent = predictions.length + (predictions.length === 1 ? " review: " : " reviews: ") +
    parts.join(", ") + " (" + answeredBy(data) + ").";
  results.append(summary);

  const items = document.createElement("ol");
  items.className = "prediction-list";
  predictions.forEach(function (prediction, index) {
    items.append(predictionItem(prediction, index, reviews[index]));
  });
  results.append(items);
}
