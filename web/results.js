// What the page shows: the predictions, or the API's error next to the review it names.

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

function predictionItem(prediction, index, review) {
  const score = Number(prediction.score);
  const percent = Math.round(score * 100);
  // Rounding 0.996 up to "100%" would claim certainty the model does not have.
  const shown = score >= 0.995 && score < 1 ? (Math.floor(score * 1000) / 10).toFixed(1) : String(percent);
  const item = document.createElement("li");
  item.className = "prediction " + (prediction.label === "positive" ? "is-positive" : "is-negative");

  const head = document.createElement("div");
  head.className = "prediction-head";
  const badge = document.createElement("span");
  badge.className = "badge";
  // Words and symbols, not colour alone, carry the label.
  badge.textContent = (prediction.label === "positive" ? "▲ Positive" : "▼ Negative");
  const confidence = document.createElement("span");
  confidence.className = "confidence";
  confidence.textContent = shown + "% confident";
  head.append(badge, confidence);

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

export function renderPredictions(results, reviews, data) {
  results.textContent = "";
  const summary = document.createElement("p");
  summary.className = "summary";
  const positives = data.predictions.filter(function (p) { return p.label === "positive"; }).length;
  summary.textContent = data.predictions.length + (data.predictions.length === 1 ? " review: " : " reviews: ") +
    positives + " positive, " + (data.predictions.length - positives) + " negative (model " + data.model + ").";
  results.append(summary);

  const items = document.createElement("ol");
  items.className = "prediction-list";
  data.predictions.forEach(function (prediction, index) {
    items.append(predictionItem(prediction, index, reviews[index]));
  });
  results.append(items);
}
