// Pages over the gateway's other APIs: transfers, user spaces and sync tasks, users and path
// rules, notifications, audit log (volumes are in volumes.js, keys and settings in account.js). A page
// whose API the gateway does not serve yet says so instead of failing.
import { api, follow } from "./api.js";
import { errorBox, field, h, notice, progressBar, size, table, when } from "./ui.js";

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

// ------------------------------------------------------------------ transfers

export async function transfersPage(root) {
  const sourceBucket = h("input", { name: "sourceBucket", required: true });
  const sourcePath = h("input", { name: "sourcePath", placeholder: "folder/ or file" });
  const destType = h("select", { name: "destType" }, h("option", { value: "s3" }, "bucket"), h("option", { value: "local" }, "user space"));
  const destLocation = h("input", { name: "destLocation", required: true, placeholder: "bucket name or user space id" });
  const destPath = h("input", { name: "destPath", placeholder: "target folder/" });
  const status = h("div", { class: "transfer-status", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", "aria-label": "Start a transfer" },
    h("h2", {}, "New transfer"),
    h("fieldset", {}, h("legend", {}, "From"), field("Bucket", sourceBucket), field("Path", sourcePath)),
    h("fieldset", {}, h("legend", {}, "To"), field("Kind", destType), field("Bucket or space", destLocation), field("Path", destPath)),
    h("button", { type: "submit" }, "Start transfer"),
    status,
  );
  const availability = h("div");
  root.replaceChildren(h("h1", {}, "Transfers"), h("p", { class: "intro" }, "Copy files between buckets and user spaces (local disk, S3, OBS); progress is live."), availability, form);
  try {
    await api("GET", "/api/transfer");
  } catch (err) {
    if (err.unavailable) availability.replaceChildren(errorBox(err));
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const bar = progressBar("Transfer progress");
    const line = h("p", {}, "Starting…");
    status.replaceChildren(line, bar.el);
    try {
      const body = {
        source: { type: "s3", locationId: sourceBucket.value, path: sourcePath.value },
        destination: { type: destType.value, locationId: destLocation.value, path: destPath.value },
        files: [sourcePath.value],
        conflictResolution: "overwrite",
      };
      const job = await api("POST", "/api/transfer", body);
      const jobId = String(job.jobId ?? job.id);
      await follow(jobId, "transfer", (event) => {
        const j = event.job || {};
        const pct = j.totalBytes ? (j.bytesTransferred * 100) / j.totalBytes : j.status === "completed" ? 100 : 0;
        bar.set(pct);
        line.textContent = `${j.status}: ${j.filesCompleted ?? 0}/${j.totalFiles ?? "?"} files, ${size(j.bytesTransferred)} of ${size(j.totalBytes)}${event.currentFile ? ` — ${event.currentFile.path}` : ""}`;
      }, (event) => ["completed", "failed", "cancelled", "canceled"].includes(event.job?.status));
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  });
}

// ------------------------------------------------------------------ user spaces and sync tasks

export async function spacesPage(root) {
  await section(root, "User spaces & sync tasks", "Where objects' bytes live (local disk, S3, OBS), and the sync tasks copying between them.", async (body) => {
    const spaces = await api("GET", "/api/spaces");
    const tasks = await api("GET", "/api/sync-tasks");
    body.replaceChildren(
      table("User spaces", ["Id", "Name", "Type", "Working dir"], (spaces.spaces || spaces).map((s) => h("tr", {}, h("td", {}, s.id ?? s.userSpaceID), h("td", {}, s.name), h("td", {}, s.type ?? s.storage?.type), h("td", {}, s.workingDir ?? "")))),
      table("Sync tasks", ["Id", "From", "Last run", "Result"], (tasks.tasks || tasks).map((t) => h("tr", {}, h("td", {}, t.id ?? t.taskID), h("td", {}, t.source ?? ""), h("td", {}, when(t.lastRun?.finished ?? t.lastRun)), h("td", {}, t.lastRun?.state ?? "")))),
    );
  });
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

// ------------------------------------------------------------------ notifications, audit log

export async function notificationsPage(root) {
  await section(root, "Notifications", "Webhooks called on object events (s3:ObjectCreated:*, s3:ObjectRemoved:*), per bucket.", async (body) => {
    const { buckets } = await api("GET", "/api/buckets");
    const rows = [];
    for (const b of buckets) {
      const config = await api("GET", `/api/notifications/${enc(b.Name)}`);
      const targets = config.notifications || config.configurations || [];
      rows.push(h("tr", {}, h("td", {}, b.Name), h("td", {}, targets.map((t) => `${t.url || t.endpoint}: ${(t.events || []).join(", ")}`).join("; ") || "—")));
    }
    body.replaceChildren(table("Bucket notifications", ["Bucket", "Webhooks"], rows));
  });
}

export async function auditPage(root) {
  await section(root, "Audit log", "Every change made on any front end: who, with which key, what, the result and from where.", async (body) => {
    const data = await api("GET", "/api/logs?limit=100");
    const entries = data.logs || data.entries || data;
    body.replaceChildren(table("Latest entries", ["Time", "Who", "Action", "Resource", "Result", "Address"], entries.map((l) => h("tr", {}, h("td", {}, when(l.timestamp ?? l.time)), h("td", {}, l.user ?? l.who ?? ""), h("td", {}, l.action), h("td", {}, l.resource ?? ""), h("td", {}, l.result ?? l.status ?? ""), h("td", {}, l.ip ?? l.address ?? "")))));
  });
}
