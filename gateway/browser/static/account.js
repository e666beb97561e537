// The signed-in caller's own access keys (/api/keys), the keys of the account's users for
// those who manage them (/api/v1), and the gateway's settings (/api/settings, administrators
// change them; S3/OBS endpoints are user spaces).
import { api } from "./api.js";
import { errorBox, field, h, notice, table, when } from "./ui.js";

const enc = encodeURIComponent;

function secretCard(key) {
  return h("div", { class: "card secret", role: "status" },
    h("p", {}, "Copy the secret now: it is not shown again."),
    h("p", {}, "Access key: ", h("code", {}, key.access_key)),
    h("p", {}, "Secret key: ", h("code", {}, key.secret_key)));
}

function created(value) {
  return when(typeof value === "number" ? value : value || "");
}

// ------------------------------------------------------------------ access keys

export async function keysPage(root, _args, me) {
  const secret = h("div", { "aria-live": "polite" });
  const mine = h("section", { "aria-labelledby": "own-keys" });
  const others = h("section", { "aria-labelledby": "user-keys" });
  root.replaceChildren(
    h("h1", {}, "Access keys"),
    h("p", { class: "intro" }, "Keys sign S3 and native API requests with your rights, no more. A secret is shown once, when the key is made."),
    secret, mine, others);
  await ownKeys(mine, secret);
  if (me.admin || (me.user.roles || []).includes("admin")) await usersKeys(others, secret, me.user.account);
}

