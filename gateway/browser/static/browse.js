// Buckets and the folder browser: breadcrumbs, search, drag-and-drop upload with progress,
// download, delete, details (metadata and tags).
import { api, b64, follow, unb64, uploadFile } from "./api.js";
import { errorBox, field, h, notice, progressBar, size, table, when } from "./ui.js";

const enc = encodeURIComponent;

function folderHref(bucket, prefix) {
  return `#/b/${enc(bucket)}${prefix ? `/${b64(prefix)}` : ""}`;
}

export async function bucketsPage(root, _args, me) {
  const name = h("input", { name: "bucketName", required: true, pattern: "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]" });
  const form = h("form", { class: "inline", "aria-label": "Create a bucket" }, field("New bucket name", name), h("button", { type: "submit" }, "Create bucket"));
  const list = h("div");
  root.replaceChildren(h("h1", {}, "Buckets"), form, list);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/buckets", { bucketName: name.value });
      notice(`Bucket ${name.value} created.`, "ok");
      name.value = "";
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  async function load() {
    let data;
    try {
      data = await api("GET", "/api/buckets");
    } catch (err) {
      // a user with path rules only may not list buckets: offer the paths it holds
      const paths = [...(me.paths || []), ...(me.paths_write || [])];
      list.replaceChildren(
        errorBox(err),
        paths.length ? h("h2", {}, "Your paths") : null,
        h("ul", { class: "paths" }, paths.map((p) => {
          const [bucket, ...prefix] = p.split("/");
          return h("li", {}, h("a", { href: folderHref(bucket, prefix.join("/")) }, p));
        })),
      );
      return;
    }
    const rows = data.buckets.map((b) =>
      h(
        "tr",
        {},
        h("td", {}, h("a", { href: folderHref(b.Name, "") }, b.Name)),
        h("td", {}, when(b.CreationDate)),
        h("td", {}, b.Owner || ""),
        h("td", {}, h("button", { class: "danger", "aria-label": `Delete bucket ${b.Name}`, onclick: () => remove(b.Name) }, "Delete")),
      ),
    );
    list.replaceChildren(table("Your buckets", ["Name", "Created", "Owner", "Actions"], rows));
  }
  async function remove(bucket) {
    if (!confirm(`Delete bucket ${bucket}? It must be empty.`)) return;
    try {
      await api("DELETE", `/api/buckets/${enc(bucket)}`);
      notice(`Bucket ${bucket} deleted.`, "ok");
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  await load();
}

function crumbs(bucket, prefix) {
  const parts = prefix.split("/").filter(Boolean);
  const items = [h("li", {}, h("a", { href: "#/buckets" }, "Buckets")), h("li", {}, h("a", { href: folderHref(bucket, "") }, bucket))];
  parts.forEach((part, i) => {
    const path = `${parts.slice(0, i + 1).join("/")}/`;
    const last = i === parts.length - 1;
    items.push(h("li", {}, h("a", { href: folderHref(bucket, path), "aria-current": last ? "page" : null }, part)));
  });
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", {}, items));
}

export async function browserPage(root, args) {
  const bucket = args[0];
  const prefix = args[1] ? unb64(args[1]) : "";
  const rows = h("tbody");
  const more = h("button", { class: "secondary", hidden: true }, "Load more");
  const details = h("aside", { class: "details", "aria-label": "Object details", hidden: true });
  const uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const search = h("input", { type: "search", name: "q", placeholder: "Name…" });
  const mode = h("select", { name: "mode" }, h("option", { value: "startsWith" }, "starts with"), h("option", { value: "contains" }, "contains"));
  const searchForm = h("form", { class: "inline", role: "search" }, field("Search this folder", search), field("Match", mode), h("button", { type: "submit" }, "Search"));
  const picker = h("input", { type: "file", multiple: true, class: "visually-hidden", id: "file-picker" });
  const drop = h(
    "div",
    { class: "dropzone", tabindex: "0", role: "button", "aria-label": "Upload files: drop them here, or press Enter to choose" },
    "Drop files here to upload, or ",
    h("label", { for: "file-picker", class: "link" }, "choose files"),
    picker,
  );
  const folderName = h("input", { name: "folder" });
  const folderForm = h("form", { class: "inline" }, field("New folder", folderName), h("button", { type: "submit" }, "Create folder"));
  let token = null;
  let query = { q: "", mode: "startsWith" };

  root.replaceChildren(
    h("h1", {}, prefix ? prefix.split("/").filter(Boolean).pop() : bucket),
    crumbs(bucket, prefix),
    h("div", { class: "toolbar" }, searchForm, folderForm),
    drop,
    uploads,
    h("div", { class: "split" }, h("table", { class: "objects" }, h("caption", {}, `Contents of ${bucket}/${prefix}`), h("thead", {}, h("tr", {}, ["Name", "Size", "Modified", "Actions"].map((n) => h("th", { scope: "col" }, n)))), rows), details),
    more,
  );

  async function load(reset) {
    if (reset) {
      token = null;
      rows.replaceChildren();
    }
    const params = new URLSearchParams(); // the page size is the gateway's max-files-per-page setting
    if (token) params.set("continuationToken", token);
    if (query.q) {
      params.set("q", query.q);
      params.set("mode", query.mode);
    }
    const path = `/api/objects/${enc(bucket)}${prefix ? `/${b64(prefix)}` : ""}?${params}`;
    const data = await api("GET", path);
    for (const p of data.prefixes) {
      const name = p.Prefix.slice(prefix.length);
      rows.append(
        h("tr", { class: "folder" },
          h("td", {}, h("a", { href: folderHref(bucket, p.Prefix) }, `📁 ${name}`)),
          h("td", {}, "—"), h("td", {}, ""),
          h("td", {}, h("button", { class: "danger", "aria-label": `Delete folder ${name}`, onclick: () => remove(p.Prefix) }, "Delete"))),
      );
    }
    for (const o of data.objects) {
      const name = o.Key.slice(prefix.length);
      const href = `/api/objects/download/${enc(bucket)}/${b64(o.Key)}`;
      rows.append(
        h("tr", {},
          h("td", {}, h("button", { class: "link", onclick: () => show(o.Key) }, name)),
          h("td", {}, size(o.Size)),
          h("td", {}, when(o.LastModified)),
          h("td", { class: "actions" },
            h("a", { href, download: name.split("/").pop(), class: "button secondary", "aria-label": `Download ${name}` }, "Download"),
            h("button", { class: "secondary", "aria-label": `Details of ${name}`, onclick: () => show(o.Key) }, "Details"),
            h("button", { class: "danger", "aria-label": `Delete ${name}`, onclick: () => remove(o.Key) }, "Delete"))),
      );
    }
    if (!rows.children.length) rows.append(h("tr", {}, h("td", { colspan: 4, class: "empty" }, query.q ? "No match." : "This folder is empty.")));
    token = data.nextContinuationToken;
    more.hidden = !data.isTruncated;
  }

  async function show(key) {
    details.hidden = false;
    details.replaceChildren(h("p", {}, "Loading…"));
    try {
      const v = await api("GET", `/api/objects/view/${enc(bucket)}/${b64(key)}`);
      const dl = h("dl", {});
      const add = (k, val) => dl.append(h("dt", {}, k), h("dd", {}, val === null || val === undefined || val === "" ? "—" : String(val)));
      add("Key", v.key);
      add("Size", `${size(v.size)} (${v.size} bytes)`);
      add("Content type", v.contentType);
      add("ETag", v.etag);
      add("SHA-256", v.sha256);
      add("Modified", when(v.lastModified));
      add("Version", v.versionId);
      for (const [k, val] of Object.entries(v.metadata || {})) add(`x-amz-meta-${k}`, val);
      const tags = v.tags === null ? "(no permission to read tags)" : Object.entries(v.tags).map(([k, val]) => `${k}=${val}`).join(", ") || "none";
      add("Tags", tags);
      const close = h("button", { class: "secondary", onclick: () => { details.hidden = true; } }, "Close");
      details.replaceChildren(h("h2", {}, "Details"), dl, v.tags === null ? null : tagsForm(key, v.tags), close);
      close.focus();
    } catch (err) {
      details.replaceChildren(errorBox(err));
    }
  }

  // Tags as "key=value, key=value" (S3 allows no comma in a tag, so the list splits cleanly)
  function tagsForm(key, tags) {
    const input = h("input", { name: "tags", value: Object.entries(tags).map(([k, val]) => `${k}=${val}`).join(", "), placeholder: "project=alpha, owner=ops" });
    const form = h("form", { class: "tags", "aria-label": "Change tags" }, field("Tags (key=value, separated by commas)", input), h("button", { type: "submit", class: "secondary" }, "Save tags"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const pairs = input.value.split(",").map((t) => t.trim()).filter(Boolean).map((t) => {
        const at = t.indexOf("=");
        return at < 0 ? [t, ""] : [t.slice(0, at).trim(), t.slice(at + 1).trim()];
      });
      try {
        await api("PUT", `/api/objects/tags/${enc(bucket)}/${b64(key)}`, { tags: Object.fromEntries(pairs) });
        notice(`Tags of ${key} saved.`, "ok");
        await show(key);
      } catch (err) {
        notice(`${err.name}: ${err.message}`, "bad");
      }
    });
    return form;
  }

  async function remove(key) {
    const what = key.endsWith("/") ? `folder ${key} and everything in it` : key;
    if (!confirm(`Delete ${what}?`)) return;
    try {
      const done = await api("DELETE", `/api/objects/${enc(bucket)}/${b64(key)}`);
      notice(`Deleted ${done.deleted} object(s).`, "ok");
      await load(true);
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }

  async function sendFiles(files) {
    for (const file of files) {
      const id = `u-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const bar = progressBar(`Upload of ${file.name}`);
      const server = h("span", { class: "server" }, "");
      const item = h("li", {}, h("span", { class: "name" }, file.name), bar.el, server);
      uploads.append(item);
      // the gateway's own count of bytes received, over SSE (one-time ticket)
      try {
        await follow(id, "upload", (e) => {
          server.textContent = `server: ${size(e.upload.loaded)}${e.type === "complete" ? " — stored" : ""}`;
        }, (e) => e.type !== "progress");
      } catch (err) {
        server.textContent = "";
      }
      try {
        await uploadFile(bucket, prefix + file.name, file, id, (loaded, total) => bar.set((loaded * 100) / total));
        bar.set(100, "done");
        item.classList.add("done");
        notice(`Uploaded ${file.name}.`, "ok");
      } catch (err) {
        item.classList.add("failed");
        bar.set(0, `failed: ${err.message}`);
        notice(`Upload of ${file.name} failed: ${err.message}`, "bad");
      }
    }
    await load(true);
  }

  picker.addEventListener("change", () => sendFiles([...picker.files]));
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      picker.click();
    }
  });
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    sendFiles([...e.dataTransfer.files]);
  });
  searchForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    query = { q: search.value, mode: mode.value };
    try {
      await load(true);
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  folderForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = folderName.value.replace(/^\/+|\/+$/g, "");
    if (!name) return;
    try {
      await uploadFile(bucket, `${prefix}${name}/`, new File([], name), `f-${Date.now()}`, () => {});
      location.hash = folderHref(bucket, `${prefix}${name}/`);
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  more.addEventListener("click", () => load(false));
  await load(true);
}
