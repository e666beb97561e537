// Pages over the gateway's other APIs: users and path rules, audit log (notifications are in notifications.js; transfers,
// spaces and sync tasks are in transfers.js, volumes in volumes.js, keys and settings in account.js). A page
// whose API the gateway does not serve yet says so instead of failing.
import { api } from "./api.js";
import { errorBox, field, h, notice, table, when } from "./ui.js";

const enc = encodeURIComponent;

async function section(root, title, intro, load) {
  const body = h("div", {}, h("p", {}, "Loading…"));
  root.replaceChildren(h("h1", {}, title), intro ? h("p", { class: "intro" }, intro) : null, body);
  try {
    await load(body);
  } catch (err) {
    if (err.status === 401) throw err;
    body.replaceChildren(errorBox(err));
  }
}

// ------------------------------------------------------------------ users and path rules

function ruleRow() {
  const bucket = h("input", { name: "ruleBucket", "aria-label": "Rule bucket" });
  const prefix = h("input", { name: "rulePrefix", "aria-label": "Rule prefix", placeholder: "folder/" });
  const access = h("select", { name: "ruleAccess", "aria-label": "Rule access" }, h("option", { value: "read" }, "read"), h("option", { value: "write" }, "write"));
  const row = h("div", { class: "rule" }, bucket, prefix, access);
  row.value = () => ({ bucket: bucket.value, prefix: prefix.value, access: access.value });
  return row;
}

export async function usersPage(root, _args, me) {
  const account = me.user.account;
  await section(root, "Users & path rules", "Users sign in here with a password and sign S3 requests with their keys; rules give read or write on bucket/prefix, enforced on every API.", async (body) => {
    const name = h("input", { name: "userName", required: true });
    const password = h("input", { name: "userPassword", type: "password", minlength: 8, autocomplete: "new-password" });
    const policy = h("select", { name: "userPolicy" }, h("option", { value: "" }, "none (rules only)"), h("option", { value: "read-only" }, "read-only"), h("option", { value: "read-write" }, "read-write"), h("option", { value: "admin" }, "admin"));
    const rules = h("div", { class: "rules" }, ruleRow());
    const addRule = h("button", { type: "button", class: "secondary", onclick: () => rules.append(ruleRow()) }, "Add a rule");
    const form = h("form", { class: "card", "aria-label": "Create a user" }, h("h2", {}, "New user"), field("Name", name), field("Password", password), field("Policy", policy), h("fieldset", {}, h("legend", {}, "Path rules (bucket, prefix, access)"), rules, addRule), h("button", { type: "submit" }, "Create user"));
    const list = h("div");
    body.replaceChildren(list, form);
    async function load() {
      const users = await api("GET", `/api/v1/accounts/${enc(account)}/users`);
      const rows = [];
      for (const u of users) {
        const detail = await api("GET", `/api/v1/accounts/${enc(account)}/users/${enc(u.name)}`);
        rows.push(h("tr", {},
          h("td", {}, u.name),
          h("td", {}, detail.policies.join(", ") || "—"),
          h("td", {}, detail.rules.map((r) => `${r.access}: ${r.bucket}/${r.prefix}`).join("; ") || "—"),
          h("td", {}, u.has_password ? "yes" : "no"),
          h("td", {}, h("button", { class: "danger", "aria-label": `Delete user ${u.name}`, onclick: () => remove(u.name) }, "Delete"))));
      }
      list.replaceChildren(table("Users", ["Name", "Policies", "Path rules", "Password", "Actions"], rows));
    }
    async function remove(user) {
      if (!confirm(`Delete user ${user} and its keys?`)) return;
      try {
        await api("DELETE", `/api/v1/accounts/${enc(account)}/users/${enc(user)}`);
        await load();
      } catch (err) {
        notice(`${err.name}: ${err.message}`, "bad");
      }
    }
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const chosen = [...rules.children].map((r) => r.value()).filter((r) => r.bucket);
      const payload = { name: name.value, rules: chosen, policies: policy.value ? [policy.value] : [] };
      if (password.value) payload.password = password.value;
      try {
        await api("POST", `/api/v1/accounts/${enc(account)}/users`, payload);
        notice(`User ${name.value} created.`, "ok");
        form.reset();
        rules.replaceChildren(ruleRow());
        await load();
      } catch (err) {
        notice(`${err.name}: ${err.message}`, "bad");
      }
    });
    await load();
  });
}

// ------------------------------------------------------------------ audit log

export async function auditPage(root) {
  await section(root, "Audit log", "Every change made on any front end: who, with which key, what, the result and from where.", async (body) => {
    const data = await api("GET", "/api/logs?limit=100");
    const entries = data.logs || data.entries || data;
    body.replaceChildren(table("Latest entries", ["Time", "Who", "Action", "Resource", "Result", "Address"], entries.map((l) => h("tr", {}, h("td", {}, when(l.timestamp ?? l.time)), h("td", {}, l.user ?? l.who ?? ""), h("td", {}, l.action), h("td", {}, l.resource ?? ""), h("td", {}, l.result ?? l.status ?? ""), h("td", {}, l.ip ?? l.address ?? "")))));
  });
}
