// Transfers (copy between buckets, packages and user spaces, live progress over SSE, cancel,
// clean up) and the user spaces & sync tasks page.
import { api, follow } from "./api.js";
import { errorBox, field, h, notice, progressBar, size, table, when } from "./ui.js";

const KINDS = [
  ["s3", "Bucket"],
  ["package", "Package (bucket/package)"],
  ["local", "User space"],
];
const FINAL = ["completed", "failed", "cancelled"];

// EventSources of the page on screen; closed when another page is drawn
const live = new Set();

function stopFollowing() {
  for (const source of live) source.close();
  live.clear();
}
window.addEventListener("hashchange", stopFollowing);

function locationFields(legend, prefix, choices) {
  const kind = h("select", { name: `${prefix}Type` }, KINDS.map(([value, label]) => h("option", { value }, label)));
  const listId = `${prefix}-choices`;
  const where = h("input", { name: `${prefix}Location`, required: true, list: listId, autocomplete: "off" });
  const path = h("input", { name: `${prefix}Path`, placeholder: "folder/ (or a file)" });
  const options = h("datalist", { id: listId });
  const offer = () => options.replaceChildren(...(choices[kind.value] || []).map((c) => h("option", { value: c.value }, c.label)));
  kind.addEventListener("change", offer);
  offer();
  const group = h(
    "fieldset",
    {},
    h("legend", {}, legend),
    field(`${legend} kind`, kind),
    field(`${legend} bucket, package or space`, where),
    options,
    field(`${legend} path`, path),
  );
  return {
    el: group,
    offer,
    value: () => ({ type: kind.value, locationId: where.value.trim(), path: path.value.trim() }),
  };
}

function describe(j) {
  const files = `${j.filesCompleted ?? 0} of ${j.totalFiles ?? "?"} files`;
  const extra = [j.filesSkipped ? `${j.filesSkipped} skipped` : "", j.filesFailed ? `${j.filesFailed} failed` : ""].filter(Boolean).join(", ");
  return `${files}, ${size(j.bytesTransferred ?? 0)} of ${size(j.totalBytes ?? 0)}${extra ? ` (${extra})` : ""}`;
}

function percent(j) {
  if (j.status === "completed") return 100;
  return j.totalBytes ? (j.bytesTransferred * 100) / j.totalBytes : 0;
}

