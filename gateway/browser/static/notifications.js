// The Notifications page: a bucket's event notifications (the same configuration S3's
// Put/GetBucketNotificationConfiguration read and write), sent to webhooks; administrators
// also register the webhooks themselves and see what waits in the delivery queue.
import { api } from "./api.js";
import { errorBox, field, h, notice, table } from "./ui.js";

const enc = encodeURIComponent;
const EVENTS = [
  "s3:ObjectCreated:*",
  "s3:ObjectCreated:Put",
  "s3:ObjectCreated:Post",
  "s3:ObjectCreated:Copy",
  "s3:ObjectCreated:CompleteMultipartUpload",
  "s3:ObjectRemoved:*",
  "s3:ObjectRemoved:Delete",
  "s3:ObjectRemoved:DeleteMarkerCreated",
];

function failed(err) {
  if (err.status === 401) throw err;
  notice(`${err.name}: ${err.message}`, "bad");
}

export async function notificationsPage(root, _args, me) {
  const isAdmin = (me?.user?.roles || []).includes("admin");
  const bucketSelect = h("select", { name: "notifyBucket" });
  const configs = h("div", { "aria-live": "polite" });
  const webhooks = h("div");
  root.replaceChildren(
    h("h1", {}, "Notifications"),
    h("p", { class: "intro" }, "Webhooks the gateway POSTs AWS's event JSON to when objects are created or removed, through S3, the native API or this console. Delivery retries with growing delays until the webhook answers 2xx."),
    h("div", { class: "card" }, field("Bucket", bucketSelect)),
    configs,
    isAdmin ? webhooks : null,
  );
  let buckets;
  try {
    buckets = (await api("GET", "/api/buckets")).buckets;
  } catch (err) {
    if (err.status === 401) throw err;
    configs.replaceChildren(errorBox(err));
    return;
  }
  bucketSelect.replaceChildren(...buckets.map((b) => h("option", { value: b.Name }, b.Name)));
  if (!buckets.length) {
    configs.replaceChildren(h("p", {}, "Create a bucket first."));
  }
  let current = [];

  async function loadBucket() {
    const bucket = bucketSelect.value;
    if (!bucket) return;
    try {
      const data = await api("GET", `/api/notifications/${enc(bucket)}`);
      current = data.notifications;
      configs.replaceChildren(bucketTable(bucket), addForm(bucket));
    } catch (err) {
      if (err.status === 401) throw err;
      configs.replaceChildren(errorBox(err));
    }
  }

  function bucketTable(bucket) {
    const rows = current.map((n) =>
      h("tr", {},
        h("td", {}, n.id),
        h("td", {}, n.endpoint || n.arn),
        h("td", {}, n.events.join(", ")),
        h("td", {}, [n.prefix && `prefix ${n.prefix}`, n.suffix && `suffix ${n.suffix}`].filter(Boolean).join(", ") || "all keys"),
        h("td", { class: "actions" },
          h("button", { class: "secondary", "aria-label": `Send a test event for ${n.id}`, onclick: () => testEndpoint({ targetId: n.targetId, bucket }) }, "Test"),
          h("button", { class: "danger", "aria-label": `Remove notification ${n.id}`, onclick: () => remove(bucket, n.id) }, "Remove"))));
    return table(`Notifications of ${bucket}`, ["Id", "Webhook", "Events", "Keys", "Actions"], rows);
  }

  function addForm(bucket) {
    const id = h("input", { name: "notifyId", placeholder: "generated when empty" });
    const endpoint = h("input", { name: "notifyEndpoint", required: true, placeholder: isAdmin ? "https://example.com/hook" : "webhook id" });
    const prefix = h("input", { name: "notifyPrefix", placeholder: "images/" });
    const suffix = h("input", { name: "notifySuffix", placeholder: ".jpg" });
    const boxes = EVENTS.map((name) => {
      const box = h("input", { type: "checkbox", name: "notifyEvent", value: name, checked: name.endsWith("*") });
      return h("label", { class: "check" }, box, ` ${name}`);
    });
    const form = h(
      "form",
      { class: "card", "aria-label": "Add a notification" },
      h("h2", {}, "Add a notification"),
      field("Id", id),
      field(isAdmin ? "Webhook URL or registered webhook id" : "Registered webhook id", endpoint),
      h("fieldset", {}, h("legend", {}, "Events"), ...boxes),
      field("Key prefix", prefix),
      field("Key suffix", suffix),
      h("div", { class: "buttons" },
        h("button", { type: "submit" }, "Add notification"),
        isAdmin ? h("button", { type: "button", class: "secondary", onclick: () => testEndpoint({ endpoint: endpoint.value, bucket }) }, "Test this URL") : null),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const events = boxes.map((l) => l.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
      const target = endpoint.value.trim();
      const item = { events, prefix: prefix.value, suffix: suffix.value };
      if (/^https?:\/\//.test(target)) item.endpoint = target;
      else item.targetId = target;
      if (id.value) item.id = id.value;
      try {
        await api("PUT", `/api/notifications/${enc(bucket)}`, { notifications: [...current.map(keep), item] });
        notice(`Notification added to ${bucket}.`, "ok");
        await loadBucket();
        if (isAdmin) await loadWebhooks();
      } catch (err) {
        failed(err);
      }
    });
    return form;
  }

  function keep(n) {
    return { id: n.id, type: n.type, targetId: n.targetId, events: n.events, prefix: n.prefix, suffix: n.suffix };
  }

  async function remove(bucket, id) {
    if (!confirm(`Remove notification ${id} from ${bucket}?`)) return;
    try {
      await api("DELETE", `/api/notifications/${enc(bucket)}/${enc(id)}`);
      notice(`Notification ${id} removed.`, "ok");
      await loadBucket();
    } catch (err) {
      failed(err);
    }
  }

  async function testEndpoint(body) {
    try {
      const result = await api("POST", "/api/notifications/test-endpoint", body);
      notice(result.message, result.success ? "ok" : "bad");
    } catch (err) {
      failed(err);
    }
  }

  async function loadWebhooks() {
    try {
      const data = await api("GET", "/api/webhooks");
      const rows = data.webhooks.map((w) =>
        h("tr", {},
          h("td", {}, w.id),
          h("td", {}, w.url),
          h("td", {}, h("code", {}, w.arn)),
          h("td", {}, w.usedBy.join(", ") || "—"),
          h("td", {}, `${w.queued} queued, ${w.failed} failed`, w.lastError ? h("div", { class: "muted" }, `last failure: ${w.lastError}`) : null),
          h("td", { class: "actions" }, h("button", { class: "danger", "aria-label": `Remove webhook ${w.id}`, onclick: () => removeWebhook(w.id) }, "Remove"))));
      const id = h("input", { name: "webhookId", required: true, pattern: "[A-Za-z0-9_.\\-]{1,64}" });
      const url = h("input", { name: "webhookUrl", type: "url", required: true });
      const form = h("form", { class: "card", "aria-label": "Register a webhook" }, h("h2", {}, "Register a webhook"), field("Webhook id", id), field("URL", url), h("button", { type: "submit" }, "Register"));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          const made = await api("PUT", `/api/webhooks/${enc(id.value)}`, { url: url.value });
          notice(`Webhook registered: S3 configurations name it ${made.arn}.`, "ok");
          await loadWebhooks();
        } catch (err) {
          failed(err);
        }
      });
      webhooks.replaceChildren(table("Registered webhooks", ["Id", "URL", "ARN", "Used by", "Queue", "Actions"], rows), form);
    } catch (err) {
      if (err.status === 401) throw err;
      webhooks.replaceChildren(errorBox(err));
    }
  }

  async function removeWebhook(id) {
    if (!confirm(`Remove webhook ${id}?`)) return;
    try {
      await api("DELETE", `/api/webhooks/${enc(id)}`);
      await loadWebhooks();
    } catch (err) {
      failed(err);
    }
  }

  bucketSelect.addEventListener("change", loadBucket);
  await loadBucket();
  if (isAdmin) await loadWebhooks();
}
