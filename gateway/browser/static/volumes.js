// Volumes, exports and quotas (the console API's seed 000 data, /api/v1, which takes the
// console's session): a list of volumes, and per volume (#/volumes/ID) its exports (keys
// confined to it, secret shown once) and its path quotas with their usage.
import { api } from "./api.js";
import { errorBox, field, h, notice, size, table, when } from "./ui.js";

const V1 = "/api/v1/volumes";

function checkbox(label, name) {
  const input = h("input", { type: "checkbox", name });
  return { input, el: h("label", { class: "check" }, input, ` ${label}`) };
}

function limitText(value, unit) {
  return value === null || value === undefined ? "unlimited" : unit(value);
}

export async function volumesPage(root, args) {
  const chosen = args[0];
  const body = h("div", {}, h("p", {}, "Loading…"));
  root.replaceChildren(
    h("h1", {}, "Volumes, exports & quotas"),
    h("p", { class: "intro" }, "Volumes are buckets; exports are access keys confined to one volume; quotas cap the bytes and objects under a path."),
    body,
  );
  let volumes;
  try {
    volumes = await api("GET", V1);
  } catch (err) {
    if (err.status === 401) throw err;
    body.replaceChildren(errorBox(err));
    return;
  }
  const rows = volumes.map((v) =>
    h("tr", { "aria-current": String(v.id) === chosen ? "true" : null },
      h("td", {}, h("a", { href: `#/volumes/${v.id}`, "aria-label": `Manage volume ${v.name}` }, v.name)),
      h("td", {}, size(v.usage.size)),
      h("td", {}, String(v.usage.inodes)),
      h("td", {}, v.encryption && v.encryption.enabled ? v.encryption.algorithm : "off"),
      h("td", {}, when(v.created))),
  );
  const detail = h("section", { class: "volume", "aria-label": "Volume details" });
  body.replaceChildren(table("Volumes", ["Volume", "Size", "Objects", "Encryption", "Created"], rows), detail);
  const volume = volumes.find((v) => String(v.id) === chosen);
  if (volume) await volumeDetail(detail, volume);
  else if (volumes.length) detail.append(h("p", { class: "hint" }, "Choose a volume to see and change its exports and quotas."));
}

async function volumeDetail(root, volume) {
  const exportsBox = h("div");
  const quotasBox = h("div");
  root.replaceChildren(h("h2", {}, `Volume ${volume.name}`), h("h3", {}, "Exports"), exportsBox, h("h3", {}, "Quotas"), quotasBox);
  await exportsSection(exportsBox, volume);
  await quotasSection(quotasBox, volume);
}

