// The review boxes: add, remove, renumber, and fill from the examples.

export const EXAMPLES = [
  { title: "Enthusiastic", text: "An absolute delight from start to finish. The cast is superb, the score is gorgeous and I laughed and cried in equal measure. I will watch it again this weekend." },
  { title: "Disappointed", text: "Two hours I will never get back. The plot makes no sense, the dialogue is wooden and the ending was so lazy that half the audience walked out." },
  { title: "Mixed", text: "The first half drags and a few scenes are clumsy, but the final act is powerful and the lead performance is wonderful. Worth seeing." },
  { title: "Short and blunt", text: "Boring, predictable and far too long." },
];

// `list` is the <ol> of boxes; at most `maxReviews` of them. `onFull` hears when an
// example finds no room.
export function createReviewList(list, maxReviews, addButton, onFull) {
  let nextId = 1;

  function boxes() {
    return Array.from(list.querySelectorAll("textarea"));
  }

  function renumber() {
    boxes().forEach(function (box, index) {
      box.closest("li").querySelector("label").textContent = "Review " + (index + 1);
      box.closest("li").querySelector("button").setAttribute("aria-label", "Remove review " + (index + 1));
    });
    const count = boxes().length;
    addButton.disabled = count >= maxReviews;
    list.querySelectorAll("button.remove").forEach(function (button) { button.hidden = count <= 1; });
  }

  function add(text, focus) {
    if (boxes().length >= maxReviews) return null;
    const id = "review-" + nextId++;
    const item = document.createElement("li");
    item.className = "review-item";
    const label = document.createElement("label");
    label.htmlFor = id;
    const box = document.createElement("textarea");
    box.id = id;
    box.name = "review";
    box.rows = 3;
    box.placeholder = "Type or paste a review…";
    box.value = text || "";
    box.addEventListener("input", function () { box.removeAttribute("aria-invalid"); });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove link";
    remove.textContent = "Remove";
    remove.addEventListener("click", function () {
      item.remove();
      renumber();
      const left = boxes();
      if (left.length) left[left.length - 1].focus();
    });
    item.append(label, box, remove);
    list.append(item);
    renumber();
    if (focus) box.focus();
    return box;
  }

  function addExample(text) {
    // Fill the first empty box before adding a new one.
    const empty = boxes().find(function (box) { return box.value.trim() === ""; });
    const box = empty || add("", false);
    if (!box) {
      onFull("You already have " + maxReviews + " reviews; remove one first.");
      return;
    }
    box.value = text;
    box.removeAttribute("aria-invalid");
    box.focus();
  }

  function clear() {
    list.textContent = "";
    add("", true);
  }

  return { boxes: boxes, add: add, addExample: addExample, clear: clear };
}

export function renderExamples(container, reviews) {
  EXAMPLES.forEach(function (example) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "example";
    const title = document.createElement("strong");
    title.textContent = example.title;
    const text = document.createElement("span");
    text.textContent = example.text;
    button.append(title, text);
    button.addEventListener("click", function () { reviews.addExample(example.text); });
    container.append(button);
  });
}