async function ownKeys(root, secret) {
  const list = h("div");
  const make = h("button", { type: "button" }, "Create a key for me");
  root.replaceChildren(h("h2", { id: "own-keys" }, "Your keys"), list, make);
  async function load() {
    const data = await api("GET", "/api/keys");
    list.replaceChildren(table("Your access keys", ["Access key", "Status", "Created", "Actions"], data.keys.map((k) =>
      h("tr", {},
        h("td", {}, h("code", {}, k.access_key), k.current ? h("span", { class: "badge" }, " (this session)") : null),
        h("td", {}, k.status), h("td", {}, created(k.created)),
        h("td", {}, k.current ? "—" : h("button", { class: "danger", "aria-label": `Delete key ${k.access_key}`, onclick: () => remove(k.access_key) }, "Delete"))))));
  }
  async function remove(key) {
    if (!confirm(`Delete access key ${key}? Programs using it stop working.`)) return;
    try {
      await api("DELETE", `/api/keys/${enc(key)}`);
      notice(`Key ${key} deleted.`, "ok");
      secret.replaceChildren();
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  make.addEventListener("click", async () => {
    try {
      const key = await api("POST", "/api/keys", {});
      secret.replaceChildren(secretCard(key));
      notice(`Key ${key.access_key} created.`, "ok");
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  try {
    await load();
  } catch (err) {
    if (err.status === 401) throw err;
    list.replaceChildren(errorBox(err));
    make.hidden = true;
  }
}

async function usersKeys(root, secret, account) {
  let users;
  try {
    users = await api("GET", `/api/v1/accounts/${enc(account)}/users`);
  } catch (err) {
    return; // not one who manages the account's users
  }
  const owner = h("select", { name: "keyUser" }, users.map((u) => h("option", { value: u.name }, u.name)));
  const form = h("form", { class: "inline", "aria-label": "Create an access key for a user" }, field("For user", owner), h("button", { type: "submit" }, "Create key"));
  const list = h("div");
  root.replaceChildren(h("h2", { id: "user-keys" }, "Keys of the account's users"), list, form);
  async function load() {
    const keys = await api("GET", `/api/v1/accounts/${enc(account)}/keys`);
    list.replaceChildren(table("Keys", ["Access key", "User", "Status", "Created", "Actions"], keys.map((k) =>
      h("tr", {},
        h("td", {}, h("code", {}, k.access_key)), h("td", {}, k.user || "(account root)"), h("td", {}, k.status), h("td", {}, created(k.created)),
        h("td", {}, k.user ? h("button", { class: "danger", "aria-label": `Delete key ${k.access_key} of ${k.user}`, onclick: () => remove(k) }, "Delete") : "—")))));
  }
  async function remove(k) {
    if (!confirm(`Delete ${k.user}'s access key ${k.access_key}?`)) return;
    try {
      await api("DELETE", `/api/v1/accounts/${enc(account)}/keys/${enc(k.access_key)}`);
      notice(`Key ${k.access_key} deleted.`, "ok");
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const key = await api("POST", `/api/v1/accounts/${enc(account)}/users/${enc(owner.value)}/keys`, {});
      secret.replaceChildren(secretCard(key));
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  await load();
}

// ------------------------------------------------------------------ settings

const LABELS = {
  maxConcurrentTransfers: "Concurrent transfers",
  maxFilesPerPage: "Files per page",
  maxUploadSize: "Largest upload (bytes, 0: 5 GiB)",
  maxInlineFileSize: "Largest file shown inline by the file API (bytes)",
  zipCompressionLevel: "Folder zip compression (0: none, 9: most)",
  auditRetentionDays: "Audit log retention (days, 0: forever)",
};

export async function settingsPage(root) {
  const body = h("div", {}, h("p", {}, "Loading…"));
  root.replaceChildren(h("h1", {}, "Settings"), h("p", { class: "intro" }, "Gateway-wide settings; only the gateway's administrators change them."), body);
  let data;
  try {
    data = await api("GET", "/api/settings");
  } catch (err) {
    if (err.status === 401) throw err;
    body.replaceChildren(errorBox(err));
    return;
  }
  const inputs = {};
  const fields = data.definitions.map((d) => {
    const help = h("p", { class: "hint", id: `help-${d.name}` }, `${d.description} (${d.minimum}–${d.maximum}; default ${d.default})`);
    const input = h("input", {
      name: d.field, type: "number", min: d.minimum, max: d.maximum, step: d.integer ? 1 : "any", required: true,
      inputmode: d.integer ? "numeric" : "decimal", value: data.settings[d.field], "aria-describedby": help.id, disabled: !data.canEdit,
    });
    inputs[d.field] = input;
    return h("div", {}, field(LABELS[d.field] || d.field, input), help);
  });
  const save = h("button", { type: "submit", hidden: !data.canEdit }, "Save settings");
  const form = h("form", { class: "card", "aria-label": "Gateway settings" }, h("h2", {}, "Limits"), fields, save);
  const endpoints = h("section", { class: "card", "aria-labelledby": "endpoints-title" });
  body.replaceChildren(form, data.canEdit ? endpoints : h("p", { class: "hint" }, "Signed in without administrator rights: these values are read-only."));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const changes = {};
    for (const [name, input] of Object.entries(inputs)) changes[name] = Number(input.value);
    try {
      const saved = await api("PUT", "/api/settings", changes);
      for (const [name, value] of Object.entries(saved.settings)) inputs[name].value = value;
      notice("Settings saved.", "ok");
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  });
  if (data.canEdit) await endpointsSection(endpoints);
}

async function endpointsSection(root) {
  const list = h("div");
  const inputs = {
    name: h("input", { name: "endpointName", required: true }),
    type: h("select", { name: "endpointType" }, h("option", { value: "S3" }, "S3"), h("option", { value: "OBS" }, "OBS")),
    endpoint: h("input", { name: "endpointUrl", type: "url", required: true, placeholder: "https://s3.example.com" }),
    region: h("input", { name: "endpointRegion", placeholder: "us-east-1" }),
    bucket: h("input", { name: "endpointBucket", required: true }),
    workingDir: h("input", { name: "endpointDir", placeholder: "folder inside the bucket (optional)" }),
    accessKeyId: h("input", { name: "endpointKey", autocomplete: "off" }),
    secretAccessKey: h("input", { name: "endpointSecret", type: "password", autocomplete: "new-password" }),
  };
  const pathStyle = h("input", { type: "checkbox", name: "endpointPathStyle" });
  const result = h("div", { "aria-live": "polite" });
  const test = h("button", { type: "button", class: "secondary" }, "Test connection");
  const form = h("form", { "aria-label": "Add or change an S3 endpoint" },
    h("h3", {}, "Add or change an endpoint"),
    h("p", { class: "hint" }, "Saving under an existing name changes it; leave the secret empty to keep the stored one."),
    h("div", { class: "grid2" },
      field("Name", inputs.name), field("Type", inputs.type), field("Endpoint URL", inputs.endpoint), field("Region", inputs.region),
      field("Bucket", inputs.bucket), field("Working directory", inputs.workingDir),
      field("Access key id", inputs.accessKeyId), field("Secret access key", inputs.secretAccessKey)),
    h("label", { class: "check" }, pathStyle, " path-style addressing"),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save endpoint"), test),
    result);
  root.replaceChildren(
    h("h2", { id: "endpoints-title" }, "S3 and OBS endpoints"),
    h("p", { class: "hint" }, "Each endpoint is a user space: objects, transfers and sync tasks can use it. Credentials are sealed and never shown again."),
    list, form);
  const body = () => {
    const value = { pathStyle: pathStyle.checked };
    for (const [name, input] of Object.entries(inputs)) if (input.value !== "") value[name] = input.value;
    return value;
  };
  async function load() {
    const data = await api("GET", "/api/settings/s3");
    list.replaceChildren(table("Endpoints", ["Name", "Type", "Endpoint", "Bucket", "Working directory", "Actions"], data.endpoints.map((e) =>
      h("tr", {},
        h("td", {}, e.name), h("td", {}, e.type), h("td", {}, e.endpoint), h("td", {}, e.bucket), h("td", {}, e.workingDir || "—"),
        h("td", { class: "actions" },
          h("button", { class: "secondary", "aria-label": `Edit endpoint ${e.name}`, onclick: () => edit(e) }, "Edit"),
          h("button", { class: "danger", "aria-label": `Delete endpoint ${e.name}`, onclick: () => remove(e.name) }, "Delete"))))));
  }
  function edit(e) {
    for (const name of ["name", "type", "endpoint", "region", "bucket", "workingDir"]) inputs[name].value = e[name] || "";
    inputs.accessKeyId.value = "";
    inputs.secretAccessKey.value = "";
    pathStyle.checked = Boolean(e.pathStyle);
    inputs.endpoint.focus();
  }
  async function remove(name) {
    if (!confirm(`Remove endpoint ${name}? Objects stored there are no longer reachable through it.`)) return;
    try {
      await api("DELETE", `/api/settings/s3/${enc(name)}`);
      notice(`Endpoint ${name} removed.`, "ok");
      await load();
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  test.addEventListener("click", async () => {
    result.replaceChildren(h("p", {}, "Testing…"));
    try {
      const answer = await api("POST", "/api/settings/test-s3", body());
      result.replaceChildren(h("p", { class: "ok" }, answer.message));
    } catch (err) {
      result.replaceChildren(errorBox(err));
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const answer = await api("PUT", "/api/settings/s3", body());
      notice(`${answer.message}: ${answer.endpoint.name}.`, "ok");
      form.reset();
      result.replaceChildren();
      await load();
    } catch (err) {
      result.replaceChildren(errorBox(err));
    }
  });
  try {
    await load();
  } catch (err) {
    list.replaceChildren(errorBox(err));
  }
}