async function exportsSection(root, volume) {
  const base = `${V1}/${volume.id}/exports`;
  const list = h("div");
  const secret = h("div", { "aria-live": "polite" });
  const desc = h("input", { name: "exportDesc", placeholder: "for mount" });
  const iprange = h("input", { name: "exportIprange", placeholder: "10.0.0.0/8 (empty: any address)" });
  const readonly = checkbox("read-only", "exportReadonly");
  const appendonly = checkbox("append-only (never replace)", "exportAppendonly");
  const apionly = checkbox("API only (no console)", "exportApionly");
  const form = h("form", { class: "card", "aria-label": "Create an export" },
    h("h4", {}, "New export"),
    field("Description", desc), field("Client addresses", iprange),
    h("fieldset", {}, h("legend", {}, "Restrictions"), readonly.el, appendonly.el, apionly.el),
    h("button", { type: "submit" }, "Create export"));
  root.replaceChildren(list, secret, form);

  async function load() {
    let exports;
    try {
      exports = await api("GET", base);
    } catch (err) {
      list.replaceChildren(errorBox(err));
      form.hidden = true;
      return;
    }
    const flags = (x) => ["readonly", "appendonly", "apionly"].filter((f) => x[f]).join(", ") || "read-write";
    list.replaceChildren(table(`Exports of ${volume.name}`, ["Id", "Description", "Access key", "Addresses", "Mode", "Actions"], exports.map((x) =>
      h("tr", {},
        h("td", {}, String(x.id)), h("td", {}, x.desc || "—"), h("td", {}, h("code", {}, x.access_key)),
        h("td", {}, x.iprange || "any"), h("td", {}, flags(x)),
        h("td", {}, h("button", { class: "danger", "aria-label": `Delete export ${x.id}`, onclick: () => remove(x) }, "Delete"))))));
  }
  async function remove(x) {
    if (!confirm(`Delete export ${x.id} (${x.access_key})? Clients using its key stop working.`)) return;
    try {
      await api("DELETE", `${base}/${x.id}`);
      notice(`Export ${x.id} deleted.`, "ok");
      secret.replaceChildren();
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const made = await api("POST", base, {
        desc: desc.value, iprange: iprange.value,
        readonly: readonly.input.checked, appendonly: appendonly.input.checked, apionly: apionly.input.checked,
      });
      secret.replaceChildren(h("div", { class: "card secret" },
        h("p", {}, "Copy the secret now: it is not shown again."),
        h("p", {}, "Access key: ", h("code", {}, made.access_key)),
        h("p", {}, "Secret key: ", h("code", {}, made.secret_key))));
      notice(`Export ${made.id} created.`, "ok");
      form.reset();
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  await load();
}

async function quotasSection(root, volume) {
  const base = `${V1}/${volume.id}/quotas`;
  const list = h("div");
  const path = h("input", { name: "quotaPath", required: true, placeholder: "/folder", pattern: "/.*" });
  const bytes = h("input", { name: "quotaSize", type: "number", min: 0, step: 1, inputmode: "numeric" });
  const inodes = h("input", { name: "quotaInodes", type: "number", min: 0, step: 1, inputmode: "numeric" });
  const form = h("form", { class: "card", "aria-label": "Create a quota" },
    h("h4", {}, "New quota"),
    field("Path (starts with /)", path), field("Size limit in bytes (empty: unlimited)", bytes), field("Object limit (empty: unlimited)", inodes),
    h("button", { type: "submit" }, "Create quota"));
  root.replaceChildren(list, form);
  const number = (input) => (input.value === "" ? null : Number(input.value));

  async function load() {
    const quotas = await api("GET", base);
    list.replaceChildren(table(`Quotas of ${volume.name}`, ["Path", "Size limit", "Used", "Object limit", "Objects", "Actions"], quotas.map((q) =>
      h("tr", {},
        h("td", {}, q.path), h("td", {}, limitText(q.size, size)), h("td", {}, size(q.usage.size)),
        h("td", {}, limitText(q.inodes, String)), h("td", {}, String(q.usage.inodes)),
        h("td", { class: "actions" },
          h("button", { class: "secondary", "aria-label": `Change quota of ${q.path}`, onclick: () => change(q) }, "Change"),
          h("button", { class: "danger", "aria-label": `Delete quota of ${q.path}`, onclick: () => remove(q) }, "Delete"))))));
  }
  async function change(q) {
    const answer = prompt(`New size limit for ${q.path} in bytes (empty: unlimited)`, q.size ?? "");
    if (answer === null) return;
    try {
      await api("PUT", `${base}/${q.id}`, { size: answer.trim() === "" ? null : Number(answer) });
      notice(`Quota of ${q.path} changed.`, "ok");
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  async function remove(q) {
    if (!confirm(`Delete the quota of ${q.path}?`)) return;
    try {
      await api("DELETE", `${base}/${q.id}`);
      notice(`Quota of ${q.path} deleted.`, "ok");
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", base, { path: path.value, size: number(bytes), inodes: number(inodes) });
      notice(`Quota of ${path.value} created.`, "ok");
      form.reset();
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  try {
    await load();
  } catch (err) {
    list.replaceChildren(errorBox(err));
    form.hidden = true;
  }
}
