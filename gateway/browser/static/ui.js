// Small DOM helpers: elements are built with text nodes only (never innerHTML), so a key or a
// user name can never become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function size(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

export function when(iso) {
  if (!iso) return "";
  const date = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  return date.toLocaleString();
}

// A status line read out by screen readers (aria-live)
export function notice(text, kind = "info") {
  const region = document.getElementById("notice");
  if (!region) return;
  region.className = `notice ${kind}`;
  region.textContent = text;
}

export function errorBox(err) {
  if (err && err.unavailable) {
    return h(
      "div",
      { class: "unavailable", role: "status" },
      h("strong", {}, "Not available yet"),
      " — this gateway does not serve this page's API yet.",
    );
  }
  return h("div", { class: "error", role: "alert" }, `${err.name || "Error"}: ${err.message}`);
}

// A table whose cells carry their column's name (data-label), so that on a phone each row is
// shown as a card of "name: value" lines instead of columns too narrow to read.
export function table(caption, headers, rows) {
  for (const row of rows) {
    [...row.children].forEach((cell, i) => {
      if (headers[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", headers[i]);
    });
  }
  return h(
    "table",
    { class: "cards" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, "Nothing here yet."))),
  );
}

export function field(label, input) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

export function progressBar(label) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": label });
  const text = h("span", { class: "pct" }, "0 %");
  return {
    el: h("div", { class: "progress" }, bar, text),
    set(percent, extra = "") {
      bar.value = percent;
      text.textContent = `${Math.floor(percent)} %${extra ? ` ${extra}` : ""}`;
    },
  };
}