// One transfer as a table row whose cells follow its SSE events
function transferRow(job, onGone) {
  const bar = progressBar(`Progress of transfer ${job.id}`);
  const status = h("td", { class: "transfer-status", "data-label": "Status" }, job.status);
  const detail = h("td", { class: "transfer-detail", "data-label": "Files and bytes" }, describe(job));
  const actions = h("td", { class: "actions", "data-label": "Actions" });
  const row = h(
    "tr",
    { "data-job": job.id },
    h("td", { "data-label": "Id" }, job.id),
    h("td", { "data-label": "From → to" }, `${job.source ?? ""} → ${job.destination ?? ""}`),
    status,
    h("td", { "data-label": "Progress" }, bar.el),
    detail,
    actions,
  );
  const show = (j, current) => {
    status.textContent = j.status;
    bar.set(percent(j));
    detail.textContent = describe(j) + (current ? ` — ${current.path} (${size(current.loaded)} of ${size(current.total)})` : "");
    if (j.status === "failed" && j.error) detail.append(h("span", { class: "error-text" }, ` ${j.error}`));
    actions.replaceChildren(
      FINAL.includes(j.status)
        ? h("button", { class: "secondary", "aria-label": `Clean up transfer ${j.id}`, onclick: () => cleanup(j.id) }, "Clean up")
        : h("button", { class: "danger", "aria-label": `Cancel transfer ${j.id}`, onclick: () => cancel(j.id) }, "Cancel"),
    );
  };
  async function cancel(id) {
    try {
      const answer = await api("POST", `/api/transfer/cancel/${encodeURIComponent(id)}`);
      notice(`${answer.message} (transfer ${id}).`, "ok");
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  async function cleanup(id) {
    try {
      await api("POST", `/api/transfer/cleanup/${encodeURIComponent(id)}`);
      notice(`Transfer ${id} cleaned up.`, "ok");
      onGone(row);
    } catch (err) {
      notice(`${err.name}: ${err.message}`, "bad");
    }
  }
  show(job, null);
  if (!FINAL.includes(job.status)) {
    follow(job.id, "transfer", (event) => show(event.job, event.currentFile), (event) => FINAL.includes(event.job?.status))
      .then((source) => live.add(source))
      .catch((err) => notice(`${err.name}: ${err.message}`, "bad"));
  }
  return row;
}

async function choices(me) {
  const found = { s3: [], package: [], local: [] };
  try {
    const { buckets } = await api("GET", "/api/buckets");
    found.s3 = buckets.map((b) => ({ value: b.Name, label: "bucket" }));
    found.package = buckets.map((b) => ({ value: `${b.Name}/`, label: "bucket/package" }));
  } catch (err) {
    if (err.status === 401) throw err;
  }
  if (me?.admin) {
    try {
      const { spaces } = await api("GET", "/api/spaces");
      found.local = spaces.filter((s) => s.transferable).map((s) => ({ value: s.name, label: `${s.type} space ${s.id}` }));
    } catch (err) {
      if (err.status === 401) throw err;
    }
  }
  return found;
}

export async function transfersPage(root, _args, me) {
  stopFollowing();
  const known = await choices(me);
  const source = locationFields("From", "source", known);
  const destination = locationFields("To", "destination", known);
  const conflict = h(
    "select",
    { name: "conflictResolution" },
    h("option", { value: "overwrite" }, "overwrite it"),
    h("option", { value: "skip" }, "skip the file"),
    h("option", { value: "rename" }, "keep both (rename the copy)"),
  );
  const check = h("button", { type: "button", class: "secondary" }, "Check conflicts");
  const report = h("div", { class: "conflicts", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", "aria-label": "Start a transfer" },
    h("h2", {}, "New transfer"),
    h("div", { class: "transfer-ends" }, source.el, destination.el),
    field("When a file already exists there", conflict),
    h("div", { class: "buttons" }, check, h("button", { type: "submit" }, "Start transfer")),
    report,
  );
  const rows = h("tbody");
  const list = h(
    "table",
    { class: "cards transfers", "aria-live": "off" },
    h("caption", {}, "Your transfers (newest first)"),
    h("thead", {}, h("tr", {}, ["Id", "From → to", "Status", "Progress", "Files and bytes", "Actions"].map((n) => h("th", { scope: "col" }, n)))),
    rows,
  );
  const gone = (row) => row.remove();
  root.replaceChildren(
    h("h1", {}, "Transfers"),
    h("p", { class: "intro" }, "Copy files between buckets, packages and user spaces (local disk, S3, OBS). Progress is live; a transfer can be cancelled, and cleaned up once it has ended. You may copy exactly what your S3 permissions allow."),
    form,
    list,
  );
  try {
    const { transfers } = await api("GET", "/api/transfer");
    rows.replaceChildren(...transfers.map((job) => transferRow(job, gone)));
  } catch (err) {
    if (err.status === 401) throw err;
    list.replaceWith(errorBox(err));
  }
  const body = () => ({ source: source.value(), destination: destination.value(), conflictResolution: conflict.value });
  check.addEventListener("click", async () => {
    report.replaceChildren(h("p", {}, "Checking…"));
    try {
      const answer = await api("POST", "/api/transfer/check-conflicts", body());
      report.replaceChildren(
        h("p", {}, `${answer.fileCount} files (${size(answer.totalSize)}); ${answer.conflicts.length} already exist at the destination.`),
        answer.conflicts.length ? h("ul", { class: "conflict-list", "aria-label": "Files that already exist" }, answer.conflicts.slice(0, 50).map((c) => h("li", {}, c))) : null,
        answer.warning ? h("p", { class: "hint" }, answer.warning.message) : null,
      );
    } catch (err) {
      report.replaceChildren(errorBox(err));
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    report.replaceChildren();
    try {
      const request = body();
      const started = await api("POST", "/api/transfer", request);
      const job = {
        id: started.jobId,
        status: started.status,
        source: `${request.source.locationId}/${request.source.path}`,
        destination: `${request.destination.locationId}/${request.destination.path}`,
        filesCompleted: 0,
        totalFiles: started.filesQueued,
        bytesTransferred: 0,
        totalBytes: started.estimatedBytes,
      };
      rows.prepend(transferRow(job, gone));
      notice(`Transfer ${started.jobId} started: ${started.filesQueued} files.`, "ok");
    } catch (err) {
      report.replaceChildren(errorBox(err));
    }
  });
}

// ------------------------------------------------------------------ user spaces and sync tasks

function where(storage) {
  if (!storage) return "";
  if (storage.type === "Local") return storage.root || "";
  return [storage.endpoint, storage.bucket].filter(Boolean).join(" / ");
}

function lastRun(run) {
  if (!run) return "never";
  const files = `${run.filesDone}/${run.filesTotal} files, ${size(run.bytesDone)}`;
  return `${run.state}: ${files}${run.error ? ` — ${run.error}` : ""}`;
}

export async function spacesPage(root) {
  stopFollowing();
  const body = h("div", {}, h("p", {}, "Loading…"));
  root.replaceChildren(
    h("h1", {}, "User spaces & sync tasks"),
    h("p", { class: "intro" }, "Where bytes can live (local disk, S3, OBS), and the sync tasks copying between them, with their last run."),
    body,
  );
  try {
    const { spaces } = await api("GET", "/api/spaces");
    const { tasks } = await api("GET", "/api/sync-tasks");
    const names = new Map(spaces.map((s) => [s.id, s.name]));
    const spaceName = (id) => `${names.get(id) ?? "?"} (${id})`;
    body.replaceChildren(
      table(
        "User spaces",
        ["Id", "Name", "Type", "Where", "Working dir", "Shard store", "Transfers"],
        spaces.map((s) =>
          h(
            "tr",
            {},
            h("td", {}, s.id),
            h("td", {}, s.name),
            h("td", {}, s.type),
            h("td", {}, where(s.storage)),
            h("td", {}, s.workingDir || "—"),
            h("td", {}, s.shardStore ? (s.shardStore.maxSize ? `up to ${size(s.shardStore.maxSize)}` : "yes") : "no"),
            h("td", {}, s.transferable ? "yes" : "no (the gateway's own blob store)"),
          ),
        ),
      ),
      table(
        "Sync tasks",
        ["Id", "From", "To", "Trigger", "State", "Runs", "Last run", "Result", "Next run"],
        tasks.map((t) =>
          h(
            "tr",
            {},
            h("td", {}, t.id),
            h("td", {}, `${spaceName(t.source.userSpaceID)}:/${t.source.path}`),
            h("td", {}, t.destinations.map((d) => `${spaceName(d.userSpaceID)}:/${d.path}`).join(", ")),
            h("td", {}, t.trigger.type === "Interval" ? `every ${t.trigger.interval} s` : "once"),
            h("td", {}, t.state),
            h("td", {}, t.runs),
            h("td", {}, t.lastRun ? when(t.lastRun.finished || t.lastRun.started) : "never"),
            h("td", { class: "sync-result" }, lastRun(t.lastRun)),
            h("td", {}, t.nextRun ? when(t.nextRun) : "—"),
          ),
        ),
      ),
    );
  } catch (err) {
    if (err.status === 401) throw err;
    body.replaceChildren(errorBox(err));
  }
}
